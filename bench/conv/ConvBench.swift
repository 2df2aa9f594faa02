#if canImport(Glibc)
import Glibc
#endif
import Learning

// Milliseconds per training step (forward + backward, parameter gradients, no dL/d(input)) of a
// stack of `layers` × (Conv2d 3×3 C→C + ReLU) on batch × size × size × C NHWC images, for the
// oneDNN and im2col backends, zero and periodic padding. One `name cpu_ms wall_ms` line per
// configuration: the medians over the timed steps of the process's CPU time and of the wall time per
// step. On a shared machine the CPU time is the fairer figure (a single-threaded process descheduled
// by other jobs loses wall time, not CPU time); bench/conv/run.sh prints both beside PyTorch's
// (reference_torch.py, measured the same way).
//
//   cascade-bench-conv [size 64] [channels 64] [batch 16] [layers 4] [warmup 2] [steps 7] [only NAME,…]
//
// Names: onednn_zero, im2col_zero, onednn_periodic, im2col_periodic. Also prints
// `reorder_ms_per_step` (the weight reorders of all layers per step on the oneDNN zero stack) and
// `reorders_weights` (1 when oneDNN's weight layout differs from the store's OHWI).
var size = 64, channels = 64, batch = 16, layers = 4, warmup = 2, steps = 7
var only: Set<String>? = nil
var args = Array(CommandLine.arguments.dropFirst())
while args.count >= 2 {
    let key = args.removeFirst(), value = args.removeFirst()
    switch key {
    case "size": size = Int(value)!
    case "channels": channels = Int(value)!
    case "batch": batch = Int(value)!
    case "layers": layers = Int(value)!
    case "warmup": warmup = Int(value)!
    case "steps": steps = Int(value)!
    case "only": only = Set(value.split(separator: ",").map(String.init))
    default: fatalError("unknown argument \(key) (size, channels, batch, layers, warmup, steps, only)")
    }
}

/// Deterministic values in [−1, 1) (a 64-bit LCG; the data only has to be the same every run).
func values(_ n: Int, seed: UInt64) -> [Float] {
    var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0 ..< n).map { _ in
        s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(Int64(bitPattern: s >> 11) % (1 << 24)) / Float(1 << 23) - 1
    }
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }

/// CPU seconds used by this process so far (all threads).
func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func median(_ v: [Double]) -> Double {
    let s = v.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

let shape = TensorShape.image(height: size, width: size, channels: channels)
let x = values(batch * shape.elements, seed: 1), dy = values(batch * shape.elements, seed: 2)
let clock = ContinuousClock()

for (name, backend, padding) in [("onednn_zero", Conv2d.Backend.oneDNN, Conv2d.Padding.zero),
                                 ("im2col_zero", .im2col, .zero),
                                 ("onednn_periodic", .oneDNN, .periodic),
                                 ("im2col_periodic", .im2col, .periodic)] {
    if let only, !only.contains(name) { continue }
    var stack: [any Layer] = []
    for _ in 0 ..< layers {
        stack.append(Conv2d(outputs: channels, kernel: 3, padding: padding, backend: backend))
        stack.append(ReLU())
    }
    let model = try Sequential(input: shape, batch: batch, seed: 1, stack)
    var wall: [Double] = [], cpu: [Double] = []
    x.withUnsafeBufferPointer { xp in
        dy.withUnsafeBufferPointer { gp in
            for i in 0 ..< warmup + steps {
                let c0 = cpuSeconds()
                let t = clock.measure {
                    model.store.zeroGradients()
                    model.forward(xp, rows: batch)
                    model.backward(gp, rows: batch)
                }
                let c1 = cpuSeconds()
                if i >= warmup { wall.append(seconds(t) * 1e3); cpu.append((c1 - c0) * 1e3) }
            }
        }
    }
    print(name, median(cpu), median(wall))
    if name == "onednn_zero" {
        let convs = model.layers.compactMap { $0 as? Conv2d }
        print("reorders_weights", convs.contains { $0.reordersWeightsEachStep } ? 1 : 0)
        print("reorder_ms_per_step", convs.reduce(0) { $0 + $1.weightReorderSeconds() } * 1e3)
    }
}
