import Learning

/// A rank's batch, allocated once for its largest share: inputs, and the targets in the form the
/// loss takes (Int32 labels, or floats: regression values, or 0/1 labels for a single-logit
/// binary cross-entropy).
final class BatchBuffers {
    let inputs: UnsafeMutablePointer<Float>
    let inputElements: Int
    let capacity: Int
    /// Class count when targets are classes (accuracy is measured), else nil.
    let classes: Int?
    /// Labels from the source (class targets).
    private let labels: UnsafeMutablePointer<Int32>?
    /// Float targets: the source's values, or labels converted for binary cross-entropy.
    private let floats: UnsafeMutablePointer<Float>?
    /// Targets per row as the loss reads them.
    private let targetsPerRow: Int
    /// Whether the loss reads `floats` (else `labels`).
    private let lossTakesFloats: Bool
    private let labelsToFloats: Bool
    private let outputs: Int

    init(kind: TargetKind, loss: any Loss, inputElements: Int, rows: Int) throws {
        func targetType<L: Loss>(_ l: L) -> Any.Type { L.Target.self }
        let type = targetType(loss)
        self.inputElements = inputElements
        capacity = rows
        outputs = loss.features
        inputs = .allocate(capacity: max(1, rows * inputElements))
        inputs.initialize(repeating: 0, count: max(1, rows * inputElements))
        switch kind {
        case let .classes(n):
            classes = n
            labels = .allocate(capacity: max(1, rows))
            labels!.initialize(repeating: 0, count: max(1, rows))
            if type == Int32.self {
                guard loss.features == n else {
                    throw TrainingError.mismatch("the data has \(n) classes but the loss takes \(loss.features) logits")
                }
                floats = nil; targetsPerRow = 1; lossTakesFloats = false; labelsToFloats = false
            } else if type == Float.self && n == 2 && loss.features == 1 {
                floats = .allocate(capacity: max(1, rows))
                floats!.initialize(repeating: 0, count: max(1, rows))
                targetsPerRow = 1; lossTakesFloats = true; labelsToFloats = true
            } else {
                throw TrainingError.mismatch("the data has \(n) class labels: use softmax cross-entropy with \(n) logits"
                    + (n == 2 ? " or binary cross-entropy with 1 logit" : "") + " (the loss takes \(loss.features) outputs)")
            }
        case let .values(w):
            classes = nil
            labels = nil
            guard type == Float.self && loss.features == w else {
                throw TrainingError.mismatch("the data has \(w) target values per sample: use a loss on \(w) real outputs "
                    + "such as MSE (the loss takes \(loss.features) outputs of \(type))")
            }
            floats = .allocate(capacity: max(1, rows * w))
            floats!.initialize(repeating: 0, count: max(1, rows * w))
            targetsPerRow = w; lossTakesFloats = true; labelsToFloats = false
        }
    }

    deinit {
        inputs.deallocate()
        labels?.deallocate()
        floats?.deallocate()
    }

    /// Loads the samples `indices` (at most `capacity`).
    func load(_ indices: UnsafeBufferPointer<Int>, from source: any SampleSource) throws {
        precondition(indices.count <= capacity, "batch of \(indices.count) rows, buffers for \(capacity)")
        try source.load(indices: indices, inputs: inputs, targets: labels == nil ? floats : nil, labels: labels)
        if labelsToFloats, let labels, let floats {
            for r in 0 ..< indices.count { floats[r] = Float(labels[r]) }
        }
    }

    /// Checks labels are in range (before the loss, which would stop the process on a bad one).
    func checkLabels(rows: Int) throws {
        guard let labels, let classes else { return }
        for r in 0 ..< rows where labels[r] < 0 || Int(labels[r]) >= classes {
            throw TrainingError.mismatch("sample label \(labels[r]) is outside the classes 0 ..< \(classes)")
        }
    }

    /// The loss's share Σ_rows ℓ / globalBatch on the loaded targets; writes its gradient.
    func evaluate(_ loss: any Loss, _ predictions: UnsafeBufferPointer<Float>, rows: Int, globalBatch: Int) -> Float {
        let raw = UnsafeRawPointer(lossTakesFloats ? UnsafeRawPointer(floats!) : UnsafeRawPointer(labels!))
        let count = rows * targetsPerRow
        func run<L: Loss>(_ l: L) -> Float {
            let targets = UnsafeBufferPointer(start: raw.assumingMemoryBound(to: L.Target.self), count: count)
            return l.evaluate(predictions, targets, rows: rows, globalBatch: globalBatch)
        }
        return run(loss)
    }

    /// Rows whose prediction is the label (arg-max of the logits, or logit > 0 for one logit); 0 for
    /// value targets.
    func correct(_ predictions: UnsafeBufferPointer<Float>, rows: Int) -> Int {
        guard let labels else { return 0 }
        var hits = 0
        let p = predictions.baseAddress!
        for r in 0 ..< rows {
            let z = p + r * outputs
            var best = 0
            if outputs == 1 {
                best = z[0] > 0 ? 1 : 0
            } else {
                for j in 1 ..< outputs where z[j] > z[best] { best = j }
            }
            if best == Int(labels[r]) { hits += 1 }
        }
        return hits
    }
}
