import COpenBLAS
import CounterRNG
import Learning
import Parallel
#if canImport(Glibc)
import Glibc
#endif

// One data-parallel-free training step of the MLP 1024 → 4096 → 4096 → 10 (ReLU), batch 256, Adam,
// softmax cross-entropy, float32, timed by phase; plus a plain 2048³ sgemm for the machine's peak.
// bench/mlp/run.sh prints it beside PyTorch (reference_torch.py) measured in the same run.
//
//   cascade-bench-mlp [steps N] [warmup N] [batch N] [width N]
//   cascade-bench-mlp data [batch N] [dimension N]     time per batch drawn from the synthetic sources
//
// Output: one `cascade key=value …` line (seconds are medians over the timed steps), or one `data …` line.

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + 1e-9 * Double(t.tv_nsec)
}

/// CPU seconds of this process (all threads): less disturbed than wall time when other programs share
/// the cores, since time spent waiting for a core is not counted.
func cpuNow() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + 1e-9 * Double(t.tv_nsec)
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? .nan : s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
}

func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // Linux reports KiB
}

var steps = 20, warmup = 3, batch = 256, width = 4096, dimension = 1024
let inputs = 1024, classes = 10
var args = Array(CommandLine.arguments.dropFirst())
let dataOnly = args.first == "data"
if dataOnly { args.removeFirst() }
while args.count >= 2 {
    let key = args.removeFirst(), value = Int(args.removeFirst()) ?? -1
    switch key {
    case "steps": steps = value
    case "warmup": warmup = value
    case "batch": batch = value
    case "width": width = value
    case "dimension": dimension = value
    default: print("cascade-bench-mlp: unknown argument \(key) (steps, warmup, batch, width, dimension)"); exit(2)
    }
}
if dataOnly {
    print(try timeSyntheticSources(batch: batch, dimension: dimension, repeats: 10))
    MPIEnvironment.finalizeIfNeeded()  // the HDF5 file was written through MPI-IO
    exit(0)
}

// sgemm peak: C = A·B at 2048³, best of 3 (the same OpenBLAS the layers call).
let n = 2048
let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
var c = [Float](repeating: 0, count: n * n)
var sgemmBest = Double.infinity
for _ in 0 ..< 3 {
    let t0 = now()
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(n), blasint(n), blasint(n), 1, a, blasint(n), b, blasint(n), 0, &c, blasint(n))
    sgemmBest = min(sgemmBest, now() - t0)
}
let peak = 2 * Double(n) * Double(n) * Double(n) / sgemmBest / 1e9

let model = try Sequential(inputFeatures: inputs, batch: batch, seed: 1, [
    Dense(outputs: width), ReLU(), Dense(outputs: width), ReLU(), Dense(outputs: classes),
])
let loss = SoftmaxCrossEntropy(classes: classes, batch: batch)
try model.check(loss: loss)
var adam = Adam(parameterCount: model.store.count, schedule: .constant(1e-4))
let rng = CounterRNG(seed: 7, stream: 0)
let x = (0 ..< batch * inputs).map { Float(rng.normal(at: UInt64($0))) }
let labels = (0 ..< batch).map { Int32(rng.bits(at: UInt64(batch * inputs + $0)) % UInt64(classes)) }

var forward: [Double] = [], backward: [Double] = [], optimizer: [Double] = [], total: [Double] = [], cpu: [Double] = []
var lastLoss: Float = 0
for step in 0 ..< warmup + steps {
    let c0 = cpuNow(), t0 = now()
    model.store.zeroGradients()
    let y = model.forward(x, rows: batch)
    lastLoss = labels.withUnsafeBufferPointer { loss.evaluate(y, $0, rows: batch, globalBatch: batch) }
    let t1 = now()
    model.backward(loss.gradient, rows: batch)
    let t2 = now()
    let store = model.store
    store.values.withUnsafeMutableBufferPointer { p in
        store.gradients.withUnsafeBufferPointer { g in adam.step(parameters: p, gradients: g) }
    }
    let t3 = now(), c3 = cpuNow()
    if step >= warmup {
        forward.append(t1 - t0); backward.append(t2 - t1); optimizer.append(t3 - t2); total.append(t3 - t0); cpu.append(c3 - c0)
    }
}

// GEMM flops per step: forward and dW for every Dense (2·B·in·out each); dx for all but the first
// (Sequential skips the first layer's input gradient, as PyTorch does for an input without grad).
let dense = [(inputs, width), (width, width), (width, classes)]
let forwardFlops = dense.reduce(0.0) { $0 + 2 * Double(batch * $1.0 * $1.1) }
let flops = 2 * forwardFlops + dense.dropFirst().reduce(0.0) { $0 + 2 * Double(batch * $1.0 * $1.1) }
let params = model.store.count
let step = median(total)
print("cascade step_s=\(step) cpu_step_s=\(median(cpu)) forward_s=\(median(forward)) backward_s=\(median(backward)) optimizer_s=\(median(optimizer))",
      "params=\(params) gemm_gflop_per_step=\(flops / 1e9) nominal_6PB_gflop=\(6 * Double(params * batch) / 1e9)",
      "gflops=\(flops / step / 1e9) sgemm2048_gflops=\(peak) peak_rss_mb=\(peakRSSMegabytes()) loss=\(lastLoss) steps=\(steps) batch=\(batch) width=\(width)")
