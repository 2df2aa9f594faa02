#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loss over rows × features predictions with its gradient computed in the same pass.
///
/// Values are means over the GLOBAL batch: a call on `rows` rows with `globalBatch` = N returns
/// Σ_rows ℓ / N and writes d(that)/d(predictions). A rank holding a share of the batch therefore
/// gets a loss and gradients that, summed over ranks (the trainer's allreduce), are the full-batch
/// mean and its gradient. Sums are accumulated in Double; the gradient is Float.
public protocol Loss: AnyObject {
    /// Per-row target type: `Float` values or `Int32` class indices.
    associatedtype Target
    /// Prediction width.
    var features: Int { get }
    /// dL/d(predictions) of the last `evaluate` (rows × features), allocated once.
    var gradient: UnsafeBufferPointer<Float> { get }
    /// This call's share Σ_rows ℓ / globalBatch of the loss; writes `gradient`.
    func evaluate(_ predictions: UnsafeBufferPointer<Float>, _ targets: UnsafeBufferPointer<Target>,
                  rows: Int, globalBatch: Int) -> Float
}

/// Shared gradient buffer and argument checks.
struct LossState {
    let features: Int
    let batch: Int
    let buffer: FloatBuffer

    init(features: Int, batch: Int) {
        precondition(features > 0 && batch > 0, "a loss needs a positive width and batch")
        self.features = features
        self.batch = batch
        buffer = FloatBuffer(count: features * batch)
    }

    var gradient: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: buffer.pointer, count: features * batch) }

    func check(_ p: Int, _ t: Int, targetsPerRow: Int, rows: Int, globalBatch: Int) {
        precondition(rows <= batch && rows <= globalBatch && globalBatch > 0, "loss: \(rows) rows, globalBatch \(globalBatch), built for \(batch)")
        precondition(p >= rows * features && t >= rows * targetsPerRow, "loss: too few predictions or targets")
    }
}

/// Mean squared error, ℓ = (1/F)·Σ_j (p_j − t_j)² per row (PyTorch's MSELoss with mean reduction
/// when the batch is whole); gradient 2(p − t)/(F·N).
public final class MSE: Loss {
    private let s: LossState
    /// A loss for up to `batch` rows of `features` predictions.
    public init(features: Int, batch: Int) { s = LossState(features: features, batch: batch) }
    /// Prediction width.
    public var features: Int { s.features }
    /// dL/d(predictions) of the last call.
    public var gradient: UnsafeBufferPointer<Float> { s.gradient }
    /// Targets are rows × features values.
    public func evaluate(_ predictions: UnsafeBufferPointer<Float>, _ targets: UnsafeBufferPointer<Float>,
                         rows: Int, globalBatch: Int) -> Float {
        s.check(predictions.count, targets.count, targetsPerRow: s.features, rows: rows, globalBatch: globalBatch)
        let norm = 1 / Double(s.features * globalBatch), g = s.buffer.pointer, scale = Float(2 * norm)
        var sum = 0.0
        for i in 0 ..< rows * s.features {
            let d = predictions[i] - targets[i]
            sum += Double(d) * Double(d)
            g[i] = scale * d
        }
        return Float(sum * norm)
    }
}

/// Softmax cross-entropy on logits with class-index labels: ℓ = logsumexp(z) − z_label, computed
/// with the row maximum subtracted so exp never overflows; gradient (softmax(z) − onehot)/N.
public final class SoftmaxCrossEntropy: Loss {
    private let s: LossState
    /// A loss for up to `batch` rows of `classes` logits.
    public init(classes: Int, batch: Int) { s = LossState(features: classes, batch: batch) }
    /// Number of classes.
    public var features: Int { s.features }
    /// dL/d(logits) of the last call.
    public var gradient: UnsafeBufferPointer<Float> { s.gradient }
    /// Targets are one class index in 0 ..< classes per row.
    public func evaluate(_ predictions: UnsafeBufferPointer<Float>, _ targets: UnsafeBufferPointer<Int32>,
                         rows: Int, globalBatch: Int) -> Float {
        s.check(predictions.count, targets.count, targetsPerRow: 1, rows: rows, globalBatch: globalBatch)
        let c = s.features, invN = 1 / Float(globalBatch), g = s.buffer.pointer
        var sum = 0.0
        for r in 0 ..< rows {
            let z = predictions.baseAddress! + r * c, gr = g + r * c, label = Int(targets[r])
            precondition(label >= 0 && label < c, "SoftmaxCrossEntropy: label \(label) outside 0..<\(c)")
            var m = z[0]
            for j in 1 ..< max(c, 1) { m = max(m, z[j]) }
            var total: Float = 0
            for j in 0 ..< c {
                let e = expf(z[j] - m)
                gr[j] = e
                total += e
            }
            let inv = invN / total
            for j in 0 ..< c { gr[j] *= inv }
            gr[label] -= invN
            sum += Double(m) + log(Double(total)) - Double(z[label])
        }
        return Float(sum / Double(globalBatch))
    }
}

/// Binary cross-entropy on logits z with targets t in [0, 1], per element
/// max(z, 0) − z·t + log1p(exp(−|z|)) (never exponentiates a positive number), averaged over the
/// F outputs of a row (PyTorch's BCEWithLogitsLoss with mean reduction); gradient (σ(z) − t)/(F·N).
public final class BinaryCrossEntropyWithLogits: Loss {
    private let s: LossState
    /// A loss for up to `batch` rows of `features` logits.
    public init(features: Int, batch: Int) { s = LossState(features: features, batch: batch) }
    /// Prediction width.
    public var features: Int { s.features }
    /// dL/d(logits) of the last call.
    public var gradient: UnsafeBufferPointer<Float> { s.gradient }
    /// Targets are rows × features probabilities.
    public func evaluate(_ predictions: UnsafeBufferPointer<Float>, _ targets: UnsafeBufferPointer<Float>,
                         rows: Int, globalBatch: Int) -> Float {
        s.check(predictions.count, targets.count, targetsPerRow: s.features, rows: rows, globalBatch: globalBatch)
        let norm = 1 / Double(s.features * globalBatch), scale = Float(norm), g = s.buffer.pointer
        var sum = 0.0
        for i in 0 ..< rows * s.features {
            let z = predictions[i], t = targets[i]
            sum += Double(max(z, 0) - z * t + log1pf(expf(-abs(z))))
            g[i] = scale * (stableSigmoid(z) - t)
        }
        return Float(sum * norm)
    }
}
