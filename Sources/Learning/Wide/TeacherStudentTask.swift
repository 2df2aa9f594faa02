import CounterRNG

/// The regression task of a `LazyTrainingRun`: inputs x ~ N(0, I) keyed by (dataSeed, sample,
/// element) and targets from a fixed random teacher `inputs → teacherWidth → 1` (tanh, NTK
/// parameterisation, β = 0.1) drawn from dataSeed. Samples 0 ..< trainSamples train, the next
/// probeSamples are the held-out probes. Depends on neither the student's width nor its seed.
struct TeacherStudentTask {
    let trainInputs: [Float]
    let trainTargets: [Float]
    let probeInputs: [Float]

    init(_ config: LazyTrainingRun) {
        let d = config.inputs, total = config.trainSamples + config.probeSamples
        let rng = CounterRNG(seed: config.dataSeed, stream: 0x7EAC_4E55)
        let x = (0 ..< total * d).map { Float(rng.normal(at: UInt64($0))) }
        do {
            let teacher = try Sequential(inputFeatures: d, batch: total, seed: config.dataSeed ^ 0x7EAC_4E55_0000_0000, [
                Dense(outputs: config.teacherWidth, initialization: .ntk(beta: 0.1)), Tanh(),
                Dense(outputs: 1, initialization: .ntk(beta: 0.1)),
            ])
            let y = Array(teacher.forward(x, rows: total))
            trainTargets = Array(y[0 ..< config.trainSamples])
        } catch {
            preconditionFailure("the teacher's layers always chain: \(error)")
        }
        trainInputs = Array(x[0 ..< config.trainSamples * d])
        probeInputs = Array(x[config.trainSamples * d ..< total * d])
    }
}

/// Plain SGD on the MSE of a `TeacherStudentTask`, the training of a `LazyTrainingRun`.
enum SGDRegression {
    /// Trains `model` for `config.steps` steps and returns the loss of the first and last step.
    /// Buffers are allocated before the loop; a step allocates nothing, except that mini-batch runs
    /// draw a fresh permutation array (`EpochShuffle`) once per epoch.
    static func train(_ model: Sequential, task: TeacherStudentTask, config: LazyTrainingRun) throws -> (initial: Double, final: Double) {
        let batch = config.batch, d = config.inputs, count = config.trainSamples
        let loss = MSE(features: 1, batch: batch)
        try model.check(loss: loss)
        var sgd = SGD(parameterCount: model.store.count, schedule: .constant(config.learningRate))
        let shuffle = EpochShuffle(count: count, seed: config.dataSeed)
        let batchesPerEpoch = count / batch
        var xs = [Float](repeating: 0, count: batch * d), ys = [Float](repeating: 0, count: batch)
        var order = Array(0 ..< count)
        var first = Double.nan, last = Double.nan
        for step in 0 ..< config.steps {
            let (epoch, b) = step.quotientAndRemainder(dividingBy: batchesPerEpoch)
            if batch < count && b == 0 { order = shuffle.permutation(epoch: epoch) }
            for r in 0 ..< batch {
                let s = order[b * batch + r]
                ys[r] = task.trainTargets[s]
                for j in 0 ..< d { xs[r * d + j] = task.trainInputs[s * d + j] }
            }
            model.store.zeroGradients()
            let prediction = model.forward(xs, rows: batch)
            let value = ys.withUnsafeBufferPointer { loss.evaluate(prediction, $0, rows: batch, globalBatch: batch) }
            guard value.isFinite else { throw SGDRegressionError.divergence(step: step, loss: value) }
            if step == 0 { first = Double(value) }
            last = Double(value)
            _ = model.backward(loss.gradient, rows: batch)
            model.store.withUnsafeMutableValues { p in
                model.store.withUnsafeGradients { g in sgd.step(parameters: p, gradients: g) }
            }
        }
        return (first, last)
    }
}

/// The lazy-training run's SGD diverged.
public enum SGDRegressionError: Error, Equatable, CustomStringConvertible {
    /// The loss became NaN or infinite at `step`.
    case divergence(step: Int, loss: Float)

    /// Names the step and the fix.
    public var description: String {
        switch self {
        case let .divergence(step, loss):
            "wide run: the training loss is \(loss) at step \(step); lower learning_rate"
        }
    }
}
