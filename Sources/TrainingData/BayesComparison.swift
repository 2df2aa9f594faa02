/// The network's classifier against the Bayes-optimal one on a test set (the job's `/bayes/*`).
public struct BayesComparison: Sendable, Equatable {
    /// Test samples compared.
    public let samples: Int
    /// Fraction of samples the network classifies correctly (class 1 when its logit > 0).
    public let networkAccuracy: Double
    /// Fraction the Bayes-optimal rule (class 1 when LLR > 0) classifies correctly: a Monte-Carlo
    /// estimate of the Bayes accuracy on this test set.
    public let bayesAccuracy: Double
    /// Standard error of `bayesAccuracy`, (a(1 − a)/n)^{1/2}.
    public let bayesAccuracyStandardError: Double
    /// The exact Bayes accuracy (Φ(Δ/2) for equal priors) when the class covariances are equal, else NaN.
    public let closedFormBayesAccuracy: Double
    /// Why `closedFormBayesAccuracy` is NaN, nil when it is not.
    public let closedFormUnavailableReason: String?
    /// Fraction of samples where the network and the Bayes rule decide the same class.
    public let agreement: Double
    /// Pearson correlation of the network's logit with the log-likelihood ratio over the test set
    /// (NaN when either is constant).
    public let logitCorrelation: Double
}

/// Sums over test samples from which a ``BayesComparison`` follows; ranks holding different test
/// samples add their ``sums`` (an allreduce) and build the comparison from the total.
public struct BayesTally: Sendable, Equatable {
    /// Samples, network-correct, Bayes-correct, agreements, Σ logit, Σ LLR, Σ logit², Σ LLR², Σ logit·LLR.
    public private(set) var sums = [Double](repeating: 0, count: 9)

    /// An empty tally.
    public init() {}

    /// A tally from ``sums`` (for example after summing them over ranks).
    public init(sums: [Double]) {
        precondition(sums.count == 9, "BayesTally needs 9 sums, got \(sums.count)")
        self.sums = sums
    }

    /// Adds samples: the network's class-1 logits, the LLRs and the true labels, one per sample.
    public mutating func add(logits: UnsafeBufferPointer<Float>, logLikelihoodRatios llr: UnsafeBufferPointer<Double>,
                             labels: UnsafeBufferPointer<Int32>) {
        precondition(logits.count >= llr.count && labels.count >= llr.count, "BayesTally.add: counts differ")
        for r in 0 ..< llr.count {
            let z = Double(logits[r]), l = llr[r], y = labels[r]
            let network: Int32 = z > 0 ? 1 : 0, bayes: Int32 = l > 0 ? 1 : 0
            sums[0] += 1
            if network == y { sums[1] += 1 }
            if bayes == y { sums[2] += 1 }
            if network == bayes { sums[3] += 1 }
            sums[4] += z; sums[5] += l; sums[6] += z * z; sums[7] += l * l; sums[8] += z * l
        }
    }

    /// Two tallies of disjoint samples together.
    public static func + (a: BayesTally, b: BayesTally) -> BayesTally {
        BayesTally(sums: zip(a.sums, b.sums).map(+))
    }

    /// The comparison, with the closed form taken from `mixture`.
    public func comparison(mixture: GaussianMixture) -> BayesComparison {
        let n = sums[0], a = sums[2] / n
        let cov = sums[8] / n - (sums[4] / n) * (sums[5] / n)
        let vz = sums[6] / n - (sums[4] / n) * (sums[4] / n), vl = sums[7] / n - (sums[5] / n) * (sums[5] / n)
        let correlation = vz > 0 && vl > 0 ? cov / (vz * vl).squareRoot() : .nan
        let closed = mixture.closedFormBayesAccuracy
        return BayesComparison(samples: Int(n), networkAccuracy: sums[1] / n, bayesAccuracy: a,
                               bayesAccuracyStandardError: (a * (1 - a) / n).squareRoot(),
                               closedFormBayesAccuracy: closed ?? .nan,
                               closedFormUnavailableReason: closed == nil ? "no closed form: \(mixture.covarianceDifference ?? "the covariances differ")" : nil,
                               agreement: sums[3] / n, logitCorrelation: correlation)
    }

    /// The class-1 logit of a two-logit softmax output (z₁ − z₀ per row of `rows` × 2 values), the
    /// statistic to compare with the LLR.
    public static func classOneLogits(fromTwoClass logits: UnsafeBufferPointer<Float>, rows: Int) -> [Float] {
        precondition(logits.count >= 2 * rows, "classOneLogits: \(logits.count) values for \(rows) rows of 2")
        return (0 ..< rows).map { logits[2 * $0 + 1] - logits[2 * $0] }
    }
}
