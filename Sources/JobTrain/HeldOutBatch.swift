import Learning
import Parallel

/// A rank's batch buffers for passes over a held-out source outside the trainer (the
/// Bayes-optimal comparison of `BayesReference.swift`): the model's inputs, regression targets and
/// labels for `localBatch` rows, allocated once. Training and evaluation go through
/// `DataParallelTrainer`, which has buffers of its own.
final class HeldOutBatch {
    /// The trained model (forward only).
    let model: Sequential
    /// The ranks sharing the held-out passes.
    let communicator: Communicator
    /// Rows per forward pass (the model's batch).
    let localBatch: Int
    /// Global sample indices of the loaded rows.
    var indices: [Int]
    /// Inputs, localBatch × model.inputFeatures.
    var inputs: [Float]
    /// Regression targets (unused for class targets).
    var targets: [Float]
    /// Class labels (unused for regression).
    var labels: [Int32]

    /// Buffers for `model.batch` rows of `model`'s input; `targetWidth` floats of regression
    /// targets per row (0 for class labels).
    init(model: Sequential, communicator: Communicator, targetWidth: Int = 0) {
        self.model = model
        self.communicator = communicator
        localBatch = model.batch
        indices = [Int](repeating: 0, count: localBatch)
        inputs = [Float](repeating: 0, count: localBatch * model.inputFeatures)
        targets = [Float](repeating: 0, count: localBatch * targetWidth)
        labels = [Int32](repeating: 0, count: localBatch)
    }

    /// Loads `rows` samples `indices[0 ..< rows]` of `source` into the buffers.
    func load(_ source: any SampleSource, rows: Int) throws {
        var labelled = true
        if case .values(let w) = source.targetKind {
            labelled = false
            // Sized once, on the first regression pass.
            if targets.count < localBatch * w { targets = [Float](repeating: 0, count: localBatch * w) }
        }
        try indices.withUnsafeBufferPointer { idx in
            try inputs.withUnsafeMutableBufferPointer { x in
                try targets.withUnsafeMutableBufferPointer { t in
                    try labels.withUnsafeMutableBufferPointer { l in
                        try source.load(indices: UnsafeBufferPointer(rebasing: idx[0 ..< rows]), inputs: x.baseAddress!,
                                        targets: labelled ? nil : t.baseAddress, labels: labelled ? l.baseAddress : nil)
                    }
                }
            }
        }
    }
}
