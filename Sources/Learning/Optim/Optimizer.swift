import CLearningKernels

/// An optimiser updating one flat parameter buffer from one flat gradient buffer of the same length.
///
/// Buffers are passed as `UnsafeMutableBufferPointer<Float>` / `UnsafeBufferPointer<Float>`: the
/// parameters of a model live in one flat store that layers view in place, so the optimiser must
/// write into that storage without copying it (the `inout [Float]` overload below is for tests and
/// small models). The optimiser owns its state buffers, allocated once in `init` with the parameter
/// count, and its step counter; the learning rate of step `t` (0-based: the number of steps done
/// before it) is `schedule.rate(at: t)`.
public protocol Optimizer {
    /// Length of the parameter and gradient buffers.
    var parameterCount: Int { get }
    /// Number of steps taken so far.
    var stepCount: Int { get }
    /// Learning rate per step.
    var schedule: LearningRateSchedule { get set }

    /// One update of `parameters` from `gradients` (both `parameterCount` long).
    mutating func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>)

    /// The part of the next step that touches `range` only: updates `parameters[range]` (and the
    /// state buffers there) exactly as `step(parameters:gradients:)` would, without counting the
    /// step. Both buffers are the whole `parameterCount` long. Give disjoint ranges covering
    /// `0 ..< parameterCount`, in any order, then call `completeStep()`: the result is
    /// bit-identical to one whole-buffer `step` (the kernels are element-wise, without fused
    /// multiply-adds). A data-parallel trainer updates each gradient bucket as soon as its
    /// allreduce has finished this way.
    mutating func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>,
                       range: Range<Int>)
    /// Counts the step whose ranges were updated by `step(parameters:gradients:range:)`.
    mutating func completeStep()

    /// The part of the next step for `count` parameters held elsewhere than the state: updates
    /// `parameters[0 ..< count]` from `gradients[0 ..< count]` with the state elements
    /// `stateOffset ..< stateOffset + count`, without counting the step, bit-identical to what a
    /// whole-buffer step does to those elements. A sharded data-parallel step holds state only for
    /// the slices of the parameters a rank owns, packed one after another, and updates each slice
    /// in place in the model's store this way; `completeStep()` counts the step.
    mutating func step(slice parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
                       count: Int, stateOffset: Int)

    /// An optimiser of the same kind, settings and schedule for `parameterCount` parameters, with
    /// zero state and no steps taken (a sharded trainer's optimiser for its owned slices).
    func withFreshState(parameterCount: Int) -> Self

    /// The state to checkpoint: step counter and state buffers as flat arrays.
    func exportState() -> OptimizerState
    /// Restores a state from `exportState()` of an optimiser of the same kind and parameter count.
    mutating func importState(_ state: OptimizerState) throws
}

extension Optimizer {
    /// The learning rate the next `step` uses.
    public var currentLearningRate: Float { schedule.rate(at: stepCount) }

    /// `step(parameters:gradients:)` on arrays.
    public mutating func step(parameters: inout [Float], gradients: [Float]) {
        parameters.withUnsafeMutableBufferPointer { p in
            gradients.withUnsafeBufferPointer { g in step(parameters: p, gradients: g) }
        }
    }
}

/// An optimiser's checkpointable state: its kind, the step counter and named flat buffers.
public struct OptimizerState: Sendable, Equatable, Codable {
    /// "adam", "adamw" or "sgd".
    public var kind: String
    public var stepCount: Int
    /// State buffers by name ("m" and "v" for Adam/AdamW, "momentum" for SGD with momentum).
    public var buffers: [String: [Float]]

    public init(kind: String, stepCount: Int, buffers: [String: [Float]]) {
        self.kind = kind
        self.stepCount = stepCount
        self.buffers = buffers
    }
}

public enum OptimizerStateError: Error, Equatable, CustomStringConvertible {
    case wrongKind(expected: String, found: String)
    case missingBuffer(String)
    case wrongLength(buffer: String, expected: Int, found: Int)
    case negativeStepCount(Int)

    public var description: String {
        switch self {
        case let .wrongKind(e, f): return "optimizer state is of kind \(f), expected \(e)"
        case let .missingBuffer(n): return "optimizer state lacks buffer \(n)"
        case let .wrongLength(n, e, f): return "optimizer state buffer \(n) has \(f) elements, expected \(e)"
        case let .negativeStepCount(s): return "optimizer state has step count \(s) < 0"
        }
    }
}

/// Checks and extracts buffers of an imported state.
func validatedBuffers(_ state: OptimizerState, kind: String, names: [String], count: Int) throws -> [[Float]] {
    guard state.kind == kind else { throw OptimizerStateError.wrongKind(expected: kind, found: state.kind) }
    guard state.stepCount >= 0 else { throw OptimizerStateError.negativeStepCount(state.stepCount) }
    return try names.map { name in
        guard let b = state.buffers[name] else { throw OptimizerStateError.missingBuffer(name) }
        guard b.count == count else { throw OptimizerStateError.wrongLength(buffer: name, expected: count, found: b.count) }
        return b
    }
}

@inline(__always)
func checkRange(_ parameterCount: Int, _ range: Range<Int>) {
    precondition(range.lowerBound >= 0 && range.upperBound <= parameterCount,
                 "optimizer of \(parameterCount) parameters given the range \(range)")
}

@inline(__always)
func checkLengths(_ parameterCount: Int, _ p: UnsafeMutableBufferPointer<Float>, _ g: UnsafeBufferPointer<Float>) {
    precondition(p.count == parameterCount && g.count == parameterCount,
                 "optimizer of \(parameterCount) parameters given \(p.count) parameters and \(g.count) gradients")
}
