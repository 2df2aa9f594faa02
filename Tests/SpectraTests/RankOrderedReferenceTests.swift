import Covariance
import Foundation
import Linalg
import Spectra
import SpectraReference
import XCTest

/// The deterministic references of the rank-ordered spectrum, its power law and entropy.
final class RankOrderedReferenceTests: XCTestCase {
    func moments(_ x: [Double]) -> (mean: Double, variance: Double) {
        let m = x.reduce(0, +) / Double(x.count)
        return (m, x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count))
    }

    /// ∫ₐˣ density by two-point Gauss–Legendre on equal cells in θ (x = c + r sin θ; open nodes, so the
    /// integrable edge singularity of q = 1 is never evaluated), independent of the closed-form CDF.
    func integratedDensity(_ d: LimitingDensity, to x: Double, cells: Int = 4000) -> Double {
        let lo = d.support.lowerBound, hi = d.support.upperBound
        let (c, r) = ((lo + hi) / 2, (hi - lo) / 2)
        let top = asin(min(max((x - c) / r, -1), 1)), h = (top + Double.pi / 2) / Double(cells)
        var sum = 0.0
        for k in 0 ..< cells {
            let mid = -Double.pi / 2 + (Double(k) + 0.5) * h
            for t in [mid - h / (2 * 3.0.squareRoot()), mid + h / (2 * 3.0.squareRoot())] {
                sum += d.density(c + r * sin(t)) * r * cos(t)
            }
        }
        return sum * h / 2
    }

    /// Closed-form CDFs against direct integration of the densities; the Marchenko–Pastur unfolding uses them.
    func testCumulativeMatchesIntegratedDensity() {
        let laws: [LimitingDensity] = [.semicircle(centre: -0.3, radius: 1.7), .marchenkoPastur(mean: 2, ratio: 0.25),
                                       .marchenkoPastur(mean: 0.5, ratio: 0.9), .marchenkoPastur(mean: 1, ratio: 1)]
        for law in laws {
            XCTAssertEqual(law.cumulative(law.support.upperBound), 1)
            XCTAssertEqual(integratedDensity(law, to: law.support.upperBound), 1, accuracy: 1e-9, "\(law) normalised")
            for f in [0.03, 0.2, 0.5, 0.77, 0.98] {
                let x = law.support.lowerBound + f * (law.support.upperBound - law.support.lowerBound)
                XCTAssertEqual(law.cumulative(x), integratedDensity(law, to: x), accuracy: 1e-9, "\(law) at \(x)")
            }
        }
        // The Marchenko–Pastur unfolding is N·F of the law whose mean is the spectrum's mean.
        let levels = Array(stride(from: 0.6, through: 4.4, by: 0.2))
        let law = LimitingDensity.marchenkoPastur(mean: levels.reduce(0, +) / Double(levels.count), ratio: 0.25)
        let unfolded = Unfolding.unfold(levels, kept: 0 ..< levels.count, method: .marchenkoPastur(ratio: 0.25))
        for (x, e) in zip(levels, unfolded) {
            XCTAssertEqual(e / Double(levels.count), integratedDensity(law, to: x), accuracy: 1e-5)
        }
    }

    /// Semicircle quantile levels: F at each level reproduces its probability to 1e-10; the levels have the
    /// law's mean and variance to O(1/n); restricted to the positive side, they are the positive-part quantiles.
    func testSemicircleQuantiles() {
        let n = 3000
        let law = LimitingDensity.semicircle(centre: 5, radius: 3)
        let levels = RankOrderedReference.quantileLevels(law, positiveCount: n)
        XCTAssertEqual(levels.count, n)
        XCTAssertEqual(levels, levels.sorted(by: >))
        for (k, x) in levels.enumerated() {
            XCTAssertEqual(law.cumulative(x), 1 - (Double(k) + 0.5) / Double(n), accuracy: 1e-10)
        }
        let (m, v) = moments(levels)
        print("semicircle n = \(n): mean \(m) (5), variance \(v) (\(law.variance))")
        XCTAssertEqual(m, 5, accuracy: 1e-12)
        XCTAssertEqual(v, law.variance, accuracy: 0.1 * law.variance / Double(n))
        // Centred law: only the positive half, n levels at the conditional quantiles.
        let centred = LimitingDensity.semicircle(centre: 0.4, radius: 2)
        let below = centred.cumulative(0)
        let positive = RankOrderedReference.quantileLevels(centred, positiveCount: 1000)
        XCTAssertEqual(positive.count, 1000)
        XCTAssertGreaterThan(positive.last!, 0)
        for (k, x) in positive.enumerated() {
            XCTAssertEqual(centred.cumulative(x), below + (1 - below) * (1 - (Double(k) + 0.5) / 1000), accuracy: 1e-10)
        }
        // The matched density of a spectrum that is not positive semi-definite is its moments' semicircle.
        let matched = RankOrderedReference.matchedDensity(ascending: [-2, -1, 0.5, 1, 3], positiveSemidefinite: false, ratio: 0.3)!
        XCTAssertEqual(matched.mean, 0.3, accuracy: 1e-15)
        XCTAssertEqual(matched.variance, moments([-2, -1, 0.5, 1, 3]).variance, accuracy: 1e-14)
    }

    /// Marchenko–Pastur quantile levels: mean μ and variance qμ² to O(1/n), and F reproduced to 1e-10.
    func testMarchenkoPasturQuantiles() {
        let n = 4000, mu = 1.7
        for q in [0.25, 0.5, 1.0] {
            let law = LimitingDensity.marchenkoPastur(mean: mu, ratio: q)
            let levels = RankOrderedReference.quantileLevels(law, positiveCount: n)
            XCTAssertEqual(levels.count, n)
            for (k, x) in levels.enumerated() where k % 7 == 0 {
                XCTAssertEqual(law.cumulative(x), 1 - (Double(k) + 0.5) / Double(n), accuracy: 1e-10, "q = \(q)")
            }
            let (m, v) = moments(levels)
            print("MP q = \(q), n = \(n): mean \(m) (\(mu)), variance \(v) (\(q * mu * mu))")
            XCTAssertEqual(m, mu, accuracy: 0.1 * mu / Double(n), "q = \(q)")
            XCTAssertEqual(v, q * mu * mu, accuracy: 0.1 * q * mu * mu / Double(n), "q = \(q)")
        }
    }

    /// 65536 levels (the largest spectra the jobs take) cost well under a second even in a debug build.
    func testQuantileLevelsAreFastForLargeSpectra() {
        let start = Date()
        let mp = RankOrderedReference.quantileLevels(.marchenkoPastur(mean: 1, ratio: 0.5), positiveCount: 65536)
        let sc = RankOrderedReference.quantileLevels(.semicircle(centre: 0, radius: 2), positiveCount: 65536)
        let elapsed = Date().timeIntervalSince(start)
        print(String(format: "2 × 65536 quantile levels in %.3f s", elapsed))
        XCTAssertEqual(mp.count + sc.count, 2 * 65536)
        XCTAssertLessThan(elapsed, 1)
    }

    /// The sorted eigenvalues of a white sample covariance (n = 4000, d = 1000) lie on the Marchenko–Pastur
    /// quantile reference; the moment estimate of q is close to d/(n − 1).
    func testMarchenkoPasturReferenceMatchesSampleCovariance() throws {
        let (n, d) = (4000, 1000)
        let block = SyntheticData.gaussian(samples: 0 ..< n, total: n, features: d, seed: 29)
        let levels = try SymmetricEigen(ShardedCovariance.covariance(block, communicator: .world).matrix).values
        let q = Double(d) / Double(n - 1)
        let descending = PowerLaw.rankOrdered(levels)
        let mean = levels.reduce(0, +) / Double(d)
        for ratio in [q, nil] {
            let reference = RankOrderedReference(ascending: levels, positiveSemidefinite: true, ratio: ratio, fitRanks: nil)
            let goe = reference.levels[.goe]!
            XCTAssertEqual(goe, reference.levels[.gue]!)
            XCTAssertEqual(goe.count, d)
            let deviation = zip(goe, descending).map { abs($0 - $1) / mean }
            let bulk = deviation[10 ..< d - 10].max()!, all = deviation.max()!
            print(String(format: "white covariance vs MP (q %@): bulk max |Δλ|/λ̄ %.4f, all %.4f, fitted q %.4f (d/(n−1) %.4f)",
                         ratio == nil ? "estimated" : "given", bulk, all, reference.density!.ratio!, q))
            XCTAssertLessThan(bulk, 0.02)
            XCTAssertLessThan(all, 0.05)
            XCTAssertEqual(reference.density!.ratio!, q, accuracy: 0.01)
        }
    }

    /// Exponential order statistics: the closed form against harmonic numbers and against the integral
    /// E[X₍ᵢ₎] = ∫ P(at least i of n exceed x) dx; their entropy tends to ln n − (1 − γ).
    func testPoissonExponentialOrderStatistics() {
        let n = 6, mu = 2.5
        let levels = RankOrderedReference.exponentialOrderStatistics(count: n, mean: mu)
        let harmonic = (0 ... n).map { k in (0 ..< k).reduce(0.0) { $0 + 1 / Double($1 + 1) } }
        for i in 1 ... n { XCTAssertEqual(levels[i - 1], mu * (harmonic[n] - harmonic[i - 1]), accuracy: 1e-14) }
        XCTAssertEqual(levels.reduce(0, +), Double(n) * mu, accuracy: 1e-13)
        func binomial(_ n: Int, _ k: Int) -> Double { (0 ..< k).reduce(1.0) { $0 * Double(n - $1) / Double($1 + 1) } }
        for i in 1 ... n {
            // P(X₍ᵢ₎ > x) with p = e^{−x/μ} the chance that one level exceeds x; Simpson on [0, 40μ].
            func tail(_ x: Double) -> Double {
                let p = exp(-x / mu)
                return (i ... n).reduce(0.0) { $0 + binomial(n, $1) * pow(p, Double($1)) * pow(1 - p, Double(n - $1)) }
            }
            let m = 40000, h = 40 * mu / Double(m)
            var sum = 0.0
            for k in 0 ... m { sum += ((k == 0 || k == m) ? 1 : (k % 2 == 1 ? 4 : 2)) * tail(Double(k) * h) }
            XCTAssertEqual(levels[i - 1], sum * h / 3, accuracy: 1e-9, "rank \(i)")
        }
        // H(p ∝ x), x ~ Exp: ln n − E[x ln x]/E[x] + ln E[x] = ln n − (1 − γ) for large n; e^H/n → e^{γ−1}.
        var previous = Double.infinity
        for size in [1024, 16384, 65536] {
            let e = EntropySummary(levels: RankOrderedReference.exponentialOrderStatistics(count: size, mean: 3))
            let gap = abs(e.entropy - log(Double(size)) + 1 - SpecialFunctions.eulerGamma)
            print("Poisson reference n = \(size): H − ln n = \(e.entropy - log(Double(size))), PR/n = \(e.participationRatio / Double(size))")
            XCTAssertLessThan(gap, previous, "converging in n")
            previous = gap
        }
        XCTAssertLessThan(previous, 2e-3)
        let big = EntropySummary(levels: RankOrderedReference.exponentialOrderStatistics(count: 65536, mean: 3))
        XCTAssertEqual(big.effectiveRank / 65536, exp(SpecialFunctions.eulerGamma - 1), accuracy: 2e-3)
        XCTAssertEqual(big.participationRatio / 65536, 0.5, accuracy: 2e-3)
    }

    /// A GOE spectrum (no zero tolerance: semicircle reference) has the entropy, effective rank and α of its
    /// GOE reference, and every statistic has all three references.
    func testGOESpectrumMatchesItsReference() throws {
        for stream: UInt64 in [0, 1] {
            let levels = try RandomSpectra.levels(.goe, size: 2000, seed: 17, stream: stream)
            let a = SpectralAnalysis(levels: levels, options: AnalysisOptions())
            let r = a.rankOrderedReference
            XCTAssertEqual(r.density?.name, "semicircle")
            for e in ReferenceEnsemble.allCases {
                XCTAssertEqual(r.levels[e]?.count, a.rankOrdered.count, "\(e)")
                XCTAssertNotNil(r.powerLaw[e], "\(e)")
                XCTAssertEqual(r.powerLaw[e]?.firstRank, a.powerLaw!.firstRank)
                XCTAssertEqual(r.powerLaw[e]?.lastRank, a.powerLaw!.lastRank)
            }
            let goe = r.entropy[.goe]!, poisson = r.entropy[.poisson]!, fit = a.powerLaw!
            print(String(format: "GOE N = 2000: H %.4f (GOE %.4f, Poisson %.4f), e^H %.2f (GOE %.2f, Poisson %.2f), α %.4f over %d…%d (GOE %.4f, Poisson %.4f)",
                         a.entropy, goe.entropy, poisson.entropy, a.effectiveRank, goe.effectiveRank, poisson.effectiveRank,
                         fit.alpha, fit.firstRank, fit.lastRank, r.powerLaw[.goe]!.alpha, r.powerLaw[.poisson]!.alpha))
            XCTAssertEqual(a.effectiveRank, goe.effectiveRank, accuracy: 0.02 * goe.effectiveRank)
            XCTAssertEqual(a.participationRatio, goe.participationRatio, accuracy: 0.02 * goe.participationRatio)
            XCTAssertEqual(fit.alpha, r.powerLaw[.goe]!.alpha, accuracy: 0.02 * abs(r.powerLaw[.goe]!.alpha))
            // The Poisson reference is clearly different.
            XCTAssertGreaterThan(abs(a.effectiveRank - poisson.effectiveRank), 0.1 * goe.effectiveRank)
            let names = SpectralAnalysis.scalarNames(lengths: AnalysisOptions().lengths)
            XCTAssertEqual(names.count, a.scalars.count)
            XCTAssertEqual(a.scalars[names.firstIndex(of: "effective_rank_goe")!], goe.effectiveRank)
            XCTAssertEqual(a.scalars[names.firstIndex(of: "alpha_poisson")!], r.powerLaw[.poisson]!.alpha)
        }
    }
}
