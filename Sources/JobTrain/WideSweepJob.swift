import Foundation
import JobKit
import Learning
import TrainingData
import Logging
import Parallel
import Storage
import Training

/// The `wide-sweep` job: one teacher–student task trained at every width of `sweep.widths` and
/// seed of `sweep.seeds`, measuring per run how lazily it trained (relative weight change,
/// linearisation gap, NTK change, second-order ratio), each against width with its log–log
/// slope in `wide_sweep.h5` (docs/training.md).
public struct WideSweepJob: JobKind {
    public static let name = "wide-sweep"
    public static let summary = "Train a task over widths and seeds and measure how training linearises with width (weight change, linearisation gap, NTK change; log-log slopes) in HDF5."

    public static func outputNames(_ p: WideSweepParameters) -> [String] { [p.file] }

    public static func problems(in p: WideSweepParameters, ranks: Int) -> [ConfigProblem] {
        var out: [ConfigProblem] = []
        if p.data.teacherOutputs != 1 {
            out.append(ConfigProblem(path: "data.teacher_outputs", message: "is \(p.data.teacherOutputs); the sweep's diagnostics are for one-output networks",
                                     fix: "set data.teacher_outputs = 1"))
        }
        if p.globalBatch > p.data.samples {
            out.append(ConfigProblem(path: "train.batch", message: "the batch \(p.globalBatch) is larger than the \(p.data.samples) training samples",
                                     fix: "use train.batch ≤ data.samples, or 0 for full batch"))
        }
        if p.sweep.distribute == .data && p.globalBatch % ranks != 0 {
            out.append(ConfigProblem(path: p.train.batch == 0 ? "data.samples" : "train.batch",
                                     message: "the batch \(p.globalBatch) does not divide over \(ranks) ranks (sweep.distribute = \"data\")",
                                     fix: "use a multiple of \(ranks), or sweep.distribute = \"runs\""))
        }
        if Set(p.sweep.widths).count != p.sweep.widths.count {
            out.append(ConfigProblem(path: "sweep.widths", message: "lists a width twice", fix: "give each width once"))
        }
        if Set(p.sweep.seeds).count != p.sweep.seeds.count {
            out.append(ConfigProblem(path: "sweep.seeds", message: "lists a seed twice", fix: "give each seed once"))
        }
        return out
    }

    public static func warnings(in p: WideSweepParameters) -> [String] {
        var out: [String] = []
        if Set(p.sweep.widths).count < 2 { out.append("sweep.widths has one width: no slope against width can be fitted") }
        return out
    }

    /// Parameters of the network of `width`.
    static func parameterCount(_ p: WideSweepParameters, width w: Int) -> Int {
        p.data.dimension * w + w + (p.sweep.depth - 1) * (w * w + w) + w + 1
    }

    public static func memoryEstimate(_ p: WideSweepParameters, ranks: Int) -> MemoryEstimate {
        var m = MemoryEstimate()
        let widest = p.sweep.widths.max() ?? 1
        let n = Double(parameterCount(p, width: widest))
        let optimizerBuffers: Double = p.train.optimizer == .adam ? 2 : 0
        let perRank = p.sweep.distribute == .data ? DataParallelTrainer.localCapacity(globalBatch: p.globalBatch, ranks: ranks) : p.globalBatch
        // values, gradients, optimiser state, and the linearisation's θ_0, θ_t and Δθ.
        m.add("parameters, gradients, optimiser state and copies of the widest network (\(Int(n)) parameters)",
              elements: n * (5 + optimizerBuffers), bytesPerElement: 4, keys: ["sweep.widths", "sweep.depth"])
        let jacobian = min(EmpiricalNTK.defaultMemoryBudget, EmpiricalNTK.jacobianBytes(parameters: Int(n), probes: p.probeSamples, outputs: 1))
        m.add("Jacobian rows of the empirical NTK", elements: Double(jacobian) / 4, bytesPerElement: 4, keys: ["probe.samples", "sweep.widths"])
        m.add("activations of \(perRank) samples", elements: Double(perRank) * Double(2 * p.sweep.depth * widest + p.data.dimension + 2),
              bytesPerElement: 4, keys: ["train.batch", "data.samples", "sweep.widths"])
        return m
    }

    let p: WideSweepParameters

    public init(parameters: WideSweepParameters) throws { p = parameters }

    /// The network of `width`: `depth` × (dense, activation), then a dense output of one unit.
    func layers(width: Int) -> [LayerSpec] {
        let initialization: WeightInit = p.sweep.parameterization == .ntk ? .ntk : .he
        var out: [LayerSpec] = []
        for _ in 0 ..< p.sweep.depth {
            out.append(.dense(units: width, initialization: initialization, beta: p.sweep.beta))
            out.append(.activation(p.sweep.activation))
        }
        out.append(.dense(units: 1, initialization: initialization, beta: p.sweep.beta))
        return out
    }

    /// The (width, seed) runs, widest first (so that round-robin over ranks balances the work),
    /// and the ones this rank trains.
    static func assignment(widths: [Int], seeds: [Int], distribute: SweepDistribution, rank: Int, ranks: Int) -> [(width: Int, seed: Int)] {
        let runs = widths.sorted(by: >).flatMap { w in seeds.map { (width: w, seed: $0) } }
        guard distribute == .runs else { return runs }
        return runs.enumerated().filter { $0.offset % ranks == rank }.map(\.element)
    }

    public func run(in context: RunContext) throws -> JobOutcome {
        let comm = context.communicator
        let log = context.logger
        var warnings = WideSweepJob.warnings(in: p)
        if comm.isRoot { for w in warnings { log.warning("\(w)") } }
        let s = p.sweep
        let mine = WideSweepJob.assignment(widths: s.widths, seeds: s.seeds, distribute: s.distribute, rank: comm.rank, ranks: comm.size)
        let runComm = s.distribute == .runs ? try comm.split(color: comm.rank) : comm
        let d = p.data
        // The same teacher–student task as `train`'s (TrainingData), one output; the probes are held-out samples.
        let train: TeacherStudentTask, probeSource: TeacherStudentTask
        do {
            train = try TeacherStudentTask(inputDimension: d.dimension, width: d.teacherWidth, depth: d.teacherDepth, outputs: 1,
                                           activation: .tanh, initialization: .ntk(beta: 0), labelNoise: d.noise,
                                           teacherSeed: UInt64(d.seed), dataSeed: UInt64(d.seed), count: d.samples)
            probeSource = try train.heldOut(count: p.probeSamples)
        } catch let e as TrainingDataError {
            throw RunError("wide-sweep data: \(e)")
        }
        var probes = [Float](repeating: 0, count: p.probeSamples * d.dimension)
        let probeIndices = Array(0 ..< p.probeSamples)
        try probeIndices.withUnsafeBufferPointer { i in
            try probes.withUnsafeMutableBufferPointer { try probeSource.load(indices: i, inputs: $0.baseAddress!, targets: nil, labels: nil) }
        }
        log.info("wide-sweep: \(s.widths.count) widths × \(s.seeds.count) seeds, depth \(s.depth), \(s.activation.rawValue), \(s.parameterization.rawValue); \(p.train.steps) steps of batch \(p.globalBatch); runs \(s.distribute == .runs ? "spread over the ranks" : "each on all ranks")")
        let progress = context.progress(s.distribute == .runs ? "runs (rank 0's share)" : "runs", total: Double(mine.count), unit: .count("runs"))
        var results: [WideRunResult] = []
        var problems: [String] = []
        for (done, run) in mine.enumerated() {
            let (result, problem) = try trainOne(width: run.width, seed: run.seed, train: train, probes: probes, communicator: runComm)
            results.append(result)
            if let problem { problems.append(problem) }
            if runComm.isRoot {
                log.info("width \(run.width), seed \(run.seed): weight change \(String(format: "%.4g", result.relativeWeightChange)), linearisation gap \(String(format: "%.4g", result.linearizationGap)), NTK change \(String(format: "%.4g", result.ntkChange)), loss \(String(format: "%.4g", result.finalLoss))")
            }
            progress.update(done + 1)
        }

        // Every rank's results on every rank (runs: each rank's own; data: rank 0's are all).
        let local = s.distribute == .runs || comm.isRoot ? results.flatMap(\.packed) : []
        let all = try comm.allgather(local)
        let gathered = stride(from: 0, to: all.count, by: WideRunResult.packedCount).map {
            WideRunResult(packed: all[$0 ..< $0 + WideRunResult.packedCount])
        }
        let allProblems = try comm.allgather(problems.joined(separator: "\n")).flatMap { $0.split(separator: "\n").map(String.init) }
        warnings += allProblems
        if comm.isRoot { for w in allProblems { log.warning("\(w)") } }
        try WideSweepFile.write(path: context.outputPath(p.file), widths: s.widths, seeds: s.seeds, results: gathered,
                                attributes: [
                                    "kind": .string(WideSweepJob.name), "depth": .int(s.depth), "activation": .string(s.activation.rawValue),
                                    "parameterization": .string(s.parameterization.rawValue), "steps": .int(p.train.steps),
                                    "lr": .double(p.train.lr), "batch": .int(p.globalBatch), "ranks": .int(comm.size),
                                    "distribute": .string(s.distribute.rawValue), "probe_samples": .int(p.probeSamples),
                                ], communicator: comm)
        let axis = s.widths.flatMap { w in s.seeds.map { _ in w } }
        var byRun: [[Int]: WideRunResult] = [:]
        for r in gathered { byRun[[r.width, r.seed]] = r }
        let slopes = WideSweepFile.quantities.map { q -> String in
            let values = s.widths.flatMap { w in s.seeds.map { byRun[[w, $0]].map(q.value) ?? .nan } }
            let fit = WideSweepFile.slope(widths: axis, values: values)
            return "\(q.name) slope \(String(format: "%.3f ± %.3f", fit.slope, fit.standardError))"
        }
        let summary = "wide-sweep of \(gathered.count) runs on \(comm.size) rank(s): " + slopes.joined(separator: ", ")
        return JobOutcome(succeeded: allProblems.isEmpty, summary: summary, outputs: [p.file], warnings: warnings)
    }

    /// Trains one (width, seed) run on `communicator` (all ranks with distribute = "data", this rank
    /// alone with "runs") through `DataParallelTrainer` and measures it with
    /// `WideNetworkStudy.measure`: θ₀ and Θ₀ after the trainer's broadcast, then the exact JVP
    /// linearisation (gap and second-order ratio) and Θ_T after training. A diverged run gives NaN
    /// figures and a problem text (the other runs go on: in `runs` mode ranks cannot agree on stopping).
    private func trainOne(width: Int, seed: Int, train: TeacherStudentTask, probes: [Float],
                          communicator: Communicator) throws -> (WideRunResult, String?) {
        let spec = ModelSpec(input: .vector(p.data.dimension), layers: layers(width: width), key: "sweep")
        let batch = p.globalBatch
        let rows = DataParallelTrainer.localCapacity(globalBatch: batch, ranks: communicator.size)
        let model = try spec.build(batch: rows, seed: UInt64(seed))
        let n = model.store.count
        let optimizer: any Optimizer = p.train.optimizer == .sgd ? SGD(parameterCount: n, schedule: .constant(Float(p.train.lr))) : Adam(parameterCount: n)
        let trainer: DataParallelTrainer
        do {
            trainer = try DataParallelTrainer(model: model, loss: MSE(features: 1, batch: rows), optimizer: optimizer,
                                              schedule: .constant(Float(p.train.lr)), training: train,
                                              // Own parameters per rank: the linearisation writes θ₀ and θ_t into
                                              // the store, which shared memory would share between a node's ranks.
                                              configuration: TrainingConfiguration(globalBatch: batch, seed: UInt64(seed), sharedMemory: false),
                                              communicator: communicator)
        } catch let e as TrainingError {
            throw RunError("wide-sweep, width \(width): \(e)")
        }
        do {
            let d = try WideNetworkStudy.measure(model: model, probes: probes, probeCount: p.probeSamples) { _ in
                var first = Double.nan, last = Double.nan
                for _ in 0 ..< p.train.steps {
                    last = try trainer.trainStep().loss
                    if first.isNaN { first = last }
                }
                return (first, last)
            }
            return (WideRunResult(width: width, seed: seed, relativeWeightChange: d.relativeWeightChange, linearizationGap: d.linearizationGap,
                                  ntkChange: d.ntkChange, secondOrderRatio: d.secondOrderRatio, finalLoss: d.finalLoss, parameters: n), nil)
        } catch TrainingError.nonFinite(let step, let loss, _) {
            let nan = WideRunResult(width: width, seed: seed, relativeWeightChange: .nan, linearizationGap: .nan, ntkChange: .nan,
                                    secondOrderRatio: .nan, finalLoss: .nan, parameters: n)
            return (nan, "width \(width), seed \(seed): training diverged at step \(step + 1) (loss \(loss)); lower train.lr")
        }
    }
}
