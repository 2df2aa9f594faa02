import XCTest
@testable import TrainingData

/// The synthetic fields a diffusion model is checked on: their spectrum and one-point statistics are
/// what the type promises, and field i is the same whoever asks and in whatever batch.
final class GaussianRandomFieldSourceTests: XCTestCase {
    func load(_ s: GaussianRandomFieldSource, _ indices: [Int]) throws -> [Float] {
        var out = [Float](repeating: .nan, count: indices.count * s.side * s.side)
        try indices.withUnsafeBufferPointer { i in try out.withUnsafeMutableBufferPointer { try s.loadFields(indices: i, into: $0.baseAddress!) } }
        return out
    }

    func testExpectedSpectrumIsThePowerLawOverTheBand() throws {
        let s = try GaussianRandomFieldSource(side: 32, count: 10, spectralSlope: 3, minimumWavenumber: 2, maximumWavenumber: 12, seed: 1)
        let v = s.expectedShellSpectrum()
        XCTAssertEqual(v.count, 17)
        XCTAssertEqual(v.reduce(0, +), 1, accuracy: 1e-12, "unit variance")
        XCTAssertEqual(v[0] + v[1], 0, "nothing below kmin = 2")
        XCTAssertEqual(v[13...].reduce(0, +), 0, "nothing above kmax = 12")
        // Per mode P ∝ |k|^-(α+1): shell s of the lattice holds modes with |k| near s, so V_s·s^α / (modes in s / s)
        // is the same constant for every shell inside the band (exact on the lattice, checked mode by mode).
        var perMode: [Double] = []
        for i in 0 ..< 32 {
            for j in 0 ..< 32 {
                let ky = Double(i <= 16 ? i : i - 32), kx = Double(j <= 16 ? j : j - 32), k = (kx * kx + ky * ky).squareRoot()
                guard k >= 2, k <= 12 else { continue }
                perMode.append(pow(k, 4))
            }
        }
        // Σ_modes k^-4 · c = 1 fixes c; shell 5's expected value is c · Σ_{round(k)=5} k^-4.
        let c = 1 / perMode.map { 1 / $0 }.reduce(0, +)
        var shell5 = 0.0
        for i in 0 ..< 32 {
            for j in 0 ..< 32 {
                let ky = Double(i <= 16 ? i : i - 32), kx = Double(j <= 16 ? j : j - 32), k = (kx * kx + ky * ky).squareRoot()
                if Int(k.rounded()) == 5 { shell5 += c * pow(k, -4) }
            }
        }
        XCTAssertEqual(v[5], shell5, accuracy: 1e-12 * shell5)
    }

    func testSampledSpectrumAndOnePointStatistics() throws {
        let n = 32, fields = 400
        let s = try GaussianRandomFieldSource(side: n, count: fields, spectralSlope: 5.0 / 3, seed: 7)
        let values = try load(s, Array(0 ..< fields))
        let expected = s.expectedShellSpectrum()
        var mean = [Double](repeating: 0, count: n / 2 + 1)
        try values.withUnsafeBufferPointer { all in
            for f in 0 ..< fields {
                let shells = try GaussianRandomFieldSource.shellSpectrum(of: UnsafeBufferPointer(rebasing: all[f * n * n ..< (f + 1) * n * n]), side: n)
                for k in shells.indices { mean[k] += shells[k] / Double(fields) }
            }
        }
        XCTAssertEqual(mean[0], 0, accuracy: 1e-10, "zero mean in every field")
        // Shell s holds about πs independent complex modes: relative spread of one field's shell ≈ 1/√(πs),
        // of the mean over 400 fields ≤ 1.6% for s ≥ 2; 8% is 5 standard errors.
        for k in 2 ... n / 2 {
            XCTAssertEqual(mean[k] / expected[k], 1, accuracy: 0.08, "shell \(k): \(mean[k]) vs \(expected[k])")
        }
        let x = values.map(Double.init), m = x.reduce(0, +) / Double(x.count)
        let variance = x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(x.count)
        let kurtosis = x.map { pow($0 - m, 4) }.reduce(0, +) / Double(x.count) / (variance * variance)
        XCTAssertEqual(variance, 1, accuracy: 0.05, "unit variance")
        XCTAssertEqual(kurtosis, 3, accuracy: 0.15, "Gaussian one-point PDF")
    }

    func testFieldsDependOnTheirIndexOnly() throws {
        let s = try GaussianRandomFieldSource(side: 16, count: 50, spectralSlope: 3, seed: 3)
        let batch = try load(s, [4, 17, 4, 0])
        let alone = try load(s, [17])
        XCTAssertEqual(Array(batch[256 ..< 512]), alone, "the same field in any batch, at any position")
        XCTAssertEqual(Array(batch[0 ..< 256]), Array(batch[512 ..< 768]))
        XCTAssertNotEqual(Array(batch[0 ..< 256]), Array(batch[768 ..< 1024]))
        let other = try GaussianRandomFieldSource(side: 16, count: 50, spectralSlope: 3, seed: 4)
        XCTAssertNotEqual(try load(other, [17]), alone, "another seed, another field")
    }

    func testBadParametersAreRefused() {
        func refused(_ parameter: String, _ make: () throws -> GaussianRandomFieldSource, line: UInt = #line) {
            XCTAssertThrowsError(try make(), line: line) { XCTAssertEqual(($0 as? TrainingDataError)?.parameter, parameter, "\($0)", line: line) }
        }
        refused("side") { try GaussianRandomFieldSource(side: 2, count: 1, spectralSlope: 3, seed: 0) }
        refused("side") { try GaussianRandomFieldSource(side: 1 << 20, count: 1, spectralSlope: 3, seed: 0) }
        refused("count") { try GaussianRandomFieldSource(side: 16, count: 0, spectralSlope: 3, seed: 0) }
        refused("spectralSlope") { try GaussianRandomFieldSource(side: 16, count: 1, spectralSlope: .nan, seed: 0) }
        refused("spectralSlope") { try GaussianRandomFieldSource(side: 16, count: 1, spectralSlope: 1e300, seed: 0) }
        refused("minimumWavenumber") { try GaussianRandomFieldSource(side: 16, count: 1, spectralSlope: 3, minimumWavenumber: 0, seed: 0) }
        refused("maximumWavenumber") { try GaussianRandomFieldSource(side: 16, count: 1, spectralSlope: 3, maximumWavenumber: 9, seed: 0) }
        refused("maximumWavenumber") { try GaussianRandomFieldSource(side: 16, count: 1, spectralSlope: 3, minimumWavenumber: 5, maximumWavenumber: 4, seed: 0) }
    }
}
