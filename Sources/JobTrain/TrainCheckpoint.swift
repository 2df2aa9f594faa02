import Diffusion
import JobKit
import Learning
import Storage
import Training

/// Where a training run is, besides the trainer's own state (`TrainerState`: parameters,
/// optimiser, data position): the step, the partial sums of the current metrics record and the
/// history so far. With the trainer's state this is everything a resumed run needs to continue
/// bit for bit on the same rank count.
struct TrainRunState: Equatable {
    /// Optimiser steps done.
    var step = 0
    /// Sums since the last /metrics record: loss (per-step global means), correct decisions,
    /// samples, steps, step seconds (the slowest rank's), seconds with a gradient allreduce in
    /// flight and the part of them hidden behind backward (rank 0's clock).
    var pendingLoss = 0.0
    var pendingCorrect = 0.0
    var pendingSamples = 0
    var pendingSteps = 0
    var pendingSeconds = 0.0
    var pendingCommunication = 0.0
    var pendingHidden = 0.0
    /// Scheduled checkpoints written (train.checkpoint_interval).
    var checkpoints = 0
    var history = TrainingHistory()
}

/// `checkpoint.h5` of a `train` run (``CheckpointFile``): the trainer's `exportState()` —
/// `/state/parameters` (float32, the flat store), `/optimizer/<buffer>` with the optimiser's kind
/// and step count as attributes, the data position (root attributes `step`, `epoch`,
/// `batch_in_epoch`, `shuffle_seed`, `global_batch`, `ranks_written`) — and the run state (root
/// attributes and `/history/*`). Replaced atomically each time; read back through
/// `DataParallelTrainer.restore(_:)`, which checks seed, batch, size and position.
final class TrainCheckpoint: Checkpointable {
    let trainer: DataParallelTrainer
    var state = TrainRunState()
    /// The moving average of the weights of a diffusion run (`/ema/average`, float64, with the update
    /// count as its `updates` attribute).
    var average: ExponentialMovingAverage?

    init(trainer: DataParallelTrainer) {
        self.trainer = trainer
    }

    static let integerKeys = ["step", "pending_samples", "pending_steps", "checkpoints"]
    static let positionKeys = ["epoch", "batch_in_epoch", "global_batch", "ranks_written"]

    func writeCheckpoint(to file: H5File) throws {
        let t = try trainer.exportState()
        precondition(t.step == state.step, "TrainCheckpoint: the trainer is at step \(t.step), the run state at \(state.step)")
        try ResultWriter.array(file, "/state/parameters", t.parameters, shape: [t.parameters.count])
        try file.setAttribute("description", .string("the model's flat parameter store (float32), tensors in the order of /model of training.h5"), on: "/state/parameters")
        for (key, value) in zip(TrainCheckpoint.positionKeys, [t.epoch, t.batchInEpoch, t.globalBatch, t.ranks]) {
            try file.setAttribute(key, .int(value))
        }
        // UInt64 bits as Int64: any seed survives the round trip.
        try file.setAttribute("shuffle_seed", .int(Int(Int64(bitPattern: t.seed))))
        let o = t.optimizer
        try file.createGroup("/optimizer")
        try file.setAttribute("kind", .string(o.kind), on: "/optimizer")
        try file.setAttribute("step_count", .int(o.stepCount), on: "/optimizer")
        try file.setAttribute("buffers", .string(o.buffers.keys.sorted().joined(separator: ",")), on: "/optimizer")
        for name in o.buffers.keys.sorted() { try ResultWriter.series(file, "/optimizer/" + name, o.buffers[name]!) }

        let s = state
        for (key, value) in zip(TrainCheckpoint.integerKeys, [s.step, s.pendingSamples, s.pendingSteps, s.checkpoints]) {
            try file.setAttribute(key, .int(value))
        }
        try file.setAttribute("pending", .doubles([s.pendingLoss, s.pendingCorrect, s.pendingSeconds, s.pendingCommunication, s.pendingHidden]))
        let h = s.history
        try ResultWriter.series(file, "/history/step", h.step)
        for (name, series) in [("loss", h.loss), ("accuracy", h.accuracy), ("grad_norm", h.gradNorm),
                               ("learning_rate", h.learningRate), ("samples_per_second", h.samplesPerSecond),
                               ("allreduce_hidden_fraction", h.allreduceHiddenFraction),
                               ("eval_loss", h.evalLoss), ("eval_accuracy", h.evalAccuracy)] {
            try ResultWriter.series(file, "/history/" + name, series)
        }
        try ResultWriter.series(file, "/history/eval_step", h.evalStep)
        if let average {
            try ResultWriter.array(file, "/ema/average", average.state.average, shape: [average.state.average.count])
            try file.setAttribute("updates", .int(average.state.updates), on: "/ema/average")
            try file.setAttribute("decay", .double(average.decay), on: "/ema/average")
        }
    }

    func readCheckpoint(from file: H5File) throws {
        let path = file.path
        let stored: [Float] = try file.read("/state/parameters")
        let count = trainer.model.store.count
        guard stored.count == count else {
            throw RunError("--resume: \(path) holds \(stored.count) parameters but the model has \(count); it was made by another model")
        }
        let attributes = try file.attributes(of: "/optimizer")
        let names = (attributes["buffers"]?.stringValue ?? "").split(separator: ",").map(String.init)
        var buffers: [String: [Float]] = [:]
        for name in names { buffers[name] = try readSeries(file, "/optimizer/" + name) }
        let o = OptimizerState(kind: attributes["kind"]?.stringValue ?? "", stepCount: attributes["step_count"]?.intValue ?? 0, buffers: buffers)

        let root = try file.attributes(of: "/")
        var s = TrainRunState()
        let ints = TrainCheckpoint.integerKeys.map { root[$0]?.intValue ?? 0 }
        (s.step, s.pendingSamples, s.pendingSteps, s.checkpoints) = (ints[0], ints[1], ints[2], ints[3])
        let position = try TrainCheckpoint.positionKeys.map { key -> Int in
            guard let v = root[key]?.intValue else {
                throw RunError("--resume: \(path) has no `\(key)` attribute; it was written by an older Cascade: start a new run")
            }
            return v
        }
        let seed = UInt64(bitPattern: Int64(root["shuffle_seed"]?.intValue ?? 0))
        let t = TrainerState(step: s.step, epoch: position[0], batchInEpoch: position[1], seed: seed, globalBatch: position[2],
                             ranks: position[3], parameters: stored, optimizer: o)
        do {
            try trainer.restore(t)
        } catch let e as TrainingError {
            throw RunError("--resume: \(path) does not fit this run: \(e)")
        }
        if case .doubles(let p)? = root["pending"], p.count == 5 {
            (s.pendingLoss, s.pendingCorrect, s.pendingSeconds, s.pendingCommunication, s.pendingHidden) = (p[0], p[1], p[2], p[3], p[4])
        }
        var h = TrainingHistory()
        h.step = try readSeries(file, "/history/step")
        h.loss = try readSeries(file, "/history/loss")
        h.accuracy = try readSeries(file, "/history/accuracy")
        h.gradNorm = try readSeries(file, "/history/grad_norm")
        h.learningRate = try readSeries(file, "/history/learning_rate")
        h.samplesPerSecond = try readSeries(file, "/history/samples_per_second")
        h.allreduceHiddenFraction = try readSeries(file, "/history/allreduce_hidden_fraction")
        h.evalStep = try readSeries(file, "/history/eval_step")
        h.evalLoss = try readSeries(file, "/history/eval_loss")
        h.evalAccuracy = try readSeries(file, "/history/eval_accuracy")
        s.history = h
        if let current = average {
            guard try file.exists("/ema/average") else {
                throw RunError("--resume: \(path) holds no moving average (/ema/average) but diffusion.ema_decay = \(current.decay); it was written without one: start a new run or set diffusion.ema_decay = 0")
            }
            let values: [Double] = try file.read("/ema/average")
            let updates = try file.attributes(of: "/ema/average")["updates"]?.intValue ?? 0
            do {
                average = try ExponentialMovingAverage(state: .init(average: values, updates: updates), decay: current.decay, warmup: current.warmup)
            } catch let e as DiffusionError {
                throw RunError("--resume: \(path): \(e.message)")
            }
            guard values.count == trainer.model.store.count else {
                throw RunError("--resume: \(path) holds a moving average of \(values.count) parameters but the model has \(trainer.model.store.count)")
            }
        }
        state = s
    }

    private func readSeries<T: H5Scalar>(_ file: H5File, _ path: String) throws -> [T] {
        try file.shape(of: path).reduce(1, *) > 0 ? try file.read(path) : []
    }
}
