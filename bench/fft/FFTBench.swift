import CFFTW
import DistributedFFT
import Foundation
import Parallel

// Distributed FFT pair (r2c + c2r) through Cascade's RealFFTPlan against the same transforms
// planned and executed with plain FFTW-MPI calls, in the same process, same flags
// (FFTW_MEASURE, transposed spectral layout, unnormalised), alternating batches of runs.

Console.lineBuffered()
let world = Communicator.world
let sizes = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let ns = sizes.isEmpty ? [256, 512, 1024] : sizes
let rounds = 41

@MainActor func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }
@MainActor func quantile(_ xs: [Double], _ q: Double) -> Double { let s = xs.sorted(); return s[Int(q * Double(s.count - 1))] }

/// Seconds per call of `body`, `batch` calls in a row after one untimed call (so the batch starts
/// with its own buffers in cache, whatever ran before), barrier-synchronised, max over ranks.
@MainActor func timeBatch(_ batch: Int, _ body: () -> Void) throws -> Double {
    body()
    try world.barrier()
    let t0 = MPIEnvironment.wtime()
    for _ in 0 ..< batch { body() }
    return try world.allreduce((MPIEnvironment.wtime() - t0) / Double(batch), .max)
}

/// Compares `a` with `b` in `rounds` rounds; each round times one batch of each, back to back, in an
/// order that flips every round, so drifts in machine load (other processes, frequency changes) hit
/// both alike. A batch lasts about 5 ms. At 1024² the two buffer sets (34 MB) do not fit in
/// the last-level cache together, so without the untimed call in `timeBatch` whichever ran second
/// in a row would be timed warm and the other cold (ratios of 0.75 and 1.3 in alternate rounds). Returns the median seconds per call of each and the median
/// and quartiles of the per-round ratios a/b.
@MainActor func compare(rounds: Int, _ a: () -> Void, _ b: () -> Void) throws
    -> (a: Double, b: Double, ratio: Double, lower: Double, upper: Double)
{
    for _ in 0 ..< 3 { a(); b() }
    let once = try timeBatch(1, a)
    let batch = max(1, min(256, Int((0.005 / once).rounded(.up))))
    var ta: [Double] = [], tb: [Double] = [], ratios: [Double] = []
    for round in 0 ..< rounds {
        let x: Double, y: Double
        if round % 2 == 0 { x = try timeBatch(batch, a); y = try timeBatch(batch, b) }
        else { y = try timeBatch(batch, b); x = try timeBatch(batch, a) }
        ta.append(x); tb.append(y); ratios.append(x / y)
    }
    return (median(ta), median(tb), median(ratios), quantile(ratios, 0.25), quantile(ratios, 0.75))
}

if world.isRoot {
    print("FFT pair r2c+c2r, \(world.size) rank(s), FFTW_MEASURE, \(fftwVersion)")
    print("     N    cascade ms    fftw ms    ratio    (quartiles of \(rounds) alternating rounds)")
}
for n in ns {
    let plan = try RealFFTPlan(shape: [n, n], communicator: world, effort: .measure, normalization: .none)
    for i in 0 ..< plan.realBuffer.count { plan.realBuffer[i] = sin(Double(i) * 0.001) }

    // The reference: FFTW-MPI called directly on its own buffers.
    var ln0 = 0, s0 = 0, ln1 = 0, s1 = 0
    let alloc = max(fftw_mpi_local_size_2d_transposed(n, n / 2 + 1, world.handle, &ln0, &s0, &ln1, &s1), 1)
    let real = fftw_alloc_real(2 * alloc)!
    let cplx = fftw_alloc_complex(alloc)!
    let flags = cfftw_measure()
    let fwd = fftw_mpi_plan_dft_r2c_2d(n, n, real, cplx, world.handle, flags | cfftw_mpi_transposed_out())
    let bwd = fftw_mpi_plan_dft_c2r_2d(n, n, cplx, real, world.handle, flags | cfftw_mpi_transposed_in())
    for i in 0 ..< 2 * alloc { real[i] = sin(Double(i) * 0.001) }

    let r = try compare(rounds: rounds, { plan.forward(); plan.backward() }, { fftw_execute(fwd); fftw_execute(bwd) })
    if world.isRoot {
        print(String(format: "%6d    %10.3f  %9.3f    %5.3f    (%5.3f–%5.3f)", n, r.a * 1e3, r.b * 1e3, r.ratio, r.lower, r.upper))
    }
    fftw_destroy_plan(fwd); fftw_destroy_plan(bwd); fftw_free(real); fftw_free(cplx)
}
if world.isRoot { print("goal: ratio ≤ 1.10 on 1 rank (Cascade adds no copies or scaling with normalization .none)") }
MPIEnvironment.finalizeIfNeeded()
