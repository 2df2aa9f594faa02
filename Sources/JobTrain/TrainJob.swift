import Diffusion
import Foundation
import JobKit
import Learning
import TrainingData
import Logging
import Parallel
import Storage
import Training

/// The `train` job: data-parallel training of a model described in the job file on a synthetic
/// task or HDF5 data, with metrics, evaluations, checkpoints and the final parameters in
/// `training.h5` (docs/training.md).
public struct TrainJob: JobKind {
    public static let name = "train"
    public static let summary = "Train a network (dense, convolutional, composite) data-parallel over the ranks; metrics, evaluations and parameters in HDF5."
    public static var supportsResume: Bool { true }

    public static func outputNames(_ p: TrainParameters) -> [String] { [p.file, CheckpointFile.fileName] }

    public static func problems(in p: TrainParameters, ranks: Int) -> [ConfigProblem] {
        let (plan, problems) = TrainPlan.make(p, ranks: ranks)
        guard let plan, problems.isEmpty, let data = plan.data else { return problems }
        // The shapes were checked from the spec; a batch-1 build also runs the layers' own checks,
        // while it is cheap (parameters are drawn, so only for models up to 16M parameters).
        if case .success(let shapes) = plan.model.shapes(input: data.inputShape), shapes.parameters <= 1 << 24 {
            do {
                _ = try plan.model.build(input: data.inputShape, batch: 1, seed: 0)
            } catch let e as KeyedProblem {
                return [e.problem]
            } catch {
                return [ConfigProblem(path: "model.layers", message: "\(error)", fix: "check the layers")]
            }
        }
        return []
    }

    public static func warnings(in p: TrainParameters) -> [String] {
        var out: [String] = []
        if p.data.kind != .hdf5 && p.data.synthetic.testSamples == 0 && p.train.evalInterval > 0 {
            out.append("data.test_samples = 0: no evaluation is made (train.eval_interval = \(p.train.evalInterval) has no effect)")
        }
        if p.data.kind.isDiffusion && p.diffusion.schedule == .cosine && p.diffusion.prediction == .noise && p.diffusion.timesteps >= 100 {
            // The clipped cosine schedule ends with β = 0.999, so ᾱ of the last step is tiny (2.4e−9 for
            // T = 1000) and the first sampling step divides an ε-model's error by √ᾱ: measured, a 16²
            // Gaussian-random-field model trained to the optimal loss gave samples of RMS ~800.
            out.append("diffusion.prediction = \"noise\" with the cosine schedule: the last time step's ᾱ is about 1e−9, so the first sampling step multiplies the network's ε errors by 1/√ᾱ (samples of RMS in the hundreds, docs/diffusion.md); use diffusion.prediction = \"velocity\" or the linear schedule")
        }
        return out
    }

    public static func memoryEstimate(_ p: TrainParameters, ranks: Int) -> MemoryEstimate {
        var m = MemoryEstimate()
        guard let spec = ModelSpec.parse(input: p.model.input, layers: p.model.layers).spec,
              let input = spec.input ?? TrainPlan.syntheticData(p)?.inputShape,
              case .success(let shapes) = spec.shapes(input: input) else { return m }
        let optimizerBuffers: Double
        switch p.optimizer.kind {
        case .adam, .adamw: optimizerBuffers = 2
        case .sgd: optimizerBuffers = p.optimizer.momentum > 0 ? 1 : 0
        }
        let local = Double(DataParallelTrainer.localCapacity(globalBatch: max(p.train.batch, 1), ranks: max(ranks, 1)))
        // A sharded step keeps optimiser state for this rank's 1/P slice only.
        let stateShare = p.train.shardOptimizer ? 1 / Double(max(ranks, 1)) : 1
        m.add("parameters, gradients and optimiser state (\(shapes.parameters) parameters)",
              elements: Double(shapes.parameters) * (2 + optimizerBuffers * stateShare), bytesPerElement: 4,
              keys: ["model.layers", "optimizer.kind", "train.shard_optimizer"])
        // Forward outputs and backward input gradients of every layer, for the local batch.
        m.add("activations of \(Int(local)) samples per rank", elements: 2 * Double(shapes.activationsPerSample) * local + Double(input.elements) * local,
              bytesPerElement: 4, keys: ["train.batch", "model.layers"])
        // An MLP on ranks sharing a node stages x and dy of every dense layer for the node's batch in the
        // shared window (Training's PartitionedWeightGradients): this rank's rows, at most the input
        // and every layer's output once more.
        let mlp = spec.layers.allSatisfy { if case .dense = $0 { return true }; if case .activation = $0 { return true }; return false }
        if p.train.sharedMemory && ranks > 1 && mlp {
            m.add("x and dy of \(Int(local)) samples per rank staged in shared memory for the dense weight gradients",
                  elements: (Double(shapes.activationsPerSample) + Double(input.elements)) * local, bytesPerElement: 4,
                  keys: ["train.batch", "model.layers", "train.shared_memory"])
        }
        if p.data.kind == .gaussianMixture {
            let d = min(p.data.synthetic.dimension, GaussianMixture.maxDimension)
            let bytes = GaussianMixture.memoryBytes(dimension: d, eigenvectors: p.data.eigenvectors == .shared ? .shared : .different)
                + 2 * 3 * Int(local) * d * 8  // draw buffers of the training and held-out tasks
            m.add("Gaussian-mixture eigenbases and draw buffers (d = \(d))", elements: Double(bytes) / 8, bytesPerElement: 8,
                  keys: ["data.dimension", "data.eigenvectors"])
        }
        return m
    }

    let p: TrainParameters

    public init(parameters: TrainParameters) throws { p = parameters }

    public func run(in context: RunContext) throws -> JobOutcome {
        let comm = context.communicator
        let log = context.logger
        let warnings = TrainJob.warnings(in: p)
        if comm.isRoot { for w in warnings { log.warning("\(w)") } }

        // MARK: Plan, data, model (every check before any step)
        let (planned, problems) = TrainPlan.make(p, ranks: comm.size)
        guard let plan = planned else { throw RunError(problems.map(\.description).joined(separator: "; ")) }
        let sources: TrainSources
        var diffusion: DiffusionSetup? = nil
        do {
            if p.data.kind.isDiffusion {
                let (s, d) = try DiffusionSetup.open(p)
                (sources, diffusion) = (s, d)
            } else {
                sources = try TrainDataSources.open(p)
            }
        } catch let e as KeyedProblem {
            throw RunError(e.description)
        }
        let data = DataDescription(train: sources.train, test: sources.test)
        let dataProblems = plan.check(data: data, ranks: comm.size)
        if !dataProblems.isEmpty { throw RunError(dataProblems.map(\.description).joined(separator: "; ")) }
        let loss = try plan.loss(for: data)
        let totalSteps = plan.totalSteps(data: data)
        if p.schedule.kind == .cosine && totalSteps <= p.schedule.warmupSteps {
            throw RunError("schedule.warmup_steps = \(p.schedule.warmupSteps) leaves nothing of the \(totalSteps) steps for the cosine decay; use fewer warm-up steps")
        }
        let configuration = try TrainJob.trainingConfiguration(p)
        let localBatch = DataParallelTrainer.localCapacity(globalBatch: p.train.batch, ranks: comm.size)
        let model: Sequential
        do {
            model = try plan.model.build(input: data.inputShape, batch: localBatch, seed: UInt64(p.train.seed))
        } catch let e as KeyedProblem {
            throw RunError(e.description)
        }
        guard loss.isClassification ? model.outputShape == .vector(loss.outputWidth) : model.outputShape.elements == loss.outputWidth else {
            throw RunError("\(plan.model.layerKey(plan.model.layers.count - 1)): the model's output \(model.outputShape) does not fit \(loss); end the model with a dense layer of units = \(loss.outputWidth)")
        }
        log.info("model: \(model.store.count) parameters, \(plan.model.description)")
        log.info("data: \(p.data.kind.rawValue), \(data.trainCount) training and \(data.testCount) held-out samples of shape \(data.inputShape); loss: \(loss); \(totalSteps) steps of global batch \(p.train.batch) (\(localBatch) per rank)")
        // The trainer broadcasts rank 0's initial parameters and verifies that every rank holds them.
        let trainer: DataParallelTrainer
        do {
            trainer = try DataParallelTrainer(model: model, loss: loss.makeLoss(rows: localBatch),
                                              optimizer: TrainJob.makeOptimizer(p, parameterCount: model.store.count, totalSteps: totalSteps),
                                              schedule: TrainJob.makeSchedule(p, totalSteps: totalSteps),
                                              training: sources.train, evaluation: sources.test,
                                              configuration: configuration, communicator: comm)
        } catch let e as TrainingError {
            throw RunError("\(e)")
        }
        log.info("reduction: \(trainer.reductionDescription)")
        let saved = TrainCheckpoint(trainer: trainer)
        if let diffusion {
            let d = p.diffusion
            log.info("diffusion: \(diffusion.dataDescription); \(d.schedule.rawValue) schedule over \(d.timesteps) steps, \(d.prediction.rawValue) prediction, normalisation scale \(String(format: "%.6g", diffusion.fields.scale))\(d.emaDecay > 0 ? ", EMA decay \(d.emaDecay)" : ", no EMA")")
            if d.emaDecay > 0 { saved.average = try ExponentialMovingAverage(of: model.store, decay: d.emaDecay) }
        }

        // MARK: Fresh start or checkpoint
        if context.resume {
            try CheckpointFile.read([saved], context: context)
            log.info("resuming from checkpoint at step \(saved.state.step) of \(totalSteps)")
            guard saved.state.step < totalSteps else {
                throw RunError("--resume: the checkpoint is at step \(saved.state.step), already at or past the \(totalSteps) steps of this run; start a new run to train longer")
            }
        }

        let loop = StepLoop(context: context, checkpointWalltime: p.train.checkpointWalltime)
        let spec = plan.model
        var bayes: BayesSummary? = nil
        func writeResults() throws {
            let average = saved.average.map { ModelRecord(model: model, spec: spec, values: $0.state.average.map(Float.init)) }
            try TrainingFile.write(path: context.outputPath(p.file), history: saved.state.history,
                                   model: ModelRecord(model: model, spec: spec), average: average,
                                   diffusion: diffusion.map { diffusionAttributes($0, spec: spec, updates: saved.average?.state.updates ?? 0) }, bayes: bayes,
                                   attributes: resultAttributes(loss: loss, data: data, steps: totalSteps, ranks: comm.size, done: saved.state.step),
                                   communicator: comm)
        }
        func checkpoint(scheduled: Bool = false) throws {
            if scheduled { saved.state.checkpoints += 1 }
            try CheckpointFile.write([saved], context: context)
            try writeResults()
            loop.checkpointWritten()
        }
        func evaluate() throws {
            guard let e = try trainer.evaluate() else { return }
            guard saved.state.history.evalStep.last != saved.state.step else { return }
            let a = e.accuracy ?? .nan
            saved.state.history.recordEval(step: saved.state.step, loss: e.loss, accuracy: a)
            let accuracy = a.isNaN ? "" : String(format: ", accuracy %.4f", a)
            let l = e.loss
            log.info("eval at step \(saved.state.step): loss \(String(format: "%.6g", l))\(accuracy)")
        }
        /// Closes the current /metrics record with the figures of its last step.
        func recordMetrics(_ f: StepMetrics) {
            // Scalars only: a copy of the state would share, and so copy, the history's arrays.
            let (step, sum, correct) = (saved.state.step, saved.state.pendingLoss, saved.state.pendingCorrect)
            let (samples, steps, seconds) = (saved.state.pendingSamples, saved.state.pendingSteps, saved.state.pendingSeconds)
            let (communication, hidden) = (saved.state.pendingCommunication, saved.state.pendingHidden)
            saved.state.history.record(step: step, loss: sum / Double(steps),
                                       accuracy: loss.isClassification ? correct / Double(samples) : .nan,
                                       gradNorm: f.gradientNorm, learningRate: f.learningRate,
                                       samplesPerSecond: seconds > 0 ? Double(samples) / seconds : .nan,
                                       allreduceHiddenFraction: communication > 0 ? hidden / communication : 1)
            (saved.state.pendingLoss, saved.state.pendingCorrect, saved.state.pendingSamples) = (0, 0, 0)
            (saved.state.pendingSteps, saved.state.pendingSeconds) = (0, 0)
            (saved.state.pendingCommunication, saved.state.pendingHidden) = (0, 0)
        }
        if !context.resume && p.train.evalInterval > 0 { try evaluate() }

        // MARK: Training loop
        let progress = context.progress("training steps", total: Double(totalSteps), unit: .count("steps"))
        let started = MPIEnvironment.wtime(), startStep = saved.state.step
        var stoppedBy: StepLoop.Stop? = nil
        while saved.state.step < totalSteps {
            let (stop, checkpointDue) = try loop.poll()
            if let stop { stoppedBy = stop; break }
            if checkpointDue { try checkpoint() }
            let f: StepMetrics
            do {
                f = try trainer.trainStep()
            } catch TrainingError.nonFinite(_, let l, let norm) {
                // Every rank throws in the same step; checkpoint.h5 still holds the last good state.
                throw RunError(divergenceMessage(step: saved.state.step + 1, loss: l, gradientNorm: norm,
                                                 learningRate: Double(trainer.learningRate), context: context))
            }
            try saved.average?.update(from: model.store)
            // In place on the checkpoint's state: a copy would make every append copy the history.
            saved.state.step += 1
            saved.state.pendingLoss += f.loss
            saved.state.pendingCorrect += ((f.accuracy ?? 0) * Double(f.samples)).rounded()
            saved.state.pendingSamples += f.samples
            saved.state.pendingSteps += 1
            // The trainer's step time (slowest rank): evaluations and checkpoints are not training time.
            saved.state.pendingSeconds += f.seconds
            saved.state.pendingCommunication += f.communicationSeconds
            saved.state.pendingHidden += f.hiddenCommunicationSeconds
            let step = saved.state.step
            if step % p.train.logInterval == 0 || step == totalSteps { recordMetrics(f) }
            if p.train.evalInterval > 0 && step % p.train.evalInterval == 0 && step < totalSteps { try evaluate() }
            if p.train.checkpointInterval > 0 && step % p.train.checkpointInterval == 0 && step < totalSteps {
                try checkpoint(scheduled: true)
            }
            progress.update(step)
        }

        // MARK: Finish
        if stoppedBy == nil {
            try evaluate()
            if let task = sources.mixtureTest, loss.isClassification {
                let b = try BayesEvaluation.compare(model: model, task: task, communicator: comm)
                bayes = b
                let closed = b.bayesAccuracyClosedForm.isNaN ? "no closed form: the class covariances differ" : String(format: "closed form %.4f", b.bayesAccuracyClosedForm)
                log.info("Bayes-optimal comparison on \(b.samples) held-out samples: network accuracy \(String(format: "%.4f", b.networkAccuracy)), Bayes \(String(format: "%.4f ± %.4f", b.bayesAccuracy, b.bayesAccuracyStandardError)) (\(closed)), agreement \(String(format: "%.4f", b.agreement)), logit correlation \(String(format: "%.4f", b.logitCorrelation))")
            }
        }
        try checkpoint()
        let outputs = [p.file, CheckpointFile.fileName]
        if let stoppedBy {
            let text = "train interrupted by \(stoppedBy.reason) at step \(saved.state.step) of \(totalSteps); checkpoint written. Continue with: cascade run \(context.outputPath("job.toml")) --out \(context.outputDirectory.path) --resume"
            log.warning("\(text)")
            return JobOutcome(succeeded: true, summary: text, outputs: outputs, interrupted: true, warnings: warnings)
        }
        let seconds = MPIEnvironment.wtime() - started
        let steps = saved.state.step - startStep
        let h = saved.state.history
        var summary = "train on \(comm.size) rank(s): \(steps) steps (\(steps > 0 ? String(format: "%.3g ms/step", 1000 * seconds / Double(steps)) : "none")), final training loss \(String(format: "%.6g", h.loss.last ?? .nan))"
        if trainer.usesSharedMemory {
            summary += String(format: ", gradients reduced in shared memory (%.3g ms/step)", 1000 * trainer.overlap.communicationSeconds / Double(max(steps, 1)))
        } else if comm.size > 1 {
            summary += String(format: ", %.0f%% of the allreduce time hidden behind backward", 100 * trainer.overlap.hiddenFraction)
        }
        if let l = h.evalLoss.last { summary += ", held-out loss \(String(format: "%.6g", l))" }
        if let a = h.evalAccuracy.last, !a.isNaN { summary += String(format: ", accuracy %.4f", a) }
        if let b = bayes { summary += String(format: " (Bayes-optimal %.4f, agreement %.4f)", b.bayesAccuracy, b.agreement) }
        return JobOutcome(succeeded: true, summary: summary, outputs: outputs, warnings: warnings)
    }

    /// `/diffusion`'s attributes: what diffusion-sample needs to rebuild the model and undo the
    /// normalisation, and what the training pairs were.
    private func diffusionAttributes(_ setup: DiffusionSetup, spec: ModelSpec, updates: Int) -> [String: AttributeValue] {
        let d = p.diffusion
        var a: [String: AttributeValue] = [
            "schedule": .string(d.schedule.rawValue), "timesteps": .int(d.timesteps), "prediction": .string(d.prediction.rawValue),
            "field_side": .int(setup.fields.side), "coarsening": .int(setup.coarsening), "normalization_scale": .double(setup.fields.scale),
            "data": .string(setup.dataDescription), "ema_decay": .double(d.emaDecay), "ema_updates": .int(updates),
            "translations": .int(d.translations ? 1 : 0), "rotations": .int(d.rotations ? 1 : 0), "seed": .int(d.seed),
            "betas": .doubles(setup.schedule.betas),
        ]
        if d.schedule == .linear { (a["beta_start"], a["beta_end"]) = (.double(d.betaStart), .double(d.betaEnd)) }
        if case .unet(let u) = spec.layers[0] {
            let c = u.configuration
            a["unet_levels"] = .int(c.levels)
            a["unet_channels"] = .int(c.channels)
            a["unet_multipliers"] = .ints(c.multipliers)
            a["unet_blocks"] = .int(c.blocksPerLevel)
            a["unet_groups"] = .int(c.groups)
            a["unet_attention"] = .int(c.attention ? 1 : 0)
            a["unet_heads"] = .int(c.attentionHeads)
        }
        return a
    }

    private func resultAttributes(loss: TrainingLoss, data: DataDescription, steps: Int, ranks: Int, done: Int) -> [String: AttributeValue] {
        [
            "kind": .string(TrainJob.name),
            "data_kind": .string(p.data.kind.rawValue),
            "loss": .string(loss.description),
            "optimizer": .string(p.optimizer.kind.rawValue),
            "global_batch": .int(p.train.batch),
            "ranks": .int(ranks),
            "steps_planned": .int(steps),
            "steps_done": .int(done),
            "train_samples": .int(data.trainCount),
            "test_samples": .int(data.testCount),
            "input_shape": .ints(data.inputShape.dims),
        ]
    }

    private func divergenceMessage(step: Int, loss: Double, gradientNorm: Double, learningRate: Double, context: RunContext) -> String {
        let what = loss.isFinite ? "the gradient norm is \(gradientNorm)" : "the training loss is \(loss)"
        let saved = FileManager.default.fileExists(atPath: context.outputPath(CheckpointFile.fileName))
        let kept = saved ? "the last good checkpoint (checkpoint.h5) is kept" : "no checkpoint was written yet"
        return "training diverged at step \(step): \(what) (learning rate \(learningRate)); nothing was written after it and \(kept). Lower optimizer.lr, set train.clip_norm, or use schedule.kind = \"warmup\""
    }

    /// The trainer's settings from `train.*`: the global batch, the shuffle seed, `train.bucket_mb`
    /// in bytes (MiB, as PyTorch DDP's bucket_cap_mb), `train.clip_norm` (0: none) and
    /// `train.shard_optimizer` and `train.shared_memory`.
    /// - Throws: a `RunError` naming `train.bucket_mb` if the bytes do not fit an Int.
    static func trainingConfiguration(_ p: TrainParameters) throws -> TrainingConfiguration {
        let bytes = p.train.bucketMB * 1_048_576
        guard bytes.isFinite, bytes >= 1, bytes < 0x1p62 else {
            throw RunError("train.bucket_mb = \(p.train.bucketMB) is not a usable bucket size in bytes; use a value between 0.01 and 4096")
        }
        return TrainingConfiguration(globalBatch: p.train.batch, seed: UInt64(p.train.seed), bucketBytes: Int(bytes.rounded()),
                                     clipNorm: p.train.clipNorm > 0 ? Float(p.train.clipNorm) : nil, dropLast: true,
                                     shardOptimizer: p.train.shardOptimizer, sharedMemory: p.train.sharedMemory)
    }

    /// The learning-rate schedule of `optimizer.lr` and `schedule.*`.
    static func makeSchedule(_ p: TrainParameters, totalSteps: Int) -> LearningRateSchedule {
        let s = p.schedule, lr = Float(p.optimizer.lr)
        switch s.kind {
        case .constant: return .constant(lr)
        case .warmup: return .linearWarmup(lr, steps: s.warmupSteps)
        case .cosine: return .cosine(lr, total: totalSteps, warmup: s.warmupSteps, minimum: Float(s.minLR))
        }
    }

    /// The optimiser of `optimizer.*` with the schedule of `schedule.*`.
    static func makeOptimizer(_ p: TrainParameters, parameterCount n: Int, totalSteps: Int) -> any Optimizer {
        let o = p.optimizer
        let schedule = makeSchedule(p, totalSteps: totalSteps)
        switch o.kind {
        case .sgd:
            return SGD(parameterCount: n, schedule: schedule, momentum: Float(o.momentum), nesterov: o.nesterov, weightDecay: Float(o.weightDecay))
        case .adam:
            return Adam(parameterCount: n, schedule: schedule, beta1: Float(o.beta1), beta2: Float(o.beta2), epsilon: Float(o.eps), weightDecay: Float(o.weightDecay))
        case .adamw:
            return AdamW(parameterCount: n, schedule: schedule, beta1: Float(o.beta1), beta2: Float(o.beta2), epsilon: Float(o.eps), weightDecay: Float(o.weightDecay))
        }
    }
}
