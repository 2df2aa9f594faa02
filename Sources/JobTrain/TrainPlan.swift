import JobKit
import Learning

/// What the samples look like, as far as the model and the loss care.
public struct DataDescription: Equatable, Sendable {
    /// Training samples.
    public var trainCount: Int
    /// Held-out samples (0: no evaluation).
    public var testCount: Int
    /// Per-sample input shape.
    public var inputShape: TensorShape
    /// Labels or real-valued targets.
    public var target: TargetKind

    public init(trainCount: Int, testCount: Int, inputShape: TensorShape, target: TargetKind) {
        self.trainCount = trainCount
        self.testCount = testCount
        self.inputShape = inputShape
        self.target = target
    }

    /// The description of an opened source (and its held-out part).
    public init(train: any SampleSource, test: (any SampleSource)?) {
        self.init(trainCount: train.count, testCount: test?.count ?? 0, inputShape: train.inputShape, target: train.targetKind)
    }
}

/// A `train` job's parameters resolved against each other: the model spec, the data (when known
/// from the parameters alone), the loss and the step count. Made by `cascade validate` (every
/// problem, each naming its key) and again at the start of the run.
public struct TrainPlan: Sendable {
    public let parameters: TrainParameters
    /// The parsed model.
    public let model: ModelSpec
    /// The data, known before opening anything for synthetic tasks; nil for hdf5 (checked by
    /// ``check(data:)`` once the source is open, before training).
    public let data: DataDescription?

    /// Parses the model and checks every key relation that the parameters alone decide.
    public static func make(_ p: TrainParameters, ranks: Int) -> (plan: TrainPlan?, problems: [ConfigProblem]) {
        var problems: [ConfigProblem] = []
        let parsed = ModelSpec.parse(input: p.model.input, layers: p.model.layers)
        problems += parsed.problems
        problems += batchProblems(p, ranks: ranks)
        problems += optimizerProblems(p)
        problems += dataKeyProblems(p)
        let data = syntheticData(p)
        guard let model = parsed.spec else { return (nil, problems) }
        problems += diffusionProblems(p, model: model)
        let plan = TrainPlan(parameters: p, model: model, data: data)
        if let data {
            problems += plan.check(data: data, ranks: ranks)
        } else if model.input != nil, case .failure(let e) = model.shapes() {
            // Data read from a file: its shape is known once it is open, but a model that does
            // not chain from its own model.input is wrong whatever the file holds.
            problems.append(e.problem)
        }
        return (problems.isEmpty ? plan : nil, problems)
    }

    /// The data of a synthetic task, from its keys; nil for hdf5.
    static func syntheticData(_ p: TrainParameters) -> DataDescription? {
        let s = p.data.synthetic
        switch p.data.kind {
        case .teacherStudent:
            return DataDescription(trainCount: s.samples, testCount: s.testSamples, inputShape: .vector(s.dimension),
                                   target: .values(s.teacherOutputs))
        case .gaussianMixture:
            return DataDescription(trainCount: s.samples, testCount: s.testSamples, inputShape: .vector(s.dimension), target: .classes(2))
        case .gaussianRandomField:
            let (points, o) = p.data.side.multipliedReportingOverflow(by: p.data.side)
            guard !o else { return nil }
            return DataDescription(trainCount: s.samples, testCount: s.testSamples, inputShape: .vector(points + 1), target: .values(points))
        case .hdf5, .snapshots:
            return nil
        }
    }

    /// Checks the model, the loss and the batch against the data: model.input against the data's
    /// shape, the layers' shapes (without building), the output width the loss needs, and a
    /// global batch no larger than the training set. Runs at validation for synthetic data and
    /// at the start of the run for any source (the hook for HDF5 sources, whose own checks —
    /// labels in range, equal sample counts of inputs and labels — run when they are opened).
    public func check(data: DataDescription, ranks: Int) -> [ConfigProblem] {
        let p = parameters
        var problems: [ConfigProblem] = []
        if let given = model.input, given != data.inputShape {
            problems.append(ConfigProblem(path: "model.input", message: "is \(given) but the data's samples have shape \(data.inputShape)",
                                          fix: "set model.input = \(data.inputShape.dims) or [] (take it from the data)"))
        }
        if p.train.batch > data.trainCount {
            problems.append(ConfigProblem(path: "train.batch", message: "the global batch \(p.train.batch) is larger than the \(data.trainCount) training samples",
                                          fix: "use train.batch ≤ \(data.trainCount) or more samples (data.samples)"))
        }
        if p.train.steps == 0 && p.train.epochs > 0 {
            let (_, o) = p.train.epochs.multipliedReportingOverflow(by: max(data.trainCount / max(p.train.batch, 1), 1))
            if o { problems.append(ConfigProblem(path: "train.epochs", message: "gives more steps than can be counted", fix: "use fewer epochs")) }
        }
        // A diffusion model's loss other than mse is refused by diffusionProblems, once.
        if p.data.kind.isDiffusion && !p.loss.regressesNoise { return problems }
        let loss: TrainingLoss
        switch TrainingLoss.resolve(p.loss, target: data.target) {
        case .failure(let e): problems.append(e.problem); return problems
        case .success(let l): loss = l
        }
        switch model.shapes(input: data.inputShape) {
        case .failure(let e):
            problems.append(e.problem)
        case .success(let shapes):
            // Real-valued targets may come as a field (a U-Net's output): the loss sees the values.
            let fits = loss.isClassification ? shapes.output == .vector(loss.outputWidth) : shapes.output.elements == loss.outputWidth
            if !fits {
                let last = model.layerKey(model.layers.count - 1)
                problems.append(ConfigProblem(path: last, message: "the model's output \(shapes.output) does not fit \(loss) (which needs [\(loss.outputWidth)])",
                                              fix: "end the model with a dense layer of units = \(loss.outputWidth)"))
            }
        }
        return problems
    }

    /// The loss for `data` (after ``check(data:ranks:)`` passed).
    public func loss(for data: DataDescription) throws -> TrainingLoss {
        switch TrainingLoss.resolve(parameters.loss, target: data.target) {
        case .success(let l): return l
        case .failure(let e): throw RunError(e.description)
        }
    }

    /// Optimiser steps of the run.
    public func totalSteps(data: DataDescription) -> Int {
        let t = parameters.train
        if t.steps > 0 { return t.steps }
        return t.epochs * TrainPlan.stepsPerEpoch(samples: data.trainCount, batch: t.batch)
    }

    /// Full global batches in one pass over `samples` (the incomplete last batch is dropped, so
    /// every step has the same global batch).
    public static func stepsPerEpoch(samples: Int, batch: Int) -> Int { max(samples / max(batch, 1), 1) }

    static func batchProblems(_ p: TrainParameters, ranks: Int) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        let b = p.train.batch
        if b % ranks != 0 {
            let up = (b + ranks - 1) / ranks * ranks, down = b / ranks * ranks
            let options = down > 0 ? "\(down) or \(up)" : "\(up)"
            problems.append(ConfigProblem(path: "train.batch", message: "the global batch \(b) does not divide over \(ranks) ranks (each rank takes batch / ranks samples)",
                                          fix: "use a multiple of \(ranks) such as \(options), or a rank count that divides \(b)"))
        }
        if p.train.steps == 0 && p.train.epochs == 0 {
            problems.append(ConfigProblem(path: "train.steps", message: "train.steps and train.epochs are both 0: nothing to train",
                                          fix: "set train.steps = N, or train.steps = 0 with train.epochs = N"))
        }
        if p.train.steps > 0 && p.train.epochs > 0 {
            problems.append(ConfigProblem(path: "train.epochs", message: "is set together with train.steps = \(p.train.steps)",
                                          fix: "give one of them: train.steps = 0 to train for epochs, or remove train.epochs"))
        }
        return problems
    }

    static func optimizerProblems(_ p: TrainParameters) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        let o = p.optimizer, s = p.schedule
        if o.nesterov && (o.kind != .sgd || o.momentum == 0) {
            problems.append(ConfigProblem(path: "optimizer.nesterov", message: "needs optimizer.kind = \"sgd\" with optimizer.momentum > 0",
                                          fix: "set optimizer.momentum (e.g. 0.9), or remove optimizer.nesterov"))
        }
        if o.kind != .sgd && o.momentum != 0 {
            problems.append(ConfigProblem(path: "optimizer.momentum", message: "applies to sgd only (optimizer.kind = \"\(o.kind.rawValue)\" uses beta1)",
                                          fix: "remove optimizer.momentum, or set optimizer.beta1"))
        }
        if s.minLR > o.lr {
            problems.append(ConfigProblem(path: "schedule.min_lr", message: "\(s.minLR) is above optimizer.lr = \(o.lr)",
                                          fix: "use schedule.min_lr ≤ optimizer.lr"))
        }
        if s.kind == .warmup && s.warmupSteps == 0 {
            problems.append(ConfigProblem(path: "schedule.warmup_steps", message: "is 0 for schedule.kind = \"warmup\"",
                                          fix: "set schedule.warmup_steps > 0, or schedule.kind = \"constant\""))
        }
        if s.kind == .cosine && p.train.steps > 0 && s.warmupSteps >= p.train.steps {
            problems.append(ConfigProblem(path: "schedule.warmup_steps", message: "\(s.warmupSteps) warm-up steps leave nothing of the \(p.train.steps) steps for the cosine decay",
                                          fix: "use schedule.warmup_steps < train.steps"))
        }
        return problems
    }

    /// A diffusion model is one unet on field data (and a unet needs field data); a linear schedule
    /// needs β to grow.
    static func diffusionProblems(_ p: TrainParameters, model: ModelSpec) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        let isUNet: Bool
        if model.layers.count == 1, case .unet = model.layers[0] { isUNet = true } else { isUNet = false }
        let hasUNet = model.layers.contains { if case .unet = $0 { return true } else { return false } }
        if p.data.kind.isDiffusion && !isUNet {
            problems.append(ConfigProblem(path: "model.layers", message: "data.kind = \"\(p.data.kind.rawValue)\" trains a diffusion model, whose model is one unet layer",
                                          fix: "use a single [[model.layers]] table with type = \"unet\" (docs/diffusion.md)"))
        }
        if hasUNet && !p.data.kind.isDiffusion {
            problems.append(ConfigProblem(path: "data.kind", message: "is \"\(p.data.kind.rawValue)\" but the model is a unet, which predicts the noise of diffusion training pairs",
                                          fix: "use data.kind = \"snapshots\" or \"gaussian-random-field\""))
        }
        let d = p.diffusion
        if p.data.kind.isDiffusion && d.schedule == .linear && d.betaEnd < d.betaStart {
            problems.append(ConfigProblem(path: "diffusion.beta_end", message: "\(d.betaEnd) is below diffusion.beta_start = \(d.betaStart)",
                                          fix: "use diffusion.beta_end ≥ diffusion.beta_start (Ho et al.: 1e-4 to 0.02)"))
        }
        if p.data.kind.isDiffusion && !p.loss.regressesNoise {
            problems.append(ConfigProblem(path: "loss.kind", message: "is \(p.loss.rawValue); a diffusion model regresses the noise",
                                          fix: "use loss.kind = \"mse\" or \"auto\""))
        }
        if p.data.kind == .gaussianRandomField && p.data.kMax > Double(p.data.side / 2) {
            problems.append(ConfigProblem(path: "data.k_max", message: "\(p.data.kMax) is above N/2 = \(p.data.side / 2) for data.side = \(p.data.side)",
                                          fix: "use data.k_max ≤ \(p.data.side / 2), or 0 for N/2"))
        }
        return problems
    }

    static func dataKeyProblems(_ p: TrainParameters) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        let d = p.data
        switch d.kind {
        case .hdf5:
            if d.file.isEmpty {
                problems.append(ConfigProblem(path: "data.file", message: "is required for data.kind = \"hdf5\"",
                                              fix: "set data.file to the HDF5 file of the samples"))
            }
            if d.labels.isEmpty == d.targets.isEmpty {
                problems.append(ConfigProblem(path: d.labels.isEmpty ? "data.labels" : "data.targets",
                                              message: d.labels.isEmpty ? "neither data.labels nor data.targets is given" : "data.labels and data.targets are both given",
                                              fix: "give data.labels (classification) or data.targets (regression), not both"))
            }
            if !d.labels.isEmpty && d.classes < 2 {
                problems.append(ConfigProblem(path: "data.classes", message: "is \(d.classes); labels need the number of classes",
                                              fix: "set data.classes ≥ 2 (labels run 0…classes − 1)"))
            }
        case .gaussianMixture:
            if d.synthetic.testSamples == 0 {
                problems.append(ConfigProblem(path: "data.test_samples", message: "is 0; the Bayes-optimal comparison is made on the held-out samples",
                                              fix: "set data.test_samples ≥ 1000 (the accuracies' standard error is about 0.5/sqrt(test_samples))"))
            }
            problems += TrainDataSources.mixtureKeyProblems(d)
        case .snapshots:
            if d.file.isEmpty {
                problems.append(ConfigProblem(path: "data.file", message: "is required for data.kind = \"snapshots\"",
                                              fix: "set data.file to an ns2d snapshots.h5 (e.g. runs/ns2d-inverse-cascade/snapshots.h5)"))
            }
        case .teacherStudent, .gaussianRandomField:
            break
        }
        return problems
    }
}

extension LossKind {
    /// Whether a diffusion model can train with it: the mean square error on the noise (auto picks it
    /// for real-valued targets).
    var regressesNoise: Bool { self == .auto || self == .mse }
}
