import Learning
import Parallel
import TrainingData

/// The trained network against the Bayes-optimal classifier of a Gaussian mixture on its held-out
/// samples (`/bayes`).
///
/// Each rank takes a contiguous share of the test samples, runs the network on them in batches of
/// the model's build batch and adds them to a ``TrainingData/BayesTally`` (the task draws the same
/// samples again in float64 for the log-likelihood ratio); the nine sums are allreduced, so the
/// result does not depend on the rank count (up to the order of float64 additions).
enum BayesEvaluation {
    /// Collective: every rank calls it with the same task. `model` must end in one logit (binary
    /// cross-entropy) or two (softmax: the class-1 logit is z₁ − z₀).
    static func compare(model: Sequential, task: GaussianMixtureTask, communicator comm: Communicator) throws -> BayesSummary {
        let width = model.outputFeatures, d = task.inputShape.elements, batch = model.batch
        precondition(width == 1 || width == 2, "BayesEvaluation: the model has \(width) outputs, not 1 or 2")
        let share = BatchSharding.shareRange(rank: comm.rank, ranks: comm.size, count: task.count)
        var tally = BayesTally()
        var indices = [Int](repeating: 0, count: batch)
        var inputs = [Float](repeating: 0, count: batch * d)
        var logits = [Float](repeating: 0, count: batch)
        var start = share.lowerBound
        while start < share.upperBound {
            let rows = min(batch, share.upperBound - start)
            for r in 0 ..< rows { indices[r] = start + r }
            try indices.withUnsafeBufferPointer { idx in
                let batchIndices = UnsafeBufferPointer(rebasing: idx[0 ..< rows])
                try inputs.withUnsafeMutableBufferPointer {
                    try task.load(indices: batchIndices, inputs: $0.baseAddress!, targets: nil, labels: nil)
                }
                let out = inputs.withUnsafeBufferPointer { model.forward($0, rows: rows) }
                for r in 0 ..< rows { logits[r] = width == 1 ? out[r] : out[2 * r + 1] - out[2 * r] }
                logits.withUnsafeBufferPointer { task.tally(indices: batchIndices, logits: UnsafeBufferPointer(rebasing: $0[0 ..< rows]), into: &tally) }
            }
            start += rows
        }
        var sums = tally.sums
        if comm.size > 1 { try comm.allreduce(inPlace: &sums, .sum) }
        let c = BayesTally(sums: sums).comparison(mixture: task.mixture)
        return BayesSummary(networkAccuracy: c.networkAccuracy, bayesAccuracy: c.bayesAccuracy,
                            bayesAccuracyStandardError: c.bayesAccuracyStandardError,
                            bayesAccuracyClosedForm: c.closedFormBayesAccuracy, agreement: c.agreement,
                            logitCorrelation: c.logitCorrelation, samples: c.samples)
    }
}
