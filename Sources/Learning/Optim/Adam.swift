import CLearningKernels
import Foundation

/// Adam and AdamW share the moments and their bias correction; only the weight decay differs.
struct AdamCore: Sendable {
    var beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    var m: [Float], v: [Float]
    var stepCount = 0

    init(count: Int, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float) {
        precondition(count >= 0 && (0 ..< 1).contains(beta1) && (0 ..< 1).contains(beta2) && epsilon >= 0 && weightDecay >= 0,
                     "Adam: need count ≥ 0, 0 ≤ β < 1, ε ≥ 0, weight decay ≥ 0")
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.weightDecay = weightDecay
        m = [Float](repeating: 0, count: count)
        v = [Float](repeating: 0, count: count)
    }

    /// 1 - β^t for the 1-based step t, computed in double.
    func biasCorrections(step t: Int) -> (Float, Float) {
        (Float(1 - pow(Double(beta1), Double(t))), Float(1 - pow(Double(beta2), Double(t))))
    }

    /// Updates `p[range]` for the next step (number `stepCount + 1`, 1-based) without counting it.
    mutating func step(_ p: UnsafeMutableBufferPointer<Float>, _ g: UnsafeBufferPointer<Float>, range: Range<Int>,
                       lr: Float, decoupled: Bool) {
        checkLengths(m.count, p, g)
        checkRange(m.count, range)
        guard !range.isEmpty else { return }
        let o = range.lowerBound
        step(slice: p.baseAddress! + o, g.baseAddress! + o, count: range.count, stateOffset: o, lr: lr, decoupled: decoupled)
    }

    /// Updates `count` parameters at `p` from `g` with the moments at `stateOffset`, without counting the step.
    mutating func step(slice p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, count: Int, stateOffset o: Int,
                       lr: Float, decoupled: Bool) {
        checkRange(m.count, o ..< o + count)
        guard count > 0 else { return }
        let (bc1, bc2) = biasCorrections(step: stepCount + 1)
        let (b1, b2, eps, wd) = (beta1, beta2, epsilon, weightDecay)
        m.withUnsafeMutableBufferPointer { m in
            v.withUnsafeMutableBufferPointer { v in
                let kernel = decoupled ? cl_adamw_step : cl_adam_step
                kernel(p, g, m.baseAddress! + o, v.baseAddress! + o, count, lr, b1, b2, eps, wd, bc1, bc2)
            }
        }
    }

    /// The same settings for `count` parameters, zero moments, no steps.
    func withFreshState(count: Int) -> AdamCore {
        AdamCore(count: count, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
    }

    mutating func step(_ p: UnsafeMutableBufferPointer<Float>, _ g: UnsafeBufferPointer<Float>, lr: Float, decoupled: Bool) {
        step(p, g, range: 0 ..< m.count, lr: lr, decoupled: decoupled)
        stepCount += 1
    }

    func export(kind: String) -> OptimizerState {
        OptimizerState(kind: kind, stepCount: stepCount, buffers: ["m": m, "v": v])
    }

    mutating func load(_ state: OptimizerState, kind: String) throws {
        let b = try validatedBuffers(state, kind: kind, names: ["m", "v"], count: m.count)
        m = b[0]; v = b[1]; stepCount = state.stepCount
    }
}

/// Adam with bias correction; `weightDecay` is L2 regularisation added to the gradient
/// (PyTorch's `torch.optim.Adam`). Formulas: `cl_adam_step` in CLearningKernels.h.
public struct Adam: Optimizer, Sendable {
    var core: AdamCore
    public var schedule: LearningRateSchedule
    public var parameterCount: Int { core.m.count }
    public var stepCount: Int { core.stepCount }

    public init(parameterCount: Int, schedule: LearningRateSchedule = .constant(1e-3),
                beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        core = AdamCore(count: parameterCount, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
        self.schedule = schedule
    }

    public mutating func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>) {
        core.step(parameters, gradients, lr: schedule.rate(at: core.stepCount), decoupled: false)
    }

    public mutating func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>,
                              range: Range<Int>) {
        core.step(parameters, gradients, range: range, lr: schedule.rate(at: core.stepCount), decoupled: false)
    }

    public mutating func step(slice parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
                              count: Int, stateOffset: Int) {
        core.step(slice: parameters, gradients, count: count, stateOffset: stateOffset,
                  lr: schedule.rate(at: core.stepCount), decoupled: false)
    }

    public func withFreshState(parameterCount: Int) -> Self {
        var fresh = self
        fresh.core = core.withFreshState(count: parameterCount)
        return fresh
    }

    public mutating func completeStep() { core.stepCount += 1 }

    public func exportState() -> OptimizerState { core.export(kind: "adam") }
    public mutating func importState(_ state: OptimizerState) throws { try core.load(state, kind: "adam") }
}

/// AdamW: Adam with decoupled weight decay, `w ← w·(1 - lr·weightDecay)` before the Adam update
/// (PyTorch's `torch.optim.AdamW`). Formulas: `cl_adamw_step` in CLearningKernels.h.
public struct AdamW: Optimizer, Sendable {
    var core: AdamCore
    public var schedule: LearningRateSchedule
    public var parameterCount: Int { core.m.count }
    public var stepCount: Int { core.stepCount }

    public init(parameterCount: Int, schedule: LearningRateSchedule = .constant(1e-3),
                beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 1e-2) {
        core = AdamCore(count: parameterCount, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
        self.schedule = schedule
    }

    public mutating func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>) {
        core.step(parameters, gradients, lr: schedule.rate(at: core.stepCount), decoupled: true)
    }

    public mutating func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>,
                              range: Range<Int>) {
        core.step(parameters, gradients, range: range, lr: schedule.rate(at: core.stepCount), decoupled: true)
    }

    public mutating func step(slice parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
                              count: Int, stateOffset: Int) {
        core.step(slice: parameters, gradients, count: count, stateOffset: stateOffset,
                  lr: schedule.rate(at: core.stepCount), decoupled: true)
    }

    public func withFreshState(parameterCount: Int) -> Self {
        var fresh = self
        fresh.core = core.withFreshState(count: parameterCount)
        return fresh
    }

    public mutating func completeStep() { core.stepCount += 1 }

    public func exportState() -> OptimizerState { core.export(kind: "adamw") }
    public mutating func importState(_ state: OptimizerState) throws { try core.load(state, kind: "adamw") }
}
