import Diffusion
import Foundation
import Learning
import Parallel

// The diffusion U-Net (Sources/Learning/UNet) on one thread per rank, against the same network in
// PyTorch (bench/unet/reference_torch.py, run by bench/unet/run.sh in the same rounds):
//
//   cascade-bench-unet train  [sizes]   one training step: forward + MSE + backward + Adam, batch 16 of 64 × 64
//   cascade-bench-unet sample [sizes]   DDIM (20 steps, η = 0) through DiffusionSampler, batch 8; under mpirun
//                                       each rank draws its share of --samples, timed as the slowest rank
//   cascade-bench-unet export --out P   weights, a batch, its output and gradients for the PyTorch check
//
// Each mode prints one `cascade_<mode> key=value …` line: medians of the timed steps in wall and process
// CPU seconds, peak resident set (VmHWM) and the configuration.

/// One training step after another; the step's phases timed separately.
func benchTraining(_ s: BenchSettings) throws {
    let f = s.field.elements, startRSS = residentMegabytes().now
    let model = try Sequential(input: .vector(f + 1), batch: s.batch, seed: 1, [UNet(field: s.field, configuration: s.configuration)])
    let loss = MSE(features: f, batch: s.batch)
    try model.check(loss: loss)
    var adam = Adam(parameterCount: model.store.count, schedule: .constant(1e-4))
    let (x, targets) = trainingBatch(rows: s.batch, fieldElements: f, seed: 5)
    let builtRSS = residentMegabytes().now  // the model's buffers as far as building touched them
    var forward: [Double] = [], backward: [Double] = [], optimizer: [Double] = [], wall: [Double] = [], cpu: [Double] = []
    var lastLoss: Float = 0
    for step in 0 ..< s.warmup + s.steps {
        let c0 = cpuNow(), t0 = wallNow()
        model.store.zeroGradients()
        let y = model.forward(x, rows: s.batch)
        lastLoss = targets.withUnsafeBufferPointer { loss.evaluate(y, $0, rows: s.batch, globalBatch: s.batch) }
        let t1 = wallNow()
        model.backward(loss.gradient, rows: s.batch)
        let t2 = wallNow()
        let store = model.store
        store.withUnsafeMutableValues { p in store.withUnsafeGradients { g in adam.step(parameters: p, gradients: g) } }
        let t3 = wallNow(), c3 = cpuNow()
        if step >= s.warmup {
            forward.append(t1 - t0); backward.append(t2 - t1); optimizer.append(t3 - t2); wall.append(t3 - t0); cpu.append(c3 - c0)
        }
    }
    guard lastLoss.isFinite else { throw BenchError("training diverged: loss \(lastLoss)") }
    let memory = residentMegabytes()
    print("cascade_train step_s=\(f4(median(wall))) cpu_step_s=\(f4(median(cpu))) forward_s=\(f4(median(forward)))",
          "backward_s=\(f4(median(backward))) optimizer_s=\(f4(median(optimizer))) params=\(model.store.count)",
          "start_rss_mb=\(Int(startRSS)) built_rss_mb=\(Int(builtRSS)) peak_rss_mb=\(Int(memory.peak)) loss=\(lastLoss) batch=\(s.batch) steps=\(s.steps)",
          s.description)
}

/// DDIM sampling of this rank's share of the fields; every rank's wall and CPU time, the slowest reported.
func benchSampling(_ s: BenchSettings) throws {
    let world = Communicator.world
    guard s.samples % world.size == 0 else {
        throw BenchError("--samples \(s.samples) must be a multiple of the \(world.size) ranks (each rank its equal share)")
    }
    let f = s.field.elements, share = s.samples / world.size
    let model = try Sequential(input: .vector(f + 1), batch: s.sampleBatch, seed: 1, [UNet(field: s.field, configuration: s.configuration)])
    let predictor = try ModelNoisePredictor(model: model)
    let builtRSS = residentMegabytes().now
    let schedule = try NoiseSchedule.linear(steps: 1000)
    let steps = try DiffusionSampler.evenlySpacedTimesteps(count: s.ddimSteps, steps: schedule.steps)
    let sampler = try DiffusionSampler(schedule: schedule, method: .ddim(timesteps: steps, eta: 0), elementsPerSample: f, seed: 9)
    // One untimed forward at the full batch (first-touch of every buffer, oneDNN's primitives), as on the PyTorch side.
    _ = try predictor.predictNoise([Float](repeating: 0, count: s.sampleBatch * f), timesteps: Array(repeating: 999, count: s.sampleBatch))
    let mine = Array(world.rank * share ..< (world.rank + 1) * share)
    try world.barrier()
    let c0 = cpuNow(), t0 = wallNow()
    let fields = try sampler.sample(mine, model: predictor, batchSize: s.sampleBatch)
    let wall = wallNow() - t0, cpu = cpuNow() - c0
    guard fields.allSatisfy(\.isFinite) else { throw BenchError("sampling gave a non-finite value") }
    let worst = try world.allreduce([wall, cpu, residentMegabytes().peak, builtRSS], .max)
    if world.isRoot {
        print("cascade_sample ranks=\(world.size) samples=\(s.samples) wall_s=\(f4(worst[0])) cpu_s=\(f4(worst[1]))",
              "fields_per_s=\(f4(Double(s.samples) / worst[0])) fields_per_cpu_s=\(f4(Double(s.samples) / worst[1]))",
              "built_rss_mb=\(Int(worst[3])) peak_rss_mb=\(Int(worst[2])) sample_batch=\(s.sampleBatch) ddim_steps=\(s.ddimSteps)", s.description)
    }
}

Console.lineBuffered()
do {
    let settings = try BenchSettings(arguments: Array(CommandLine.arguments.dropFirst()))
    switch settings.mode {
    case "train": try benchTraining(settings)
    case "sample": try benchSampling(settings)
    default: try exportModel(settings)
    }
} catch {
    Console.error("cascade-bench-unet: \(error)\n")
    MPIEnvironment.finalizeIfNeeded()
    exit(2)
}
MPIEnvironment.finalizeIfNeeded()
