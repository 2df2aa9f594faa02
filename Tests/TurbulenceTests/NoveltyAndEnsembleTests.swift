import CounterRNG
import Foundation
import Turbulence
import XCTest

/// ``NoveltySearch2D`` and ``BoxSymmetry`` against brute force, and the distances and fits of
/// ``EnsembleStatistics`` against their exact values.
final class NoveltyAndEnsembleTests: XCTestCase {
    /// The 8 elements are distinct, closed under composition (a group), and square to the
    /// identity exactly for the reflections and the 180° rotation.
    func testBoxSymmetriesFormTheDihedralGroup() {
        let n = 6
        let f = CompareFixtures.whiteNoise(n: n, seed: 1, stream: 0)
        let images = (0 ..< BoxSymmetry.count).map { BoxSymmetry.apply($0, to: f, n: n) }
        for a in 0 ..< 8 { for b in 0 ..< a { XCTAssertNotEqual(images[a], images[b], "elements \(a), \(b)") } }
        for a in 0 ..< 8 {
            for b in 0 ..< 8 {
                let composed = BoxSymmetry.apply(a, to: images[b], n: n)
                XCTAssertTrue(images.contains(composed), "\(a)∘\(b) is an element")
            }
        }
        for g in [2, 4, 5, 6, 7] { XCTAssertEqual(BoxSymmetry.apply(g, to: images[g], n: n), f, "element \(g) is an involution") }
        XCTAssertEqual(BoxSymmetry.apply(1, to: images[1], n: n), images[2], "two quarter turns are a half turn")
        XCTAssertEqual(BoxSymmetry.apply(1, to: images[3], n: n), f, "four quarter turns are the identity")
        XCTAssertEqual(BoxSymmetry.apply(4, to: images[5], n: n), images[2], "the two axis reflections make a half turn")
        XCTAssertEqual(BoxSymmetry.translate(BoxSymmetry.translate(f, by: 2, 5, n: n), by: -2, -5, n: n), f)
        XCTAssertEqual(BoxSymmetry.translate(f, by: 1, 0, n: n)[n], f[0], "rows move down by dy")
    }

    /// A translated, rotated or reflected (sign-flipped) copy of a reference is at distance 0 from
    /// it, and the search names that reference and element; an unrelated white-noise field is
    /// at ≈ √2 (independent fields of equal norm), far from 0.
    func testNoveltyOfATransformedCopyIsZeroAndOfAnotherFieldIsNot() throws {
        let n = 16
        let a = CompareFixtures.whiteNoise(n: n, seed: 2, stream: 0), c = CompareFixtures.whiteNoise(n: n, seed: 2, stream: 1)
        let search = try NoveltySearch2D(n: n)
        search.addReference(c)
        search.addReference(a)
        XCTAssertEqual(search.referenceCount, 2)
        for g in 0 ..< BoxSymmetry.count {
            let copy = BoxSymmetry.translate(BoxSymmetry.apply(g, to: a, n: n), by: 3 + g, 7, n: n)
            let found = search.nearest(to: copy)
            XCTAssertEqual(found.distance, 0, accuracy: 1e-7, "element \(g)")
            XCTAssertEqual(found.reference, 1)
            XCTAssertEqual(found.symmetry, g)
            // Without its original, the copy is as far from the rest as unrelated noise.
            XCTAssertGreaterThan(search.nearest(to: copy, excluding: 1).distance, 1.0, "element \(g) without its original")
        }
        // A reflection without the sign flip is not a symmetry of ω: not at distance 0.
        let unsigned = BoxSymmetry.apply(4, to: a, n: n).map { -$0 }
        XCTAssertGreaterThan(search.nearest(to: unsigned).distance, 0.5)
        let other = CompareFixtures.whiteNoise(n: n, seed: 2, stream: 2)
        let far = search.nearest(to: other)
        XCTAssertGreaterThan(far.distance, 1.0)
        XCTAssertLessThan(far.distance, 1.5)
        // Nothing to compare with: NaN and reference −1.
        let alone = search.nearest(to: other, excluding: nil)
        XCTAssertFalse(alone.distance.isNaN)
        let empty = try NoveltySearch2D(n: n)
        XCTAssertTrue(empty.nearest(to: other).distance.isNaN)
        XCTAssertEqual(empty.nearest(to: other).reference, -1)
    }

    /// The FFT search equals the brute-force minimum of ‖a − T g b‖/‖a‖ over all N² translations
    /// and 8 elements, computed field by field (N = 8, 3 references).
    func testNoveltyEqualsBruteForceMinimum() throws {
        let n = 8
        let references = (0 ..< 3).map { CompareFixtures.whiteNoise(n: n, seed: 4, stream: UInt64($0)) }
        let a = CompareFixtures.whiteNoise(n: n, seed: 4, stream: 9)
        let search = try NoveltySearch2D(n: n)
        references.forEach(search.addReference)
        let normA = a.reduce(0) { $0 + $1 * $1 }.squareRoot()
        var best = Double.infinity, bestReference = -1, bestElement = -1
        for (r, b) in references.enumerated() {
            for g in 0 ..< 8 {
                let gb = BoxSymmetry.apply(g, to: b, n: n)
                for dy in 0 ..< n {
                    for dx in 0 ..< n {
                        let moved = BoxSymmetry.translate(gb, by: dy, dx, n: n)
                        let d = zip(a, moved).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot() / normA
                        if d < best { (best, bestReference, bestElement) = (d, r, g) }
                    }
                }
            }
        }
        let found = search.nearest(to: a)
        XCTAssertEqual(found.distance, best, accuracy: 1e-12)
        XCTAssertEqual(found.reference, bestReference)
        XCTAssertEqual(found.symmetry, bestElement)
        let withoutBest = search.nearest(to: a, excluding: bestReference)
        XCTAssertGreaterThanOrEqual(withoutBest.distance, best)
        XCTAssertNotEqual(withoutBest.reference, bestReference)
    }

    /// JS divergence (natural log): 0 for equal histograms (whatever their totals), ln 2 for
    /// disjoint ones, and the closed form for p = (½, ½), q = (1, 0). KS: 0, 1, and ½.
    func testJensenShannonAndKolmogorovSmirnovExactValues() {
        let h = [3.0, 0, 5, 2]
        XCTAssertEqual(EnsembleStatistics.jensenShannon(h, h), 0, accuracy: 1e-15)
        XCTAssertEqual(EnsembleStatistics.jensenShannon(h, h.map { 7 * $0 }), 0, accuracy: 1e-15)
        XCTAssertEqual(EnsembleStatistics.jensenShannon([1, 2, 0, 0], [0, 0, 4, 1]), log(2), accuracy: 1e-15)
        // m = (¾, ¼): ½[½ ln(½/¾) + ½ ln(½/¼)] + ½[ln(1/¾)].
        let expected = 0.5 * (0.5 * log(0.5 / 0.75) + 0.5 * log(2)) + 0.5 * log(1 / 0.75)
        XCTAssertEqual(EnsembleStatistics.jensenShannon([1, 1], [1, 0]), expected, accuracy: 1e-15)
        XCTAssertEqual(EnsembleStatistics.jensenShannon([1, 1], [1, 0]), EnsembleStatistics.jensenShannon([1, 0], [1, 1]), accuracy: 1e-16)
        XCTAssertEqual(EnsembleStatistics.kolmogorovSmirnov(h, h.map { 2 * $0 }), 0, accuracy: 1e-15)
        XCTAssertEqual(EnsembleStatistics.kolmogorovSmirnov([1, 2, 0, 0], [0, 0, 4, 1]), 1, accuracy: 1e-15)
        XCTAssertEqual(EnsembleStatistics.kolmogorovSmirnov([1, 1, 0], [0, 1, 1]), 0.5, accuracy: 1e-15)
    }

    /// The fit recovers the exponent of an exact power law over the points in the range only.
    func testLogLogSlopeOfAnExactPowerLaw() {
        let r = [1.0, 2, 3, 4, 6, 8, 12, 16]
        let y = r.map { $0 < 2 || $0 > 8 ? 1.0 : 0.7 * pow($0, 1.37) }   // wrong outside [2, 8] on purpose
        XCTAssertEqual(EnsembleStatistics.logLogSlope(x: r, y: y, range: 2 ... 8), 1.37, accuracy: 1e-12)
        XCTAssertTrue(EnsembleStatistics.logLogSlope(x: r, y: y, range: 9 ... 11).isNaN, "no point in range")
        XCTAssertTrue(EnsembleStatistics.logLogSlope(x: r, y: r.map { $0 - 3 }, range: 2 ... 8).isNaN, "non-positive y")
    }

    /// Bootstrap draws are keyed by (seed, repeat, draw): reproducible, in range, different
    /// between repeats and seeds; the spread of resampled means is the standard error
    /// σ·√((m−1)/m)/√m of the plug-in bootstrap (within 10% over 2000 repeats).
    func testBootstrapIndicesAndTheirStandardError() {
        let m = 50
        let first = EnsembleStatistics.bootstrapIndices(count: m, repeatIndex: 3, seed: 7)
        XCTAssertEqual(first, EnsembleStatistics.bootstrapIndices(count: m, repeatIndex: 3, seed: 7))
        XCTAssertNotEqual(first, EnsembleStatistics.bootstrapIndices(count: m, repeatIndex: 4, seed: 7))
        XCTAssertNotEqual(first, EnsembleStatistics.bootstrapIndices(count: m, repeatIndex: 3, seed: 8))
        XCTAssertTrue(first.allSatisfy { (0 ..< m).contains($0) })
        XCTAssertEqual(EnsembleStatistics.bootstrapIndices(count: 1, repeatIndex: 0, seed: 1), [0])
        let values = CounterRNG(seed: 3, stream: 0).normals(m)
        let rows = values.map { [$0] }
        let means = (0 ..< 2000).map { EnsembleStatistics.mean(rows, indices: EnsembleStatistics.bootstrapIndices(count: m, repeatIndex: $0, seed: 7))[0] }
        let sigma = EnsembleStatistics.standardDeviation(values)
        let expected = sigma * (Double(m - 1) / Double(m)).squareRoot() / Double(m).squareRoot()
        XCTAssertEqual(EnsembleStatistics.standardDeviation(means), expected, accuracy: 0.1 * expected)
    }

    /// Moving blocks: runs of `block` consecutive indices from starts in 0…count − block, cut to
    /// `count`; block 1 is the plain bootstrap, block = count the identity. For a strongly
    /// correlated series (a random walk) blocks give a larger, more honest spread than single draws.
    func testMovingBlockBootstrap() {
        let m = 23, block = 5
        XCTAssertEqual(EnsembleStatistics.bootstrapIndices(count: m, repeatIndex: 2, seed: 9, block: 1),
                       EnsembleStatistics.bootstrapIndices(count: m, repeatIndex: 2, seed: 9))
        XCTAssertEqual(EnsembleStatistics.bootstrapIndices(count: m, repeatIndex: 2, seed: 9, block: m), Array(0 ..< m))
        for repeatIndex in 0 ..< 50 {
            let idx = EnsembleStatistics.bootstrapIndices(count: m, repeatIndex: repeatIndex, seed: 9, block: block)
            XCTAssertEqual(idx.count, m)
            XCTAssertTrue(idx.allSatisfy { (0 ..< m).contains($0) })
            for start in stride(from: 0, to: m, by: block) {
                let run = idx[start ..< min(start + block, m)]
                XCTAssertEqual(Array(run), Array(run.first! ..< run.first! + run.count), "a block is consecutive")
                XCTAssertLessThanOrEqual(run.first!, m - block)
            }
        }
        let steps = CounterRNG(seed: 4, stream: 0).normals(200)
        let walk = steps.indices.map { [steps[0 ... $0].reduce(0, +)] }
        func spread(_ b: Int) -> Double {
            EnsembleStatistics.standardDeviation((0 ..< 500).map {
                EnsembleStatistics.mean(walk, indices: EnsembleStatistics.bootstrapIndices(count: 200, repeatIndex: $0, seed: 1, block: b))[0]
            })
        }
        XCTAssertGreaterThan(spread(40), 2 * spread(1))
    }
}
