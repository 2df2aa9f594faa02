/// What a training target is: class labels or real-valued vectors.
public enum TargetKind: Sendable, Equatable {
    /// One Int32 label in 0 ..< classes per sample (cross-entropy; 2 classes may also use a single
    /// logit with binary cross-entropy, labels 0/1).
    case classes(Int)
    /// `width` floats per sample (regression, MSE).
    case values(Int)
}

/// A set of training or evaluation samples addressed by GLOBAL sample index.
///
/// The trainer decides which global indices form a batch (a permutation keyed by seed and epoch,
/// identical on every rank) and asks each rank's source for its share only, so a source never has
/// to hold the whole set: an HDF5 source reads the rows it is asked for, a synthetic source draws
/// them from counter-based random streams keyed by the sample index (the same sample whatever the
/// rank count or the order of requests).
public protocol SampleSource: AnyObject {
    /// Number of samples; valid indices are 0 ..< count.
    var count: Int { get }
    /// Shape of one input sample ([features] or NHWC [H, W, C]).
    var inputShape: TensorShape { get }
    /// What the targets are.
    var targetKind: TargetKind { get }
    /// Writes the samples `indices` (in that order) into `inputs` (indices.count × inputShape.elements)
    /// and their targets into `labels` (for `.classes`, indices.count values) or `targets` (for
    /// `.values(w)`, indices.count × w); the other pointer is nil. Throws on I/O errors only.
    func load(indices: UnsafeBufferPointer<Int>, inputs: UnsafeMutablePointer<Float>,
              targets: UnsafeMutablePointer<Float>?, labels: UnsafeMutablePointer<Int32>?) throws
    /// Called by the trainer before it loads its share of a batch: with the global step (0, 1, 2, …:
    /// the steps taken before this one, the same on every rank, and restored by a resume) before a
    /// training batch, and with ``SamplePass/evaluation`` before each evaluation.
    ///
    /// A source whose samples are drawn afresh at every visit keys those draws by the pass, so they
    /// do not depend on the rank count or on a resume: diffusion training pairs (sample i's noise
    /// level and noise at step s keyed by (seed, i, s)), random augmentation. Fixed data ignores it
    /// (the default does nothing).
    func beginPass(_ pass: Int)
}

/// The passes ``SampleSource/beginPass(_:)`` is called with besides training steps (which are ≥ 0).
public enum SamplePass {
    /// Before an evaluation: every evaluation of a run sees the same draws, so held-out losses compare.
    public static let evaluation = -1
}

extension SampleSource {
    /// Fixed samples: nothing to key.
    public func beginPass(_ pass: Int) {}
}
