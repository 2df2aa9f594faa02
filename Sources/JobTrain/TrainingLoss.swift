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

extension TrainingLoss {
    /// The Learning loss for `rows` rows per rank, as `DataParallelTrainer` takes it: MSE,
    /// softmax cross-entropy on Int32 labels, or binary cross-entropy with logits (the trainer
    /// turns 0/1 labels into float targets for one logit).
    func makeLoss(rows: Int) -> any Loss {
        switch self {
        case .mse(let w): return MSE(features: w, batch: rows)
        case .crossEntropy(let c): return SoftmaxCrossEntropy(classes: c, batch: rows)
        case .bceLogits(let w, _): return BinaryCrossEntropyWithLogits(features: w, batch: rows)
        }
    }
}
