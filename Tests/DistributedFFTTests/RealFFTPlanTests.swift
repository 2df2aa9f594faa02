import XCTest
import Parallel
@testable import DistributedFFT

final class RealFFTPlanTests: XCTestCase {
    let world = Communicator.world

    func field(_ shape: [Int]) -> [Double] {
        (0 ..< shape.reduce(1, *)).map { (i: Int) -> Double in
            let x = Double(i)
            let y = Double((i * i) % 101)
            return sin(x * 0.37) + 0.25 * cos(y)
        }
    }

    func testRoundTripIsIdentity2DAnd3DIncludingOddAndNonPowerOfTwo() throws {
        for shape in [[12, 10], [9, 7], [6, 8, 10], [5, 6, 7]] {
            let plan = try RealFFTPlan(shape: shape, communicator: world)
            let f = field(shape)
            plan.loadReal(f)
            plan.forward()
            plan.backward()
            let g = plan.realSlab()
            let worst = zip(f, g).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst, 1e-14, "\(shape)")
        }
    }

    func testForwardAgainstNaiveDFT2D() throws {
        let (n0, n1) = (6, 10)
        let plan = try RealFFTPlan(shape: [n0, n1], communicator: world)
        let f = field([n0, n1])
        plan.loadReal(f)
        plan.forward()
        var worst = 0.0, scale = 0.0
        for ky in 0 ... n1 / 2 {
            for kx in 0 ..< n0 {
                var re = 0.0, im = 0.0
                for x in 0 ..< n0 { for y in 0 ..< n1 {
                    let phase = -2 * Double.pi * (Double(kx * x) / Double(n0) + Double(ky * y) / Double(n1))
                    re += f[x * n1 + y] * cos(phase); im += f[x * n1 + y] * sin(phase)
                } }
                let c = plan.coefficient([kx, ky])!
                worst = max(worst, abs(c.re - re), abs(c.im - im))
                scale = max(scale, abs(re), abs(im))
            }
        }
        XCTAssertLessThan(worst / scale, 1e-13)
    }

    func testSingleCosineModeLandsInItsBinWithAmplitudeNOverTwo() throws {
        let shape = [8, 6, 10]
        let plan = try RealFFTPlan(shape: shape, communicator: world)
        var f = [Double](repeating: 0, count: 480)
        for i in 0 ..< 8 { for j in 0 ..< 6 { for k in 0 ..< 10 {
            f[(i * 6 + j) * 10 + k] = cos(2 * .pi * (Double(3 * i) / 8 + Double(2 * j) / 6 + Double(4 * k) / 10))
        } } }
        plan.loadReal(f)
        plan.forward()
        let c = plan.coefficient([3, 2, 4])!
        XCTAssertEqual(c.re, 240, accuracy: 1e-11)
        XCTAssertEqual(c.im, 0, accuracy: 1e-11)
        // Everything else (on the stored half) vanishes.
        var others = 0.0
        for i in 0 ..< 8 { for j in 0 ..< 6 { for k in 0 ... 5 where !(i == 3 && j == 2 && k == 4) {
            let c = plan.coefficient([i, j, k])!
            others = max(others, abs(c.re), abs(c.im))
        } } }
        XCTAssertLessThan(others, 1e-11)
        XCTAssertEqual(try plan.spectralEnergy(), 480 * f.map { $0 * $0 }.reduce(0, +), accuracy: 1e-8)  // Parseval
    }

    func testWavenumbers() throws {
        let plan = try RealFFTPlan(shape: [6, 8, 5], communicator: world)
        XCTAssertEqual(plan.wavenumbers(axis: 0), [0, 1, 2, 3, -2, -1])
        XCTAssertEqual(plan.wavenumbers(axis: 1), [0, 1, 2, 3, 4, -3, -2, -1])
        XCTAssertEqual(plan.wavenumbers(axis: 2), [0, 1, 2])
        let p2 = try RealFFTPlan(shape: [7, 8], communicator: world)
        XCTAssertEqual(p2.wavenumbers(axis: 0), [0, 1, 2, 3, -3, -2, -1])
        XCTAssertEqual(p2.wavenumbers(axis: 1), [0, 1, 2, 3, 4])
        XCTAssertEqual(p2.physicalWavenumbers(axis: 1, boxLength: 4 * .pi), [0, 0.5, 1, 1.5, 2])
        XCTAssertEqual(p2.spectralAxes, [1, 0])
    }

    func testUnnormalisedConvention() throws {
        let plan = try RealFFTPlan(shape: [4, 4], communicator: world, normalization: .none)
        plan.loadReal([Double](repeating: 1, count: 16))
        plan.forward()
        XCTAssertEqual(plan.coefficient([0, 0])!.re, 16)
        plan.backward()
        XCTAssertEqual(plan.realSlab(), [Double](repeating: 16, count: 16))
    }

    func testWisdomFileWrittenAndReused() throws {
        let path = NSTemporaryDirectory() + "cascade-wisdom-\(getpid()).txt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try RealFFTPlan(shape: [16, 16], communicator: world, effort: .measure, wisdomFile: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.contains("fftw_wisdom"), text)
        let again = try RealFFTPlan(shape: [16, 16], communicator: world, effort: .measure, wisdomFile: path)
        again.loadReal([Double](repeating: 2, count: 256))
        again.forward(); again.backward()
        XCTAssertEqual(again.realSlab(), [Double](repeating: 2, count: 256))
    }

    func testBadShapesRefused() {
        XCTAssertThrowsError(try RealFFTPlan(shape: [8], communicator: world))
        XCTAssertThrowsError(try RealFFTPlan(shape: [8, 1], communicator: world)) { error in
            XCTAssertTrue("\(error)".contains("at least 2"))
        }
    }
}
