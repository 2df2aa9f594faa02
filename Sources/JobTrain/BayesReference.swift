import Learning
import Parallel

/// A held-out source whose Bayes-optimal classifier is known in closed form (the Gaussian mixture
/// of the TrainingData module): at the end of a run `train` compares the network with it on the
/// held-out samples and writes `/bayes`. Making the mixture source conform (an extension with
/// these two members) is all the wiring it needs.
public protocol BayesOptimalReference: SampleSource {
    /// The optimal discriminant log N(x; μ₁, Σ₁) − log N(x; μ₀, Σ₀) + log(p₁/p₀) of the samples
    /// `indices` (positive: class 1), written into `into`.
    func logLikelihoodRatio(indices: UnsafeBufferPointer<Int>, into: UnsafeMutablePointer<Double>) throws
    /// Φ(Δ/2), Δ the Mahalanobis distance of the means, when the classes share their covariance
    /// (and have equal priors); nil otherwise.
    var closedFormAccuracy: Double? { get }
}

extension HeldOutBatch {
    /// The network against the Bayes-optimal classifier on the held-out samples of `reference`
    /// (binary labels; the network's logit is its one output, or z₁ − z₀ for two outputs). Each
    /// rank takes a contiguous share; sums are reduced in double. Collective.
    func compareWithBayes(_ reference: any BayesOptimalReference) throws -> BayesSummary {
        let comm = communicator
        let share = BatchSharding.shareRange(rank: comm.rank, ranks: comm.size, count: reference.count)
        // n, network correct, Bayes correct, agreements, Σz, Σl, Σz², Σl², Σzl
        var sums = [Double](repeating: 0, count: 9)
        var ratio = [Double](repeating: 0, count: localBatch)
        let width = model.outputFeatures
        var start = share.lowerBound
        while start < share.upperBound {
            let rows = min(localBatch, share.upperBound - start)
            for i in 0 ..< rows { indices[i] = start + i }
            try load(reference, rows: rows)
            try indices.withUnsafeBufferPointer { idx in
                try ratio.withUnsafeMutableBufferPointer { try reference.logLikelihoodRatio(indices: UnsafeBufferPointer(rebasing: idx[0 ..< rows]), into: $0.baseAddress!) }
            }
            let out = inputs.withUnsafeBufferPointer { model.forward($0, rows: rows) }
            for r in 0 ..< rows {
                let z = width == 1 ? Double(out[r]) : Double(out[r * width + 1]) - Double(out[r * width])
                let l = ratio[r], positive = labels[r] != 0
                sums[0] += 1
                if (z > 0) == positive { sums[1] += 1 }
                if (l > 0) == positive { sums[2] += 1 }
                if (z > 0) == (l > 0) { sums[3] += 1 }
                sums[4] += z; sums[5] += l; sums[6] += z * z; sums[7] += l * l; sums[8] += z * l
            }
            start += rows
        }
        if comm.size > 1 { try comm.allreduce(inPlace: &sums, .sum) }
        let n = sums[0]
        let covariance = sums[8] / n - sums[4] / n * sums[5] / n
        let varianceZ = sums[6] / n - sums[4] * sums[4] / (n * n), varianceL = sums[7] / n - sums[5] * sums[5] / (n * n)
        return BayesSummary(networkAccuracy: sums[1] / n, bayesAccuracy: sums[2] / n,
                               bayesAccuracyClosedForm: reference.closedFormAccuracy ?? .nan, agreement: sums[3] / n,
                               logitCorrelation: covariance / (varianceZ * varianceL).squareRoot(), samples: Int(n))
    }
}
