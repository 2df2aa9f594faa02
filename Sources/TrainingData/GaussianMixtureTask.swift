import Learning

/// Binary classification of a ``GaussianMixture``: `count` samples (labels 0/1) addressed by index
/// 0 ..< count, which are the mixture's samples `firstSample ..< firstSample + count`.
///
/// A training set and a held-out test set are two tasks on one mixture with disjoint sample ranges
/// (``heldOut(count:)``): same distribution, independent draws. Each `load` draws its rows on the spot
/// from counter-based streams, so nothing is stored and any rank gets the same sample i.
///
/// Not thread-safe: a task draws into buffers of its own, so one `load` or `tally` at a time per instance.
public final class GaussianMixtureTask: SampleSource {
    /// The distribution.
    public let mixture: GaussianMixture
    /// Number of samples.
    public let count: Int
    /// Mixture sample key of index 0.
    public let firstSample: Int
    /// Where ``heldOut(count:)`` starts, above any training range a run could use.
    public static let heldOutOffset = 1 << 40

    private let workspace = MixtureWorkspace()

    /// The samples `firstSample ..< firstSample + count` of `mixture`.
    public init(mixture: GaussianMixture, count: Int, firstSample: Int = 0) throws {
        guard count >= 1 else { throw TrainingDataError("count", "is \(count)", fix: "use at least one sample") }
        guard firstSample >= 0, firstSample <= SampleStream.maxSample - count else {
            throw TrainingDataError("firstSample", "is \(firstSample) with \(count) samples", fix: "keep firstSample + count below 2^56")
        }
        self.mixture = mixture
        self.count = count
        self.firstSample = firstSample
    }

    /// `count` samples of the same mixture that no training task starting at 0 with fewer than 2^40
    /// samples shares: the test set.
    public func heldOut(count: Int) throws -> GaussianMixtureTask {
        try GaussianMixtureTask(mixture: mixture, count: count, firstSample: firstSample + GaussianMixtureTask.heldOutOffset)
    }

    /// [d].
    public var inputShape: TensorShape { .vector(mixture.dimension) }
    /// Two classes (a single logit with binary cross-entropy also fits: labels are 0/1).
    public var targetKind: TargetKind { .classes(2) }

    /// Draws the samples `indices` (float64, then rounded to float32) and their labels.
    public func load(indices: UnsafeBufferPointer<Int>, inputs: UnsafeMutablePointer<Float>,
                     targets: UnsafeMutablePointer<Float>?, labels: UnsafeMutablePointer<Int32>?) throws {
        let n = indices.count, d = mixture.dimension, w = workspace
        guard n > 0 else { return }
        w.reserve(rows: n, dimension: d)
        for r in 0 ..< n {
            precondition(indices[r] >= 0 && indices[r] < count, "GaussianMixtureTask: index \(indices[r]) outside 0 ..< \(count)")
            w.keys[r] = firstSample + indices[r]
        }
        mixture.draw(keys: UnsafeBufferPointer(start: w.keys, count: n), into: w.samples, labels: w.labels, workspace: w)
        for i in 0 ..< n * d { inputs[i] = Float(w.samples[i]) }
        if let labels { labels.update(from: w.labels, count: n) }
        if let targets { for r in 0 ..< n { targets[r] = Float(w.labels[r]) } }
    }

    /// Adds the network's class-1 logits `logits` for the samples `indices` of this task to a tally
    /// against the Bayes-optimal classifier (the LLR is computed here, in float64, on the exact samples).
    public func tally(indices: UnsafeBufferPointer<Int>, logits: UnsafeBufferPointer<Float>, into tally: inout BayesTally) {
        precondition(logits.count >= indices.count, "tally: \(logits.count) logits for \(indices.count) samples")
        let n = indices.count, d = mixture.dimension, w = workspace
        guard n > 0 else { return }
        w.reserve(rows: n, dimension: d)
        for r in 0 ..< n { w.keys[r] = firstSample + indices[r] }
        mixture.draw(keys: UnsafeBufferPointer(start: w.keys, count: n), into: w.samples, labels: w.labels, workspace: w)
        mixture.logLikelihoodRatios(w.samples, rows: n, into: w.llr, workspace: w)
        tally.add(logits: logits, logLikelihoodRatios: UnsafeBufferPointer(start: w.llr, count: n),
                  labels: UnsafeBufferPointer(start: w.labels, count: n))
    }

    /// The network against the Bayes-optimal classifier on the whole task, given the network's class-1
    /// logit for every sample 0 ..< count in order (one rank holding them all; sharded evaluation
    /// sums ``BayesTally/sums`` over ranks instead).
    public func compareWithBayes(logits: [Float], chunk: Int = 4096) -> BayesComparison {
        precondition(logits.count == count, "compareWithBayes: \(logits.count) logits for \(count) samples")
        var t = BayesTally()
        var indices = [Int](repeating: 0, count: min(chunk, count))
        var start = 0
        while start < count {
            let n = min(chunk, count - start)
            for r in 0 ..< n { indices[r] = start + r }
            indices.withUnsafeBufferPointer { ip in
                logits.withUnsafeBufferPointer { lp in
                    tally(indices: UnsafeBufferPointer(rebasing: ip[0 ..< n]), logits: UnsafeBufferPointer(rebasing: lp[start ..< start + n]), into: &t)
                }
            }
            start += n
        }
        return t.comparison(mixture: mixture)
    }
}
