import DistributedFFT
import Foundation
import Parallel
import Turbulence

// Seconds per RK4 step of Cascade's NavierStokes2D (correlated random forcing in a band, as
// fluidsim's "tcrandom"), beside two transform-only references measured in the same process:
//  - fft: the bare full 2D FFT pairs of the grid's RealFFTPlan a step would need unpruned
//    (4 stages × (4 c2r + 1 r2c) = 10 pairs);
//  - pruned: the transforms the step really makes, 4 executions of a DealiasedProductPlan
//    (4 fields in, 1 out, kept modes only) with an empty kernel.
// Usage: cascade-bench-ns2d N [steps]   (one N per process, so the peak RSS is this N's)

Console.lineBuffered()
let world = Communicator.world
let args = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let n = args.first ?? 256
let steps = args.count > 1 ? args[1] : (n >= 1024 ? 10 : 30)

@MainActor func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

let grid = try SpectralGrid2D(n: n, communicator: world, effort: .measure)
let ns = try NavierStokes2D(grid: grid, dissipation: Dissipation(viscosity: 1e-3), scheme: .rk4)
let forcing = try Forcing2D(kind: .correlated, grid: grid, injectionRate: 0.1, kf: 6, bandHalfWidth: 1,
                            correlationTime: 0.2, seed: 1)
try InitialCondition2D.random(energy: 0.5, peak: 4, slope: 4, seed: 1).apply(to: ns)
let dt = 1e-3

@MainActor func stepOnce(_ dt: Double = dt) throws {
    try ns.prepareStep()
    try ns.step(dt: dt)
    try forcing.kick(ns.omega, step: ns.stepCount - 1, dt: dt)
}

// Peak memory of the solver alone (as fluidsim's process holds only its solver): taken after the
// warm-up steps, before the reference transforms below allocate their own arrays.
for _ in 0 ..< 3 { try stepOnce() }
var usage = rusage()
getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
let peakMB = try world.allreduce(Double(usage.ru_maxrss) / 1024, .max)

let real = grid.makeReal(), spectral = grid.makeSpectral()
for i in 0 ..< real.count { real.pointer[i] = sin(Double(i) * 0.001) }
@MainActor func transforms() {
    for _ in 0 ..< 10 { grid.plan.forward(real, spectral); grid.plan.backward(spectral, real) }
}
let pruned = try DealiasedProductPlan(plan: grid.plan, keptX: grid.dealiasIndex, inputs: 4, communicator: world,
                                      effort: .measure)
for f in 0 ..< 4 { for e in 0 ..< 2 * pruned.keptRows * n { pruned.input(f)[e] = sin(Double(e + f) * 0.001) } }
@MainActor func prunedTransforms() {
    for _ in 0 ..< 4 { pruned.execute { _ in } }
}

transforms()
prunedTransforms()
var stepTimes: [Double] = [], fftTimes: [Double] = [], prunedTimes: [Double] = [], changingTimes: [Double] = []
for _ in 0 ..< 3 {   // alternate, so drifts in machine load hit both alike
    try world.barrier()
    var t0 = MPIEnvironment.wtime()
    for _ in 0 ..< steps { try stepOnce() }
    stepTimes.append(try world.allreduce((MPIEnvironment.wtime() - t0) / Double(steps), .max))
    try world.barrier()
    t0 = MPIEnvironment.wtime()
    for _ in 0 ..< max(steps / 2, 3) { transforms() }
    fftTimes.append(try world.allreduce((MPIEnvironment.wtime() - t0) / Double(max(steps / 2, 3)), .max))
    try world.barrier()
    t0 = MPIEnvironment.wtime()
    for _ in 0 ..< steps { prunedTransforms() }
    prunedTimes.append(try world.allreduce((MPIEnvironment.wtime() - t0) / Double(steps), .max))
    // A new dt every step (±1%, as an adaptive run re-setting dt at a 1% departure would): the
    // integrating factors exp(L dt/2) are recomputed each step.
    try world.barrier()
    t0 = MPIEnvironment.wtime()
    for i in 0 ..< steps { try stepOnce(i % 2 == 0 ? dt * 1.01 : dt) }
    changingTimes.append(try world.allreduce((MPIEnvironment.wtime() - t0) / Double(steps), .max))
}
let e = try ns.scalars().energy
if world.isRoot {
    let s = median(stepTimes), f = median(fftTimes), p = median(prunedTimes), c = median(changingTimes)
    print(String(format: "cascade N=%d procs=%d s_per_step=%.5f fft_s_per_step=%.5f step_over_fft=%.3f pruned_s_per_step=%.5f step_over_pruned=%.3f new_dt_s_per_step=%.5f new_dt_over_step=%.3f peak_rss_mb=%.1f energy=%.4f",
                 n, world.size, s, f, s / f, p, s / p, c, c / s, peakMB, e))
}
MPIEnvironment.finalizeIfNeeded()
