import Foundation

/// Learning rate as a function of the 0-based step (the number of updates done before it).
public struct LearningRateSchedule: Sendable, Equatable, Codable {
    public enum Shape: Sendable, Equatable, Codable {
        case constant
        /// Linear ramp `peak·(t+1)/steps` for t < steps, then `peak`.
        case linearWarmup(steps: Int)
        /// Linear warm-up over `warmup` steps as above, then a half cosine from `peak` at step
        /// `warmup` to `minimum` at step `total`, and `minimum` from then on.
        case cosine(total: Int, warmup: Int, minimum: Float)
    }

    public var peak: Float
    public var shape: Shape

    public init(peak: Float, shape: Shape) {
        precondition(peak >= 0, "learning rate must be ≥ 0")
        switch shape {
        case .constant: break
        case let .linearWarmup(steps): precondition(steps >= 0, "warm-up steps must be ≥ 0")
        case let .cosine(total, warmup, minimum):
            precondition(warmup >= 0 && total > warmup && minimum >= 0 && minimum <= peak,
                         "cosine schedule needs 0 ≤ warmup < total and 0 ≤ minimum ≤ peak")
        }
        self.peak = peak
        self.shape = shape
    }

    /// `rate` at every step.
    public static func constant(_ rate: Float) -> Self { Self(peak: rate, shape: .constant) }
    /// Linear warm-up to `rate` over `steps` steps (the first step uses `rate/steps`), then constant.
    public static func linearWarmup(_ rate: Float, steps: Int) -> Self { Self(peak: rate, shape: .linearWarmup(steps: steps)) }
    /// Warm-up then cosine decay from `peak` to `minimum` at step `total`.
    public static func cosine(_ peak: Float, total: Int, warmup: Int = 0, minimum: Float = 0) -> Self {
        Self(peak: peak, shape: .cosine(total: total, warmup: warmup, minimum: minimum))
    }

    public func rate(at step: Int) -> Float {
        precondition(step >= 0, "step must be ≥ 0")
        switch shape {
        case .constant:
            return peak
        case let .linearWarmup(steps):
            return step < steps ? Float(Double(peak) * Double(step + 1) / Double(steps)) : peak
        case let .cosine(total, warmup, minimum):
            if step < warmup { return Float(Double(peak) * Double(step + 1) / Double(warmup)) }
            if step >= total { return minimum }
            let progress = Double(step - warmup) / Double(total - warmup)
            return Float(Double(minimum) + 0.5 * Double(peak - minimum) * (1 + cos(Double.pi * progress)))
        }
    }
}
