import JobKit
import Learning
import Storage

/// Where a training run is, besides parameters and optimiser: the step, the partial sums of the
/// current metrics record and the history so far. With the parameters and the optimiser state
/// this is everything a resumed run needs to continue bit for bit: the data position follows
/// from the step (global batch `step % stepsPerEpoch` of epoch `step / stepsPerEpoch`, the
/// epoch's order keyed by (train.seed, epoch)).
struct TrainRunState: Equatable {
    /// Optimiser steps done.
    var step = 0
    /// Sums since the last /metrics record: loss (per-step global means), correct decisions,
    /// samples, steps, wall-clock seconds.
    var pendingLoss = 0.0
    var pendingCorrect = 0.0
    var pendingSamples = 0
    var pendingSteps = 0
    var pendingSeconds = 0.0
    /// Scheduled checkpoints written (train.checkpoint_interval).
    var checkpoints = 0
    var history = TrainingHistory()
}

/// `checkpoint.h5` of a `train` run (``CheckpointFile``): `/state/parameters` (float32, the flat
/// store), `/optimizer/<buffer>` with the optimiser's kind and step count as attributes, and the
/// run state (root attributes and `/history/*`). Replaced atomically each time.
final class TrainCheckpoint: Checkpointable {
    let model: Sequential
    var optimizer: any Optimizer
    var state = TrainRunState()

    init(model: Sequential, optimizer: any Optimizer) {
        self.model = model
        self.optimizer = optimizer
    }

    static let integerKeys = ["step", "pending_samples", "pending_steps", "checkpoints"]

    func writeCheckpoint(to file: H5File) throws {
        let values = model.store.values
        try ResultWriter.array(file, "/state/parameters", values, shape: [values.count])
        try file.setAttribute("description", .string("the model's flat parameter store (float32), tensors in the order of /model of training.h5"), on: "/state/parameters")
        let o = optimizer.exportState()
        try file.createGroup("/optimizer")
        try file.setAttribute("kind", .string(o.kind), on: "/optimizer")
        try file.setAttribute("step_count", .int(o.stepCount), on: "/optimizer")
        try file.setAttribute("buffers", .string(o.buffers.keys.sorted().joined(separator: ",")), on: "/optimizer")
        for name in o.buffers.keys.sorted() { try ResultWriter.series(file, "/optimizer/" + name, o.buffers[name]!) }

        let s = state
        for (key, value) in zip(TrainCheckpoint.integerKeys, [s.step, s.pendingSamples, s.pendingSteps, s.checkpoints]) {
            try file.setAttribute(key, .int(value))
        }
        try file.setAttribute("pending", .doubles([s.pendingLoss, s.pendingCorrect, s.pendingSeconds]))
        let h = s.history
        try ResultWriter.series(file, "/history/step", h.step)
        for (name, series) in [("loss", h.loss), ("accuracy", h.accuracy), ("grad_norm", h.gradNorm),
                               ("learning_rate", h.learningRate), ("samples_per_second", h.samplesPerSecond),
                               ("eval_loss", h.evalLoss), ("eval_accuracy", h.evalAccuracy)] {
            try ResultWriter.series(file, "/history/" + name, series)
        }
        try ResultWriter.series(file, "/history/eval_step", h.evalStep)
    }

    func readCheckpoint(from file: H5File) throws {
        let path = file.path
        let stored: [Float] = try file.read("/state/parameters")
        guard stored.count == model.store.count else {
            throw RunError("--resume: \(path) holds \(stored.count) parameters but the model has \(model.store.count); it was made by another model")
        }
        model.store.values.withUnsafeMutableBufferPointer { v in
            stored.withUnsafeBufferPointer { v.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
        }
        let attributes = try file.attributes(of: "/optimizer")
        let names = (attributes["buffers"]?.stringValue ?? "").split(separator: ",").map(String.init)
        var buffers: [String: [Float]] = [:]
        for name in names { buffers[name] = try readSeries(file, "/optimizer/" + name) }
        let o = OptimizerState(kind: attributes["kind"]?.stringValue ?? "", stepCount: attributes["step_count"]?.intValue ?? 0, buffers: buffers)
        do {
            try optimizer.importState(o)
        } catch {
            throw RunError("--resume: the optimiser state in \(path) does not fit this run (\(error))")
        }

        let root = try file.attributes(of: "/")
        var s = TrainRunState()
        let ints = TrainCheckpoint.integerKeys.map { root[$0]?.intValue ?? 0 }
        (s.step, s.pendingSamples, s.pendingSteps, s.checkpoints) = (ints[0], ints[1], ints[2], ints[3])
        if case .doubles(let p)? = root["pending"], p.count == 3 { (s.pendingLoss, s.pendingCorrect, s.pendingSeconds) = (p[0], p[1], p[2]) }
        var h = TrainingHistory()
        h.step = try readSeries(file, "/history/step")
        h.loss = try readSeries(file, "/history/loss")
        h.accuracy = try readSeries(file, "/history/accuracy")
        h.gradNorm = try readSeries(file, "/history/grad_norm")
        h.learningRate = try readSeries(file, "/history/learning_rate")
        h.samplesPerSecond = try readSeries(file, "/history/samples_per_second")
        h.evalStep = try readSeries(file, "/history/eval_step")
        h.evalLoss = try readSeries(file, "/history/eval_loss")
        h.evalAccuracy = try readSeries(file, "/history/eval_accuracy")
        s.history = h
        state = s
    }

    private func readSeries<T: H5Scalar>(_ file: H5File, _ path: String) throws -> [T] {
        try file.shape(of: path).reduce(1, *) > 0 ? try file.read(path) : []
    }
}
