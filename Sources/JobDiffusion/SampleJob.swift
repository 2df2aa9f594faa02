import Diffusion
import Foundation
import JobKit
import Learning
import Parallel
import Storage

/// The `diffusion-sample` job: fields drawn from a diffusion model trained by the `train` kind, written
/// as `samples.h5` in the layout of ns2d's `snapshots.h5` (so turbulence-compare and the covariance kind
/// read them as they read simulation frames) with an XDMF sidecar.
///
/// Global samples first ..< first + samples are split over the ranks in contiguous, balanced shares; each
/// rank draws its share in batches of `sampling.batch` fields. The starting noise and every added noise of
/// sample k are keyed by (seed, k, time step) and the U-Net treats each field of a batch on its own, so the
/// set of fields does not depend on the rank count or the batch. Every rank writes its fields into its own
/// rows of one dataset, in collective rounds (a rank whose share is done writes nothing), so memory per rank
/// is one batch.
public struct SampleJob: JobKind {
    let p: SampleParameters

    public init(parameters: SampleParameters) throws { p = parameters }

    public func run(in context: RunContext) throws -> JobOutcome {
        let comm = context.communicator
        let solo = try comm.split(color: comm.rank)
        // Rank 0 checks the file first, so a bad one gives one error; then every rank reads it.
        try context.rootDecides { _ = try TrainedDiffusionModel(file: p.modelFile, weights: p.weights, solo: solo) }
        let trained = try TrainedDiffusionModel(file: p.modelFile, weights: p.weights, solo: solo)
        let d = trained.description, n = d.side, points = n * n
        let method = try samplingMethod(timesteps: trained.schedule.steps)
        try checkResources(trained, context: context)
        Conv2d.limitThreadsUnlessUserChose()

        let batch = min(p.batch, p.samples)
        let network = try trained.model(batch: batch)
        let noiseModel = try ModelNoisePredictor(model: network)
        let predictor: any NoisePredictor = d.prediction == "velocity"
            ? VelocityAsNoisePredictor(velocityModel: noiseModel, schedule: trained.schedule) : noiseModel
        let sampler: DiffusionSampler
        do { sampler = try DiffusionSampler(schedule: trained.schedule, method: method, elementsPerSample: points, seed: UInt64(p.seed)) } catch {
            throw RunError("sampling: \(error)")
        }
        let share = Self.share(of: p.samples, rank: comm.rank, ranks: comm.size)
        let visits = sampler.visitedTimesteps.count
        context.logger.info("diffusion-sample: \(p.samples) fields of \(n)² from \(trained.group) of \(p.modelFile) (\(network.store.count) parameters, \(d.prediction) prediction), \(p.method.rawValue) over \(visits) of \(trained.schedule.steps) time steps, batch \(batch), samples \(p.first) … \(p.first + p.samples - 1) split over \(comm.size) rank(s)")

        let path = context.outputPath(p.outputFile)
        let file = try SamplesFile(path: path, parameters: p, model: trained, visitedSteps: visits, ranks: comm.size, communicator: comm)
        let rounds = (Self.share(of: p.samples, rank: 0, ranks: comm.size).count + batch - 1) / batch
        let progress = context.progress("samples", total: Double(p.samples), unit: .count("fields"))
        progress.update(0)
        let start = MPIEnvironment.wtime()
        for round in 0 ..< rounds {
            // Shares differ by at most one sample, so a smaller share ends in rank 0's last round at the latest.
            let lower = min(share.lowerBound + round * batch, share.upperBound)
            let local = lower ..< min(lower + batch, share.upperBound)
            var fields: [Double] = []
            var failure = ""
            if !local.isEmpty {
                do {
                    let x = try sampler.sample(local.map { p.first + $0 }, model: predictor, batchSize: batch)
                    if let bad = x.firstIndex(where: { !$0.isFinite }) {
                        failure = "sampling: sample \(p.first + local.lowerBound + bad / points) reached \(x[bad]): the model's errors were amplified beyond float range (fix: a better-trained model, model.weights = \"\(p.weights == .ema ? "raw" : "ema")\", or another sampling.method or sampling.steps)"
                    }
                    fields = x.map { Double($0) * d.normalizationScale }
                } catch {
                    failure = "\(error)"
                }
            }
            // Every rank learns of a failure on any rank before the collective write.
            if let message = try comm.allgather(failure).first(where: { !$0.isEmpty }) { throw RunError(message) }
            try file.write(fields, firstRow: local.lowerBound, rows: failure.isEmpty ? local.count : 0)
            progress.update(Double(min((round + 1) * batch * comm.size, p.samples)))
        }
        let seconds = MPIEnvironment.wtime() - start
        try file.finish()
        let rate = Double(p.samples) / max(seconds, 1e-9)
        let summary = String(format: "diffusion-sample: %d fields of %d² (%@ over %d of %d steps, %@ weights) in %.2f s on %d rank(s): %.3g fields/s, %.3g field evaluations of the network/s",
                             p.samples, n, p.method.rawValue, visits, trained.schedule.steps, p.weights.rawValue, seconds, comm.size,
                             rate, rate * Double(visits))
        return JobOutcome(succeeded: true, summary: summary, outputs: [p.outputFile, p.xdmfFile])
    }

    /// Rank r's contiguous share of `count` samples (positions 0 ..< count): the first count mod P ranks
    /// take one more.
    static func share(of count: Int, rank: Int, ranks: Int) -> Range<Int> {
        let q = count / ranks, r = count % ranks
        let lower = rank * q + min(rank, r)
        return lower ..< lower + q + (rank < r ? 1 : 0)
    }

    /// DDIM's time steps or DDPM, checked against the training's T.
    func samplingMethod(timesteps: Int) throws -> SamplingMethod {
        switch p.method {
        case .ddpm: return .ddpm(variance: p.ddpmVariance.ancestral)
        case .ddim:
            guard p.steps <= timesteps else {
                throw RunError("`sampling.steps` = \(p.steps) is more than the \(timesteps) diffusion steps the model of \"\(p.modelFile)\" was trained with (fix: at most \(timesteps), or sampling.method = \"ddpm\" for all of them)")
            }
            return .ddim(timesteps: try DiffusionSampler.evenlySpacedTimesteps(count: p.steps, steps: timesteps), eta: p.eta)
        }
    }

    /// Refuses, on every rank alike, a batch whose network does not fit a rank's memory and a file larger
    /// than the free space of the output directory.
    func checkResources(_ trained: TrainedDiffusionModel, context: RunContext) throws {
        let comm = context.communicator, outputDirectory = context.outputDirectory
        let d = trained.description, n = Double(d.side), batch = Double(min(p.batch, p.samples))
        var m = MemoryEstimate()
        // The side is a multiple of 2^(levels−1) (checked on reading), so every level's side is exact.
        let activations = Double(d.configuration.activationsPerSample(side: d.side))
        m.add("the U-Net's buffers for \(Int(batch)) fields of \(d.side)²", elements: batch * activations, bytesPerElement: 4, keys: ["sampling.batch"])
        m.add("the weights", elements: Double(trained.values.count), bytesPerElement: 8, keys: ["model.file"])
        m.add("the sampler's fields (x, ε̂, noise, rows, output)", elements: 6 * batch * n * n, bytesPerElement: 8, keys: ["sampling.batch"])
        let name = MPIEnvironment.shared.processorName
        let perNode = try comm.allreduce(try comm.allgather(name).filter { $0 == name }.count, .max)
        if let problem = m.problems(available: MemoryEstimate.available(ranksPerNode: perNode), ranksPerNode: perNode).first {
            throw RunError("`\(problem.path ?? "sampling.batch")`: \(problem.message) (fix: \(problem.fix))")
        }
        let bytes = Double(p.samples) * n * n * 8
        let free = (try? FileManager.default.attributesOfFileSystem(forPath: outputDirectory.path)[.systemFreeSize] as? NSNumber)?.doubleValue ?? .infinity
        try context.rootDecides {
            guard bytes <= 0.95 * free else {
                throw RunError("`sampling.samples` = \(p.samples): \(p.outputFile) would hold \(formatBytes(bytes)) (\(p.samples) × \(d.side)² float64) but \(outputDirectory.path) has \(formatBytes(free)) free (fix: at most \(Int(0.95 * free / (n * n * 8))) samples per job; later jobs continue with sampling.first)")
            }
        }
    }
}
