import CFFTW
import DistributedFFT
import Foundation
import Parallel

// Distributed FFT pair (r2c + c2r) through Cascade's RealFFTPlan against the same transforms
// planned and executed with plain FFTW-MPI calls, in the same process, same flags
// (FFTW_MEASURE, transposed spectral layout, unnormalised), alternating runs.

setvbuf(stdout, nil, _IOLBF, 0)
let world = Communicator.world
let sizes = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let ns = sizes.isEmpty ? [256, 512, 1024] : sizes

func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

/// Median seconds of `body` over `reps` timed runs after two warm-ups, barrier-synchronised.
func time(_ reps: Int, _ body: () -> Void) throws -> Double {
    body(); body()
    var samples: [Double] = []
    for _ in 0 ..< reps {
        try world.barrier()
        let t0 = MPIEnvironment.wtime()
        body()
        samples.append(try world.allreduce(MPIEnvironment.wtime() - t0, .max))
    }
    return median(samples)
}

if world.isRoot {
    print("FFT pair r2c+c2r, \(world.size) rank(s), FFTW_MEASURE, \(fftwVersion)")
    print("     N    cascade ms    fftw ms    ratio")
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

    let reps = n >= 1024 ? 20 : 50
    var cascade: [Double] = [], direct: [Double] = []
    for _ in 0 ..< 3 {   // alternate, so drifts in machine load hit both alike
        cascade.append(try time(reps) { plan.forward(); plan.backward() })
        direct.append(try time(reps) { fftw_execute(fwd); fftw_execute(bwd) })
    }
    let c = median(cascade), d = median(direct)
    if world.isRoot { print(String(format: "%6d    %10.3f  %9.3f    %5.3f", n, c * 1e3, d * 1e3, c / d)) }
    fftw_destroy_plan(fwd); fftw_destroy_plan(bwd); fftw_free(real); fftw_free(cplx)
}
if world.isRoot { print("goal: ratio ≤ 1.10 on 1 rank (Cascade adds no copies or scaling with normalization .none)") }
MPIEnvironment.finalizeIfNeeded()
