import JobKit
import Learning

/// The loss of a run, resolved against the data's targets: which Learning loss, on how many
/// model outputs.
public enum TrainingLoss: Equatable, Sendable, CustomStringConvertible {
    /// Mean squared error on `width` real-valued targets.
    case mse(width: Int)
    /// Softmax cross-entropy on `classes` logits, integer labels.
    case crossEntropy(classes: Int)
    /// Binary cross-entropy on `width` logits: targets in [0, 1], or 0/1 labels of 2 classes on one logit.
    case bceLogits(width: Int, fromLabels: Bool)

    /// The model's output width this loss needs.
    public var outputWidth: Int {
        switch self {
        case .mse(let w): return w
        case .crossEntropy(let c): return c
        case .bceLogits(let w, _): return w
        }
    }

    /// Whether accuracy is defined (classification).
    public var isClassification: Bool {
        switch self {
        case .mse: return false
        case .crossEntropy: return true
        case .bceLogits(_, let fromLabels): return fromLabels
        }
    }

    public var description: String {
        switch self {
        case .mse(let w): return "mse on \(w) output(s)"
        case .crossEntropy(let c): return "cross-entropy on \(c) classes"
        case .bceLogits(let w, let l): return l ? "bce-logits on one logit (2 classes)" : "bce-logits on \(w) output(s)"
        }
    }

    /// The loss for `kind` on targets `target`, or the problem naming `loss.kind` and the fix.
    public static func resolve(_ kind: LossKind, target: TargetKind, key: String = "loss.kind") -> Result<TrainingLoss, KeyedProblem> {
        switch (kind, target) {
        case (.auto, .values(let w)), (.mse, .values(let w)): return .success(.mse(width: w))
        case (.auto, .classes(2)), (.bceLogits, .classes(2)): return .success(.bceLogits(width: 1, fromLabels: true))
        case (.auto, .classes(let c)), (.crossEntropy, .classes(let c)): return .success(.crossEntropy(classes: c))
        case (.bceLogits, .values(let w)): return .success(.bceLogits(width: w, fromLabels: false))
        case (.mse, .classes(let c)):
            return .failure(KeyedProblem(ConfigProblem(path: key, message: "mse needs real-valued targets but the data has \(c) classes",
                                          fix: "use loss.kind = \"cross-entropy\" (or \"auto\")")))
        case (.crossEntropy, .values(let w)):
            return .failure(KeyedProblem(ConfigProblem(path: key, message: "cross-entropy needs class labels but the data has real-valued targets (width \(w))",
                                          fix: "use loss.kind = \"mse\" (or \"auto\"), or data with labels")))
        case (.bceLogits, .classes(let c)):
            return .failure(KeyedProblem(ConfigProblem(path: key, message: "bce-logits on labels needs 2 classes but the data has \(c)",
                                          fix: "use loss.kind = \"cross-entropy\" (or \"auto\")")))
        }
    }
}

/// The Learning loss of a run with its buffers, behind one interface for the loop: evaluate a
/// rank's share of a global batch and count correct decisions.
final class LossEvaluator {
    let loss: TrainingLoss
    private let mse: MSE?
    private let crossEntropy: SoftmaxCrossEntropy?
    private let bce: BinaryCrossEntropyWithLogits?
    /// 0/1 labels as float targets for bce-logits on 2 classes.
    private let labelTargets: UnsafeMutablePointer<Float>

    init(_ loss: TrainingLoss, batch: Int) {
        self.loss = loss
        switch loss {
        case .mse(let w): (mse, crossEntropy, bce) = (MSE(features: w, batch: batch), nil, nil)
        case .crossEntropy(let c): (mse, crossEntropy, bce) = (nil, SoftmaxCrossEntropy(classes: c, batch: batch), nil)
        case .bceLogits(let w, _): (mse, crossEntropy, bce) = (nil, nil, BinaryCrossEntropyWithLogits(features: w, batch: batch))
        }
        labelTargets = .allocate(capacity: max(batch, 1))
        labelTargets.initialize(repeating: 0, count: max(batch, 1))
    }

    deinit { labelTargets.deallocate() }

    /// dL/d(predictions) of the last `evaluate`.
    var gradient: UnsafeBufferPointer<Float> {
        mse?.gradient ?? crossEntropy?.gradient ?? bce!.gradient
    }

    /// This share's Σ ℓ / globalBatch; writes `gradient`.
    func evaluate(_ predictions: UnsafeBufferPointer<Float>, targets: UnsafePointer<Float>?, labels: UnsafePointer<Int32>?,
                  rows: Int, globalBatch: Int) -> Float {
        switch loss {
        case .mse(let w):
            return mse!.evaluate(predictions, UnsafeBufferPointer(start: targets, count: rows * w), rows: rows, globalBatch: globalBatch)
        case .crossEntropy:
            return crossEntropy!.evaluate(predictions, UnsafeBufferPointer(start: labels, count: rows), rows: rows, globalBatch: globalBatch)
        case .bceLogits(let w, let fromLabels):
            if fromLabels {
                for r in 0 ..< rows { labelTargets[r] = labels![r] != 0 ? 1 : 0 }
                return bce!.evaluate(predictions, UnsafeBufferPointer(start: labelTargets, count: rows), rows: rows, globalBatch: globalBatch)
            }
            return bce!.evaluate(predictions, UnsafeBufferPointer(start: targets, count: rows * w), rows: rows, globalBatch: globalBatch)
        }
    }

    /// Correct decisions among `rows` predictions (argmax for cross-entropy, logit > 0 for 2
    /// classes on one logit); 0 for regression.
    func correct(_ predictions: UnsafeBufferPointer<Float>, labels: UnsafePointer<Int32>?, rows: Int) -> Int {
        guard let labels else { return 0 }
        var n = 0
        switch loss {
        case .crossEntropy(let c):
            for r in 0 ..< rows {
                var best = 0
                for j in 1 ..< c where predictions[r * c + j] > predictions[r * c + best] { best = j }
                if best == Int(labels[r]) { n += 1 }
            }
        case .bceLogits(_, true):
            for r in 0 ..< rows where (predictions[r] > 0) == (labels[r] != 0) { n += 1 }
        default:
            break
        }
        return n
    }
}
