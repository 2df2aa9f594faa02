import CounterRNG
import Foundation
import Linalg

/// Two overlapping Gaussian classes in d dimensions, N(m₀, Σ₀) and N(m₁, Σ₁), with priors p₀ = 1 − p₁ and p₁.
///
/// Each covariance is given by its eigendecomposition Σ_c = U_c Λ_c U_cᵀ (float64 throughout): column k
/// of `bases[c]` is the eigenvector of eigenvalue `eigenvalues[c][k]`. Built from a ``Configuration``:
///
/// - **Eigenvalues** follow a power law λ_k = d · k^(−α_c) / Σ_{j=1}^{d} j^(−α_c), k = 1 … d (largest
///   first), so every class has trace Σ_k λ_k = d: the average variance per coordinate is 1 whatever α.
/// - **Eigenvectors** are a random orthogonal matrix, the Q of the QR of a d × d standard normal matrix
///   (signs fixed so Q is Haar-distributed) keyed by (seed, class): `.shared` uses class 0's basis for
///   both classes, `.different` draws one per class.
/// - **Means** are m₁ = +μ/2 and m₀ = −μ/2 with μ = s · u for a unit vector u (``MeanDirection``: a
///   random direction keyed by the seed, eigenvector k of class 0, or a coordinate axis) and the scale s
///   such that |μ| = separation (`.euclidean`) or the Mahalanobis distance under class 0,
///   (μᵀ Σ₀⁻¹ μ)^{1/2}, equals it (`.mahalanobis`).
///
/// A sample is x = m_c + U_c Λ_c^{1/2} z: the label c from one uniform keyed by the sample index
/// (c = 1 when u < p₁), z ~ N(0, I_d) keyed by (seed, sample index, element). So sample i is the same
/// whatever rank draws it, in whatever batch or order. The Bayes-optimal classifier is in
/// `GaussianMixture+Bayes.swift`.
public final class GaussianMixture: Sendable {
    /// How the class eigenbases relate.
    public enum Eigenvectors: String, Sendable, CaseIterable {
        /// One random basis for both classes (with equal exponents the covariances are equal).
        case shared
        /// An independent random basis per class.
        case different
    }

    /// The direction u of the mean difference μ = m₁ − m₀.
    public enum MeanDirection: Sendable, Equatable {
        /// A uniformly random unit vector keyed by the seed.
        case random
        /// Eigenvector k (1 … d, 1 = the largest eigenvalue) of class 0's covariance.
        case eigenvector(Int)
        /// Coordinate axis j (0 ..< d).
        case axis(Int)
    }

    /// What `separation` measures.
    public enum SeparationMeasure: String, Sendable, CaseIterable {
        /// |μ| = |m₁ − m₀|.
        case euclidean
        /// (μᵀ Σ₀⁻¹ μ)^{1/2}: with equal covariances the Δ of the Bayes accuracy Φ(Δ/2).
        case mahalanobis
    }

    /// Everything that defines a mixture; ``GaussianMixture/init(_:)`` checks it.
    public struct Configuration: Sendable, Equatable {
        /// Dimension d of x.
        public var dimension: Int
        /// Power-law exponent α₀ of class 0's eigenvalues λ_k ∝ k^(−α₀).
        public var exponent0: Double
        /// Power-law exponent α₁ of class 1's eigenvalues.
        public var exponent1: Double
        /// Shared or different eigenvectors.
        public var eigenvectors: Eigenvectors
        /// Size of the mean difference, in the units `separationMeasure` says.
        public var separation: Double
        /// Euclidean or Mahalanobis (under class 0) separation.
        public var separationMeasure: SeparationMeasure
        /// Direction of the mean difference.
        public var meanDirection: MeanDirection
        /// Prior p₁ of class 1, in (0, 1).
        public var prior1: Double
        /// Seed of the bases, the mean direction and every sample.
        public var seed: UInt64

        /// A configuration; both classes share `exponent` unless `exponent1` is given.
        public init(dimension: Int, exponent: Double, exponent1: Double? = nil, eigenvectors: Eigenvectors = .shared,
                    separation: Double, separationMeasure: SeparationMeasure = .euclidean,
                    meanDirection: MeanDirection = .random, prior1: Double = 0.5, seed: UInt64) {
            self.dimension = dimension
            self.exponent0 = exponent
            self.exponent1 = exponent1 ?? exponent
            self.eigenvectors = eigenvectors
            self.separation = separation
            self.separationMeasure = separationMeasure
            self.meanDirection = meanDirection
            self.prior1 = prior1
            self.seed = seed
        }
    }

    /// Largest dimension accepted: two d × d float64 bases take 2 · 8 · d² bytes (1 GiB at 8192).
    public static let maxDimension = 8192

    /// Dimension d.
    public let dimension: Int
    /// Prior p₁ of class 1 (p₀ = 1 − p₁).
    public let prior1: Double
    /// m₀ and m₁.
    public let means: [[Double]]
    /// Λ₀ and Λ₁ (each d values, in the order of the basis columns).
    public let eigenvalues: [[Double]]
    /// U₀ and U₁ (row-major d × d; column k is eigenvector k).
    public let bases: [Matrix]
    /// Seed of the samples (and, from a configuration, of the bases and mean direction).
    public let seed: UInt64
    /// Why the class covariances are (or may be) different, or nil when they are equal.
    public let covarianceDifference: String?

    /// √λ per class, for sampling.
    let scales: [[Double]]
    /// log det Σ_c = Σ_k log λ_c,k.
    let logDeterminants: [Double]

    /// Builds the mixture a configuration describes. Throws a ``TrainingDataError`` naming the field
    /// (dimension, exponent0/1, separation, meanDirection, prior1) before any heavy work.
    public convenience init(_ c: Configuration) throws {
        let d = c.dimension
        guard d >= 1 && d <= GaussianMixture.maxDimension else {
            throw TrainingDataError("dimension", "is \(d)", fix: "use 1 … \(GaussianMixture.maxDimension) (two d × d float64 bases are held in memory)")
        }
        for (name, a) in [("exponent0", c.exponent0), ("exponent1", c.exponent1)] where !a.isFinite || abs(a) > 20 {
            throw TrainingDataError(name, "is \(a)", fix: "use a finite power-law exponent α with |α| ≤ 20 (λ_k ∝ k^(−α); 0 is isotropic)")
        }
        guard c.separation.isFinite && c.separation >= 0 else {
            throw TrainingDataError("separation", "is \(c.separation)", fix: "use a finite separation ≥ 0")
        }
        guard c.prior1 > 0 && c.prior1 < 1 else {
            throw TrainingDataError("prior1", "is \(c.prior1)", fix: "use a class-1 prior strictly between 0 and 1 (0.5: balanced classes)")
        }
        switch c.meanDirection {
        case .eigenvector(let k) where !(1 ... d).contains(k):
            throw TrainingDataError("meanDirection", "is eigenvector \(k)", fix: "use an eigenvector index 1 … \(d) (1: the largest eigenvalue)")
        case .axis(let j) where !(0 ..< d).contains(j):
            throw TrainingDataError("meanDirection", "is axis \(j)", fix: "use a coordinate axis 0 ..< \(d)")
        default: break
        }
        let lambdas = [c.exponent0, c.exponent1].map { GaussianMixture.powerLaw(dimension: d, exponent: $0) }
        let u0 = try GaussianMixture.randomOrthogonal(dimension: d, seed: c.seed, basis: 0)
        let u1 = c.eigenvectors == .shared ? u0 : try GaussianMixture.randomOrthogonal(dimension: d, seed: c.seed, basis: 1)
        var u = [Double](repeating: 0, count: d)
        switch c.meanDirection {
        case .random:
            let rng = SampleStream.meanDirection.rng(seed: c.seed)
            u = rng.normals(d)
            let norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
            u = u.map { $0 / norm }
        case .eigenvector(let k): u = u0.column(k - 1)
        case .axis(let j): u[j] = 1
        }
        var scale = c.separation
        if c.separationMeasure == .mahalanobis {
            // Δ(u) under Σ₀ = (Σ_k (u_k · u)² / λ₀,k)^{1/2}; scale u so that Δ = separation.
            var q = 0.0
            for k in 0 ..< d {
                var p = 0.0
                for i in 0 ..< d { p += u0[i, k] * u[i] }
                q += p * p / lambdas[0][k]
            }
            scale = c.separation / q.squareRoot()
        }
        let m1 = u.map { 0.5 * scale * $0 }
        var difference: String? = nil
        if c.eigenvectors == .different { difference = "the classes have different eigenvectors (eigenvectors = different)" }
        if c.exponent0 != c.exponent1 { difference = "the classes have different eigenvalue exponents (\(c.exponent0) and \(c.exponent1))" }
        // QR's Q is orthogonal and the covariances are equal exactly when bases and exponents are shared,
        // so the O(d³) checks of the general initialiser are skipped.
        self.init(verified: [m1.map { -$0 }, m1], eigenvalues: lambdas, bases: [u0, u1], prior1: c.prior1, seed: c.seed,
                  covarianceDifference: difference)
    }

    /// A mixture from its parts (studies with covariances of their own, tests). `bases` must be
    /// orthogonal (checked to 1e-8), eigenvalues positive; whether the class covariances are equal is
    /// found by comparing U_c Λ_c U_cᵀ (two O(d³) products, like the orthogonality checks).
    public convenience init(means: [[Double]], eigenvalues: [[Double]], bases: [Matrix], prior1: Double = 0.5, seed: UInt64) throws {
        let d = means.first?.count ?? 0
        guard d >= 1, means.count == 2, eigenvalues.count == 2, bases.count == 2,
              means.allSatisfy({ $0.count == d }), eigenvalues.allSatisfy({ $0.count == d }),
              bases.allSatisfy({ $0.rows == d && $0.columns == d }) else {
            throw TrainingDataError("means", "two means, two eigenvalue lists and two bases of one dimension d ≥ 1 are needed",
                                    fix: "give [m₀, m₁], [Λ₀, Λ₁] and [U₀, U₁] with d, d and d × d entries")
        }
        guard prior1 > 0 && prior1 < 1 else {
            throw TrainingDataError("prior1", "is \(prior1)", fix: "use a class-1 prior strictly between 0 and 1")
        }
        for c in 0 ..< 2 {
            guard eigenvalues[c].allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw TrainingDataError("eigenvalues", "of class \(c) are not all positive and finite", fix: "give a positive definite covariance")
            }
            let gram = bases[c].transposed * bases[c]
            for i in 0 ..< d { for j in 0 ..< d where abs(gram[i, j] - (i == j ? 1 : 0)) > 1e-8 {
                throw TrainingDataError("bases", "of class \(c) is not orthogonal (UᵀU[\(i), \(j)] = \(gram[i, j]))", fix: "give orthonormal eigenvectors as columns")
            } }
        }
        // Σ = U Λ Uᵀ per class, compared element by element relative to the largest eigenvalue.
        let s = (0 ..< 2).map { c -> Matrix in
            var scaled = bases[c]
            for i in 0 ..< d { for k in 0 ..< d { scaled[i, k] *= eigenvalues[c][k] } }
            return scaled * bases[c].transposed
        }
        let top = eigenvalues.flatMap { $0 }.max() ?? 1
        let worst = zip(s[0].elements, s[1].elements).map { abs($0 - $1) }.max() ?? 0
        self.init(verified: means, eigenvalues: eigenvalues, bases: bases, prior1: prior1, seed: seed,
                  covarianceDifference: worst <= 1e-12 * top ? nil : "the class covariances differ (largest element difference \(worst))")
    }

    /// Parts already checked; `covarianceDifference` nil means Σ₀ = Σ₁.
    private init(verified means: [[Double]], eigenvalues: [[Double]], bases: [Matrix], prior1: Double, seed: UInt64,
                 covarianceDifference: String?) {
        self.dimension = means[0].count
        self.prior1 = prior1
        self.means = means
        self.eigenvalues = eigenvalues
        self.bases = bases
        self.seed = seed
        self.covarianceDifference = covarianceDifference
        scales = eigenvalues.map { $0.map { $0.squareRoot() } }
        logDeterminants = eigenvalues.map { $0.reduce(0) { $0 + log($1) } }
    }

    /// Bytes a mixture of dimension d holds (one or two d × d float64 bases) plus what building it needs at
    /// its peak (the Gaussian matrix, its transpose and Q of one basis); a job's memory estimate adds
    /// 3 · batch · d · 8 bytes per source for its draw buffers.
    public static func memoryBytes(dimension d: Int, eigenvectors: Eigenvectors) -> Int {
        (eigenvectors == .shared ? 1 : 2) * 8 * d * d + 3 * 8 * d * d
    }

    /// Whether Σ₀ = Σ₁ (then the Bayes classifier is linear and its accuracy has a closed form).
    public var covariancesAreEqual: Bool { covarianceDifference == nil }

    /// λ_k = d · k^(−α) / Σ_j j^(−α), k = 1 … d: trace d.
    public static func powerLaw(dimension d: Int, exponent alpha: Double) -> [Double] {
        let raw = (1 ... d).map { pow(Double($0), -alpha) }
        let norm = Double(d) / raw.reduce(0, +)
        return raw.map { $0 * norm }
    }

    /// The Haar-random orthogonal d × d matrix of (seed, basis): QR of a standard normal matrix whose
    /// element (i, j) is normal variate i·d + j of the basis stream.
    public static func randomOrthogonal(dimension d: Int, seed: UInt64, basis: Int) throws -> Matrix {
        let g = SampleStream.basis.rng(seed: seed, basis).normals(d * d)
        return try QR.orthonormalFactor(Matrix(rows: d, columns: d, elements: g))
    }

    /// The class label of sample `key`: 1 when its uniform is below p₁.
    public func label(ofSample key: Int) -> Int32 {
        SampleStream.label.rng(seed: seed).uniform(at: UInt64(key)) < prior1 ? 1 : 0
    }
}
