import DistributedFFT
import Foundation
import Parallel

/// f at global index: a sum of two exact Fourier modes plus a constant.
private func modeField(_ g: [Int], _ shape: [Int]) -> Double {
    var p1 = 0.0, p2 = 0.0
    let a = [1, 2, 3], b = [2, 1, 1]
    for d in 0 ..< shape.count {
        p1 += Double(a[d] * g[d]) / Double(shape[d])
        p2 += Double(b[d] * g[d]) / Double(shape[d])
    }
    let c: Double = cos(2 * Double.pi * p1)
    let s: Double = sin(2 * Double.pi * p2)
    return 0.5 + c + 0.25 * s
}

private func fftCheck(_ shape: [Int]) -> MPICheck {
    MPICheck("fft.distributed-\(shape.map(String.init).joined(separator: "x"))") { comm, t in
        let plan = try RealFFTPlan(shape: shape, communicator: comm)
        let inner = shape.dropFirst().reduce(1, *)
        var slab = [Double](repeating: 0, count: plan.localRealRange.count * inner)
        for (li, i) in plan.localRealRange.enumerated() {
            for r in 0 ..< inner {
                var g = [i]
                if shape.count == 2 { g.append(r) } else { g += [r / shape[2], r % shape[2]] }
                slab[li * inner + r] = modeField(g, shape)
            }
        }
        plan.loadReal(slab)
        plan.forward()
        let n = Double(plan.pointCount)
        // Exact coefficients: mean → N·0.5 at k = 0; cos mode a → N/2; sin mode b → −i·N/8.
        let a = Array([1, 2, 3].prefix(shape.count)), b = Array([2, 1, 1].prefix(shape.count))
        let expectations: [([Int], Double, Double)] = [
            ([Int](repeating: 0, count: shape.count), n * 0.5, 0), (a, n / 2, 0), (b, 0, -n / 8),
        ]
        var found = 0
        for (k, re, im) in expectations {
            if let c = plan.coefficient(k) {
                found += 1
                t.expectClose(c.re, re, rel: 1e-12, floor: n, "Re ĉ\(k)")
                t.expectClose(c.im, im, rel: 1e-12, floor: n, "Im ĉ\(k)")
            }
        }
        t.expect(try comm.allreduce(found, .sum) == 3, "each exact coefficient stored on exactly one rank")
        let energy = try plan.spectralEnergy()
        let realEnergy = try comm.allreduce(slab.map { $0 * $0 }.reduce(0, +), .sum)
        t.expectClose(energy, n * realEnergy, rel: 1e-12, "Parseval")
        // Σ(Re² − Im²) over the stored spectrum: a second checksum, identical on any rank count.
        var weighted = 0.0
        for e in 0 ..< plan.localSpectralCount {
            weighted += plan.spectralBuffer[2 * e] * plan.spectralBuffer[2 * e] - plan.spectralBuffer[2 * e + 1] * plan.spectralBuffer[2 * e + 1]
        }
        t.record("energy", [energy, try comm.allreduce(weighted, .sum)], tolerance: 1e-12)
        plan.backward()
        let back = plan.realSlab()
        var worst = 0.0
        for (x, y) in zip(back, slab) { worst = max(worst, abs(x - y)) }
        t.expect(try comm.allreduce(worst, .max) < 1e-13, "round trip error \(worst)")
    }
}

/// Distributed FFTs against exact modes, Parseval and round trip; 3 ranks split unevenly.
let fftChecks: [MPICheck] = [fftCheck([64, 48]), fftCheck([30, 22]), fftCheck([16, 12, 10]), fftCheck([7, 9, 6])]
