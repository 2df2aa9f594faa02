import XCTest
@testable import Learning

final class InitializationTests: XCTestCase {
    func stats(_ v: ArraySlice<Float>) -> (mean: Double, std: Double) {
        let n = Double(v.count), mean = v.reduce(0.0) { $0 + Double($1) } / n
        let variance = v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        return (mean, variance.squareRoot())
    }

    func weights(_ initialization: Initialization, fanIn: Int = 512, fanOut: Int = 512, seed: UInt64 = 3) throws -> (Dense, [Float]) {
        let layer = Dense(outputs: fanOut, initialization: initialization)
        let model = try Sequential(inputFeatures: fanIn, batch: 1, seed: seed, [layer])
        return (layer, model.store.values)
    }

    /// 262 144 draws: the sample std is within ~0.3 % of the true one, so 5 % is a loose bound.
    func testHeStandardDeviation() throws {
        let (layer, v) = try weights(.he)
        let s = stats(v[layer.weight.range]), expected = (2.0 / 512).squareRoot()
        XCTAssertEqual(s.std, expected, accuracy: 0.05 * expected)
        XCTAssertEqual(s.mean, 0, accuracy: 0.01 * expected)
        XCTAssertTrue(v[layer.bias.range].allSatisfy { $0 == 0 })
    }

    func testGlorotUniformBoundAndStandardDeviation() throws {
        let (layer, v) = try weights(.glorot, fanIn: 512, fanOut: 256)
        let a = (6.0 / (512 + 256)).squareRoot(), w = v[layer.weight.range]
        XCTAssertTrue(w.allSatisfy { abs(Double($0)) <= a })
        XCTAssertEqual(stats(w).std, a / 3.0.squareRoot(), accuracy: 0.05 * a / 3.0.squareRoot())
        XCTAssertTrue(v[layer.bias.range].allSatisfy { $0 == 0 })
    }

    func testNTKDrawsStandardNormalsForWeightsAndBiases() throws {
        let (layer, v) = try weights(.ntk(beta: 0.1))
        XCTAssertEqual(stats(v[layer.weight.range]).std, 1, accuracy: 0.05)
        XCTAssertEqual(stats(v[layer.bias.range]).std, 1, accuracy: 0.15)  // only 512 draws
        XCTAssertEqual(layer.weightScale, 1 / Float(512).squareRoot())
    }

    /// Keyed by (seed, layer index, element index) only: a layer's draw depends on neither the
    /// other layers nor their initialisation, and a different seed gives different numbers.
    func testInitialisationDependsOnlyOnSeedLayerAndElement() throws {
        let a = try Sequential(inputFeatures: 3, batch: 2, seed: 77, [Dense(outputs: 5), Tanh(), Dense(outputs: 4)])
        let b = try Sequential(inputFeatures: 3, batch: 9, seed: 77,
                               [Dense(outputs: 5, initialization: .glorot), ReLU(), Dense(outputs: 4)])
        let c = try Sequential(inputFeatures: 3, batch: 2, seed: 78, [Dense(outputs: 5), Tanh(), Dense(outputs: 4)])
        let w2 = a.store.views[2].range
        XCTAssertEqual(Array(a.store.values[w2]), Array(b.store.values[w2]))
        XCTAssertNotEqual(Array(a.store.values[a.store.views[0].range]), Array(b.store.values[b.store.views[0].range]))
        XCTAssertNotEqual(Array(a.store.values[w2]), Array(c.store.values[w2]))
        let again = try Sequential(inputFeatures: 3, batch: 2, seed: 77, [Dense(outputs: 5), Tanh(), Dense(outputs: 4)])
        XCTAssertEqual(a.store.values, again.store.values)
    }
}
