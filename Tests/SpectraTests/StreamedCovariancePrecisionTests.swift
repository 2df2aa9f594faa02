import Covariance
import Datasets
import Foundation
import Linalg
import Parallel
import Storage
import XCTest

/// The streamed covariance (blocks read in pieces, each piece shifted by the running mean while it is read,
/// one syrk per block, one rank-1 correction per block) against a two-pass reference, on data that defeats a
/// fixed shift: a large common offset, and a mean that drifts with the sample index. 1024 features and blocks of
/// 700 samples: 512-sample pieces (``SampleBlockStream/pieceBytes``), two per block (one short), a short last block.
final class StreamedCovariancePrecisionTests: XCTestCase {
    let (n, d, blockRows) = (1500, 1024, 700)

    /// Writes `values` (n × d) to a fresh file and streams its covariance.
    func streamedCovariance(_ values: [Double], name: String) throws -> (mean: [Double], matrix: Matrix) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cascade-\(name)-\(getpid()).h5").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try H5File.create(path, communicator: .world, overwrite: true)
        try file.createDataset("/x", of: Double.self, shape: [n, d])
        try file.write("/x", values, offset: [0, 0], count: [n, d])
        try file.close()
        var sel = DatasetSelection(file: path, dataset: "x")
        sel.blockRows = blockRows
        let resolved = try DatasetReader.resolve(sel, communicator: .world)
        let stream = SampleBlockStream.thisRank(sel, resolved, communicator: .world)
        XCTAssertGreaterThan(resolved.blockRows, SampleBlockStream.pieceBytes / (8 * d), "blocks must be read in several pieces")
        let (mean, c) = try ShardedCovariance.covariance(stream, root: nil, communicator: .world)
        return (mean, c!)
    }

    /// Two passes: the mean summed in Float80, the data centred on it, then one syrk of all samples.
    func twoPassCovariance(_ values: [Double]) -> Matrix {
        var mean = [Float80](repeating: 0, count: d)
        for r in 0 ..< n { for f in 0 ..< d { mean[f] += Float80(values[r * d + f]) } }
        let mu = mean.map { Double($0 / Float80(n)) }
        var centred = values
        for r in 0 ..< n { for f in 0 ..< d { centred[r * d + f] -= mu[f] } }
        var c = Matrix(rows: d, columns: d)
        centred.withUnsafeBufferPointer { BLAS.syrkTransposed(1 / Double(n - 1), $0, rows: n, columns: d, 0, &c) }
        return c
    }

    /// Largest |C − C_ref| relative to √(C_ii C_jj) of the reference (upper triangle): an error that scales
    /// with the data's offset or drift shows up in the entries of the features that do not drift.
    func worstRelativeError(_ c: Matrix, _ reference: Matrix) -> Double {
        var worst = 0.0
        for i in 0 ..< d {
            for j in i ..< d {
                worst = max(worst, abs(c[i, j] - reference[i, j]) / (reference[i, i] * reference[j, j]).squareRoot())
            }
        }
        return worst
    }

    /// Unit-variance correlated noise: the sum of two independent standard normals, one shared by neighbours.
    func noise(seed: UInt64) -> [Double] {
        let z = SyntheticData.gaussian(samples: 0 ..< n, total: n, features: d + 1, seed: seed).values
        var x = [Double](repeating: 0, count: n * d)
        for r in 0 ..< n { for f in 0 ..< d { x[r * d + f] = (z[r * (d + 1) + f] + z[r * (d + 1) + f + 1]) * 0.5.squareRoot() } }
        return x
    }

    func testOffsetDataOfUnitVarianceKeepsItsPrecision() throws {
        // Mean 1e8, unit variance: E[xxᵀ] − μμᵀ would keep no digit (1e16 ulps); the shift keeps ~all.
        let x = noise(seed: 11).map { $0 + 1e8 }
        let (mean, c) = try streamedCovariance(x, name: "offset")
        let reference = twoPassCovariance(x)
        XCTAssertEqual(mean[0], 1e8, accuracy: 1)
        let worst = worstRelativeError(c, reference)
        print("streamed covariance, mean 1e8 and unit variance: worst |C − C_ref| / √(C_ii C_jj) = \(worst)")
        XCTAssertLessThan(worst, 1e-12)
    }

    func testMeanDriftingWithTheSampleIndexKeepsItsPrecision() throws {
        // Feature f's mean grows linearly with the sample index, by up to 10⁴ σ over the file (even features
        // only: the odd ones keep a fixed mean of 10³, so their small entries would show an error ∝ drift²).
        var x = noise(seed: 12)
        for r in 0 ..< n {
            for f in 0 ..< d { x[r * d + f] += f % 2 == 0 ? 1e4 * Double(r) / Double(n) * Double(1 + f % 7) : 1e3 }
        }
        let (_, c) = try streamedCovariance(x, name: "drift")
        let reference = twoPassCovariance(x)
        let worst = worstRelativeError(c, reference)
        print("streamed covariance, mean drifting by 10⁴ σ: worst |C − C_ref| / √(C_ii C_jj) = \(worst)")
        XCTAssertLessThan(worst, 1e-12)
        XCTAssertEqual(c[1, 1], reference[1, 1], accuracy: 1e-12 * reference[1, 1], "a feature that does not drift")
    }

    func testNaNInALaterPieceIsRefusedByItsSample() throws {
        var x = noise(seed: 13)
        x[1250 * d + 700] = .nan                           // block 1 (700…1399), its second piece (1212…)
        x[1450 * d + 3] = .infinity                        // a later one, not the first
        XCTAssertThrowsError(try streamedCovariance(x, name: "nan")) { error in
            XCTAssertTrue("\(error)".contains("first in sample 1250"), "\(error)")
        }
    }

    func testHugeFiniteValuesAreNotRefused() throws {
        // Sums of values near the largest double overflow (a false alarm of the fused probe): the block is
        // re-read and checked value by value, and nothing is refused.
        var x = noise(seed: 14)
        for r in 0 ..< n { x[r * d] = 1e308 }
        XCTAssertNoThrow(try streamedCovariance(x, name: "huge"))
    }
}
