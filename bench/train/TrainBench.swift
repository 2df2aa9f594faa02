import CounterRNG
import Foundation
import Learning
import Parallel
import Training

// Data-parallel training throughput: MLP 1024 → 4096 → 4096 → 10 (ReLU), softmax cross-entropy,
// Adam, global batch 256, float32, 1 BLAS thread per rank. bench/train/run.sh runs it on 1 and 2
// ranks and the PyTorch references (one process; DDP with gloo on 2) and prints the ratios.
//
//   cascade-bench-train [--steps N] [--warmup N] [--inline | --nonblocking] [--bucket-mb X] [--shard]
// prints one line: ranks, median step seconds, samples/s, fraction of allreduce time hidden, the
// step's parts per step (backward, gradient reduction, optimiser, parameter allgather) and memory
// (resident set after the timed steps, and peak, on the rank with the most).
// --shard: the sharded optimiser step (reduce-scatter, Adam on this rank's slice, allgather).

/// A fixed pool of random samples, copied out by index (so data costs the same as PyTorch's
/// pre-made tensors: a copy, no random draws in the timed loop).
final class SamplePool: SampleSource {
    let count: Int
    let inputShape: TensorShape
    let targetKind: TargetKind
    private let inputs: [Float]
    private let classes: [Int32]

    init(count: Int, features: Int, classes n: Int) {
        self.count = count
        inputShape = .vector(features)
        targetKind = .classes(n)
        // Keyed by sample index (counter-based), so every rank and rank count sees the same samples.
        let x = CounterRNG(seed: 21, stream: 0), y = CounterRNG(seed: 21, stream: 1)
        inputs = (0 ..< count * features).map { Float(2 * x.uniform(at: UInt64($0)) - 1) }
        classes = (0 ..< count).map { Int32(y.uniform(at: UInt64($0)) * Double(n)) % Int32(n) }
    }

    func load(indices: UnsafeBufferPointer<Int>, inputs out: UnsafeMutablePointer<Float>,
              targets: UnsafeMutablePointer<Float>?, labels: UnsafeMutablePointer<Int32>?) throws {
        let f = inputShape.elements
        inputs.withUnsafeBufferPointer { src in
            for (r, i) in indices.enumerated() {
                (out + r * f).update(from: src.baseAddress! + i * f, count: f)
                labels![r] = classes[i]
            }
        }
    }
}

var steps = 20, warmup = 3, globalBatch = 256, overlapOnWorker = true, bucketMB = 25.0, blocking = true, shard = false, sharedMemory = true,
    partition = true
var arguments = Array(CommandLine.arguments.dropFirst())
while let a = arguments.first {
    arguments.removeFirst()
    switch a {
    case "--steps": steps = Int(arguments.removeFirst())!
    case "--warmup": warmup = Int(arguments.removeFirst())!
    case "--inline": overlapOnWorker = false; sharedMemory = false
    case "--nonblocking": blocking = false; sharedMemory = false
    case "--bucket-mb": bucketMB = Double(arguments.removeFirst())!
    case "--shard": shard = true; sharedMemory = false
    case "--no-shared": sharedMemory = false
    case "--no-partition": partition = false
    case "--global-batch": globalBatch = Int(arguments.removeFirst())!
    default: Console.error("cascade-bench-train: unknown argument \(a)\n"); exit(2)
    }
}

Console.lineBuffered()
let world = Communicator.world
let features = 1024, hidden = 4096, classes = 10
let rows = DataParallelTrainer.localCapacity(globalBatch: globalBatch, ranks: world.size)
let model = try Sequential(inputFeatures: features, batch: rows, seed: 1, [
    Dense(outputs: hidden), ReLU(), Dense(outputs: hidden), ReLU(), Dense(outputs: classes),
])
let trainer = try DataParallelTrainer(
    model: model, loss: SoftmaxCrossEntropy(classes: classes, batch: rows),
    optimizer: Adam(parameterCount: model.store.count), schedule: .constant(1e-4),
    training: SamplePool(count: 4 * globalBatch, features: features, classes: classes),
    configuration: TrainingConfiguration(globalBatch: globalBatch, seed: 3, bucketBytes: Int(bucketMB * 1024 * 1024),
                                         overlapOnWorkerThread: overlapOnWorker, blockingReductions: blocking,
                                         shardOptimizer: shard, sharedMemory: sharedMemory,
                                         partitionWeightGradients: partition),
    communicator: world)
for _ in 0 ..< warmup { try trainer.trainStep() }
let before = trainer.overlap
var times: [Double] = []
var last: StepMetrics?
for _ in 0 ..< steps {
    try world.barrier()
    last = try trainer.trainStep()
    times.append(last!.seconds)
}
let after = trainer.overlap

/// Resident set now (VmRSS) and at its peak (VmHWM), MB, from /proc/self/status. Now, not only the
/// peak: a sharded trainer drops the full optimiser state it was given after slicing it.
func residentMB() -> (now: Double, peak: Double) {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    func kB(_ key: String) -> Double {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return 0 }
        return Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
    return (kB("VmRSS") / 1024, kB("VmHWM") / 1024)
}
let memory = residentMB()
let rssNow = try world.allreduce(memory.now, .max), rssPeak = try world.allreduce(memory.peak, .max)

// The communication alone, for reference: the whole gradient in one blocking allreduce, and the
// bucketed nonblocking allreduces started together and waited for with nothing to overlap.
var blockingTimes: [Double] = [], bucketed: [Double] = []
var gradientCopy = model.store.gradients
if world.size > 1 {
    for _ in 0 ..< 3 {
        try world.barrier()
        var t0 = MPIEnvironment.wtime()
        try world.allreduce(inPlace: &gradientCopy, .sum)
        blockingTimes.append(MPIEnvironment.wtime() - t0)
        try world.barrier()
        t0 = MPIEnvironment.wtime()
        try gradientCopy.withUnsafeMutableBufferPointer { g in
            let requests = try trainer.bucketPlan.buckets.map {
                try world.startAllreduce(inPlace: UnsafeMutableBufferPointer(rebasing: g[$0.range]), .sum)
            }
            for r in requests { try r.wait() }
        }
        bucketed.append(MPIEnvironment.wtime() - t0)
    }
}
func medianOf(_ x: [Double]) -> Double { x.isEmpty ? 0 : x.sorted()[x.count / 2] }
let median = times.sorted()[times.count / 2]
let comm = after.communicationSeconds - before.communicationSeconds
let hiddenSeconds = after.hiddenSeconds - before.hiddenSeconds
let backward = (after.backwardSeconds - before.backwardSeconds) / Double(steps)
let optimizerPart = (after.optimizerSeconds - before.optimizerSeconds) / Double(steps)
let gatherPart = (after.gatherSeconds - before.gatherSeconds) / Double(steps)
let syncPart = (after.synchronizationSeconds - before.synchronizationSeconds) / Double(steps)
let sumPart = (after.summationSeconds - before.summationSeconds) / Double(steps)
// 2·(forward) + 2·(backward dW) + 2·(backward dx, not for the first layer) multiply-adds per sample.
let macs = Double(features * hidden + hidden * hidden + hidden * classes)
let flops = Double(globalBatch) * 2 * (3 * macs - Double(features * hidden))
if world.isRoot {
    func f(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
    let fraction = comm > 0 ? hiddenSeconds / comm : 1
    print("ranks=\(world.size) step_s=\(f(median, 4)) samples_per_s=\(f(Double(globalBatch) / median, 1)) "
        + "gflops=\(f(flops / median / 1e9, 1)) hidden_fraction=\(f(fraction, 3)) comm_s_per_step=\(f(comm / Double(steps), 4)) "
        + "backward_s=\(f(backward, 4)) optimizer_s=\(f(optimizerPart, 4)) allgather_s=\(f(gatherPart, 4)) "
        + "sync_s=\(f(syncPart, 4)) sum_s=\(f(sumPart, 4)) shared=\(trainer.usesSharedMemory) sharded=\(trainer.shardPlan != nil) rss_mb=\(f(rssNow, 0)) peak_rss_mb=\(f(rssPeak, 0)) "
        + "buckets=\(trainer.bucketPlan.buckets.count) loss=\(f(last!.loss, 4)) "
        + "allreduce_blocking_s=\(f(medianOf(blockingTimes), 4)) iallreduce_alone_s=\(f(medianOf(bucketed), 4))")
}
Console.flush()
MPIEnvironment.finalizeIfNeeded()
