import CounterRNG
import Diffusion
import XCTest

final class SymmetryAugmentationTests: XCTestCase {
    typealias G = SquareGroupElement

    /// D4's table: closed, identity, unique inverses (a Latin square), associative; r90 has order 4, every
    /// reflection order 2, σ r σ = r⁻¹; four rotations (det +1) and four reflections (det −1).
    func testGroupLaws() {
        let all = G.allCases
        XCTAssertEqual(all.count, 8)
        for g in all {
            XCTAssertEqual(g.composed(after: .identity), g)
            XCTAssertEqual(G.identity.composed(after: g), g)
            XCTAssertEqual(g.composed(after: g.inverse), .identity)
            XCTAssertEqual(g.inverse.composed(after: g), .identity)
            XCTAssertEqual(Set(all.map { g.composed(after: $0) }).count, 8, "row \(g) of the table is a permutation")
            for h in all { for k in all { XCTAssertEqual(g.composed(after: h).composed(after: k), g.composed(after: h.composed(after: k))) } }
            if g.isReflection {
                XCTAssertEqual(g.composed(after: g), .identity, "\(g)")
                XCTAssertEqual(g.composed(after: G.rotation90).composed(after: g), G.rotation270, "σ r σ = r⁻¹ for \(g)")
            }
        }
        var power = G.identity
        for k in 1 ... 4 { power = G.rotation90.composed(after: power); XCTAssertEqual(power == .identity, k == 4) }
        XCTAssertEqual(all.filter(\.isReflection).count, 4)
        XCTAssertEqual(G.rotation90.apply(x: 1, y: 0).x, 0)
        XCTAssertEqual(G.rotation90.apply(x: 1, y: 0).y, 1, "x turns towards y")
    }

    func randomField(_ layout: PeriodicFieldLayout, seed: UInt64) -> [Float] {
        CounterRNG(seed: seed).normals(layout.elements).map(Float.init)
    }

    /// The action on fields is a group action of translations ⋊ D4: g·(h·f) = (g∘h)·f and g⁻¹·(g·f) = f exactly,
    /// for scalar, pseudo-scalar and vector channels, on odd and even N.
    func testActionOnFieldsIsAGroupAction() throws {
        for side in [5, 6] {
            let layout = try PeriodicFieldLayout(side: side, kinds: [.scalar, .vector, .pseudoScalar])
            XCTAssertEqual(layout.channels, 4)
            let f = randomField(layout, seed: UInt64(side))
            for (k, g) in G.allCases.enumerated() {
                let a = PeriodicSymmetry(element: g, shiftX: k % side, shiftY: (3 * k + 1) % side)
                XCTAssertEqual(a.inverse(side: side).apply(to: a.apply(to: f[...], layout: layout)[...], layout: layout), f)
                for (l, h) in G.allCases.enumerated() {
                    let b = PeriodicSymmetry(element: h, shiftX: (2 * l + 1) % side, shiftY: l % side)
                    let twice = a.apply(to: b.apply(to: f[...], layout: layout)[...], layout: layout)
                    XCTAssertEqual(twice, a.composed(after: b, side: side).apply(to: f[...], layout: layout), "N \(side): \(g) after \(h)")
                }
            }
        }
    }

    /// ω = ∂_x u_y − ∂_y u_x by central differences (a D4-symmetric stencil, so the check is exact up to round-off).
    func vorticity(_ u: [Float], side n: Int) -> [Float] {
        func at(_ x: Int, _ y: Int, _ c: Int) -> Float { u[(((y % n) + n) % n * n + ((x % n) + n) % n) * 2 + c] }
        var omega = [Float](repeating: 0, count: n * n)
        for y in 0 ..< n {
            for x in 0 ..< n {
                omega[y * n + x] = (at(x + 1, y, 1) - at(x - 1, y, 1)) / 2 - (at(x, y + 1, 0) - at(x, y - 1, 0)) / 2
            }
        }
        return omega
    }

    /// The vorticity of a rotated (shifted) velocity field is the rotated vorticity; of a reflected one, minus the
    /// reflected vorticity: the pseudo-scalar rule, which differs from the scalar rule exactly on reflections.
    func testVorticityIsAPseudoScalar() throws {
        let n = 8
        let velocity = try PeriodicFieldLayout(side: n, kinds: [.vector])
        let scalar = try PeriodicFieldLayout(side: n, kinds: [.scalar]), pseudo = try PeriodicFieldLayout.vorticity(side: n)
        let u = randomField(velocity, seed: 42)
        let omega = vorticity(u, side: n)
        for g in G.allCases {
            let a = PeriodicSymmetry(element: g, shiftX: 3, shiftY: 5)
            let ofTransformed = vorticity(a.apply(to: u[...], layout: velocity), side: n)
            let asPseudo = a.apply(to: omega[...], layout: pseudo), asScalar = a.apply(to: omega[...], layout: scalar)
            for p in 0 ..< n * n {
                XCTAssertEqual(ofTransformed[p], asPseudo[p], accuracy: 1e-5, "\(g) at \(p)")
                XCTAssertEqual(asPseudo[p], g.isReflection ? -asScalar[p] : asScalar[p])
            }
            // Under a reflection the scalar rule is wrong: the transformed field's vorticity is minus it.
            let scalarRuleError = zip(ofTransformed, asScalar).map { abs($0 - $1) }.max()!
            if g.isReflection { XCTAssertGreaterThan(scalarRuleError, 0.1, "\(g)") } else { XCTAssertLessThan(scalarRuleError, 1e-5, "\(g)") }
            XCTAssertGreaterThan(asScalar.map { abs($0) }.max()!, 0.1, "a nonzero vorticity, so the sign test means something")
        }
    }

    /// Augmentation draws each sample's symmetry from (seed, sample, step): the batch equals the per-sample
    /// transforms, does not depend on the batch split, and over many samples the 8 elements and the N shifts come
    /// out uniform (counts within 5 binomial SD).
    func testAugmentationIsKeyedBySampleAndStepAndUniform() throws {
        let layout = try PeriodicFieldLayout(side: 4, kinds: [.pseudoScalar, .scalar])
        let augmentation = SymmetryAugmentation(layout: layout, seed: 8)
        let samples = Array(20 ..< 26)
        let batch = (0 ..< samples.count).flatMap { randomField(layout, seed: UInt64($0 + 100)) }
        var augmented = batch
        try augmentation.augment(&augmented, samples: samples, step: 4)
        let e = layout.elements
        for (b, sample) in samples.enumerated() {
            let expected = augmentation.symmetry(sample: sample, step: 4).apply(to: batch[b * e ..< (b + 1) * e], layout: layout)
            XCTAssertEqual(Array(augmented[b * e ..< (b + 1) * e]), expected)
        }
        var back = Array(batch[3 * e ..< 6 * e])
        try augmentation.augment(&back, samples: Array(samples[3...]), step: 4)
        XCTAssertEqual(back, Array(augmented[3 * e ..< 6 * e]))
        var none = batch
        try SymmetryAugmentation(layout: layout, translations: false, pointGroup: false, seed: 8).augment(&none, samples: samples, step: 4)
        XCTAssertEqual(none, batch)
        let m = 16_000
        var elements = [Int](repeating: 0, count: 8), shifts = [Int](repeating: 0, count: 4)
        for sample in 0 ..< m {
            let s = augmentation.symmetry(sample: sample, step: 1)
            elements[s.element.rawValue] += 1
            shifts[s.shiftX] += 1
        }
        for (p, counts) in [(1.0 / 8, elements), (1.0 / 4, shifts)] {
            for c in counts { XCTAssertEqual(Double(c), Double(m) * p, accuracy: 5 * (Double(m) * p * (1 - p)).squareRoot()) }
        }
        XCTAssertThrowsError(try augmentation.augment(&augmented, samples: [0], step: 0)) { XCTAssertTrue("\($0)".contains("not 1 samples of 4 × 4 × 2")) }
        XCTAssertThrowsError(try PeriodicFieldLayout(side: 0, kinds: [.scalar]))
        XCTAssertThrowsError(try PeriodicFieldLayout(side: 4, kinds: []))
    }
}
