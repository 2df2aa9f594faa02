import CLearningKernels

/// Stochastic gradient descent with optional momentum (no dampening), Nesterov momentum and
/// L2 weight decay added to the gradient (PyTorch's `torch.optim.SGD` with dampening 0).
/// Formulas: `cl_sgd_step` in CLearningKernels.h. Without momentum there is no state buffer.
public struct SGD: Optimizer, Sendable {
    public let parameterCount: Int
    public private(set) var stepCount = 0
    public var schedule: LearningRateSchedule
    public let momentum: Float
    public let nesterov: Bool
    public let weightDecay: Float
    var buffer: [Float]

    public init(parameterCount: Int, schedule: LearningRateSchedule, momentum: Float = 0,
                nesterov: Bool = false, weightDecay: Float = 0) {
        precondition(parameterCount >= 0 && momentum >= 0 && weightDecay >= 0, "SGD: need count, momentum, weight decay ≥ 0")
        precondition(!nesterov || momentum > 0, "SGD: Nesterov needs momentum > 0")
        self.parameterCount = parameterCount
        self.schedule = schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        buffer = [Float](repeating: 0, count: momentum > 0 ? parameterCount : 0)
    }

    public mutating func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>) {
        step(parameters: parameters, gradients: gradients, range: 0 ..< parameterCount)
        completeStep()
    }

    public mutating func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>,
                              range: Range<Int>) {
        checkLengths(parameterCount, parameters, gradients)
        checkRange(parameterCount, range)
        guard !range.isEmpty else { return }
        let o = range.lowerBound
        step(slice: parameters.baseAddress! + o, gradients: gradients.baseAddress! + o, count: range.count, stateOffset: o)
    }

    public mutating func step(slice parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
                              count: Int, stateOffset o: Int) {
        checkRange(parameterCount, o ..< o + count)
        guard count > 0 else { return }
        let lr = schedule.rate(at: stepCount)
        let (mu, wd, nest) = (momentum, weightDecay, Int32(nesterov ? 1 : 0))
        buffer.withUnsafeMutableBufferPointer { b in
            cl_sgd_step(parameters, gradients, momentum > 0 ? b.baseAddress! + o : nil, count, lr, mu, wd, nest)
        }
    }

    public func withFreshState(parameterCount: Int) -> SGD {
        SGD(parameterCount: parameterCount, schedule: schedule, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
    }

    public mutating func completeStep() { stepCount += 1 }

    public func exportState() -> OptimizerState {
        OptimizerState(kind: "sgd", stepCount: stepCount, buffers: momentum > 0 ? ["momentum": buffer] : [:])
    }

    public mutating func importState(_ state: OptimizerState) throws {
        let b = try validatedBuffers(state, kind: "sgd", names: momentum > 0 ? ["momentum"] : [], count: parameterCount)
        if momentum > 0 { buffer = b[0] }
        stepCount = state.stepCount
    }
}
