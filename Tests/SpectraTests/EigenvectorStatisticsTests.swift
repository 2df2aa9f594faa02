import CounterRNG
import Foundation
import Linalg
import Spectra
import XCTest

/// Inverse participation ratios and the Porter–Thomas test on GOE (delocalised) and Anderson (localised) vectors.
final class EigenvectorStatisticsTests: XCTestCase {
    /// I_x(½, 99.5) and the Kolmogorov tail Q(1) against scipy (betainc; kstwobign.sf).
    func testSpecialFunctions() {
        XCTAssertEqual(SpecialFunctions.regularizedIncompleteBeta(0.01, a: 0.5, b: 99.5), 0.8421811638078219, accuracy: 1e-13)
        XCTAssertEqual(SpecialFunctions.regularizedIncompleteBeta(0.05, a: 0.5, b: 99.5), 0.9985817102702027, accuracy: 1e-13)
        XCTAssertEqual(SpecialFunctions.regularizedIncompleteBeta(0.3, a: 2, b: 3), 0.3483, accuracy: 1e-12)   // 1 − (1−x)³(1+3x)
        let n = 10_000, root = Double(n).squareRoot()
        XCTAssertEqual(SpecialFunctions.kolmogorovPValue(1 / (root + 0.12 + 0.11 / root), samples: n), 0.26999967167735456, accuracy: 1e-12)
    }

    static func eigen(_ build: (inout Matrix) -> Void, d: Int) throws -> SymmetricEigen {
        var m = Matrix(rows: d, columns: d)
        build(&m)
        return try SymmetricEigen(m, vectors: true)
    }

    /// GOE (d = 300): the mean IPR is 3/(d + 2) within 5% and the pooled components pass Porter–Thomas
    /// (p > 0.01). Anderson model (hopping 1, disorder uniform on [−4, 4], localisation length of a few sites):
    /// IPR ≫ 3/(d + 2) and p < 1e-6.
    func testGOEPassesAndLocalisedVectorsFail() throws {
        let d = 300
        let rng = CounterRNG(seed: 17, stream: 0)
        let goe = try Self.eigen({ m in
            for j in 0 ..< d { for i in 0 ... j { let g = rng.normal(at: UInt64(j * (j + 1) / 2 + i)) * (i == j ? 2.0.squareRoot() : 1); m[i, j] = g; m[j, i] = g } }
        }, d: d)
        let bulk = EigenvectorStatistics.bulkColumns(values: goe.values, zeroTolerance: nil, trimLow: 0.1, trimHigh: 0.1, signal: 0)
        XCTAssertEqual(bulk.count, 240)
        let g = EigenvectorStatistics(values: goe.values, vectors: goe.vectors!.elements, dimension: d, bulk: bulk)
        let meanIPR = g.inverseParticipationRatio.reduce(0, +) / Double(d)
        let anderson = try Self.eigen({ m in
            for i in 0 ..< d {
                m[i, i] = 8 * (rng.uniform(at: UInt64(1_000_000 + i)) - 0.5)
                if i + 1 < d { m[i, i + 1] = 1; m[i + 1, i] = 1 }
            }
        }, d: d)
        let a = EigenvectorStatistics(values: anderson.values, vectors: anderson.vectors!.elements, dimension: d, bulk: bulk)
        let andersonIPR = a.inverseParticipationRatio.reduce(0, +) / Double(d)
        print(String(format: "GOE: mean IPR %.5f (3/(d+2) = %.5f), KS %.4f p %.3f, KS to χ²₁ %.4f; Anderson: mean IPR %.3f, KS %.3f p %.2e",
                     meanIPR, g.goeReference, g.porterThomasKS, g.porterThomasPValue, g.chiSquaredKS, andersonIPR, a.porterThomasKS, a.porterThomasPValue))
        XCTAssertEqual(meanIPR, g.goeReference, accuracy: 0.05 * g.goeReference)
        XCTAssertGreaterThan(g.porterThomasPValue, 0.01)
        XCTAssertEqual(g.pooledComponents, 240 * d)
        XCTAssertEqual(g.bulkRanks, 31 ... 270)
        XCTAssertGreaterThan(andersonIPR, 10 * g.goeReference)
        XCTAssertLessThan(a.porterThomasPValue, 1e-6)
        // Rank order: rank 1 is the largest eigenvalue's vector.
        let top = goe.vectors!.column(d - 1).reduce(0) { $0 + $1 * $1 * $1 * $1 }
        XCTAssertEqual(g.inverseParticipationRatio[0], top, accuracy: 1e-15)
    }
}
