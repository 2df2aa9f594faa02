import Foundation
import Parallel

// Allreduce (sum, in place) bandwidth of Communicator.allreduce for 8 KiB … 8 MiB of doubles.
// bench/allreduce/run.sh runs it and the mpi4py reference side by side on 2 ranks.
Console.lineBuffered()
let world = Communicator.world
var sizes: [Int] = []
var bytes = 8 * 1024
while bytes <= 8 * 1024 * 1024 { sizes.append(bytes); bytes *= 4 }
for b in sizes {
    var buffer = [Double](repeating: 1, count: b / 8)
    let reps = max(10, min(1000, (64 << 20) / b))
    for _ in 0 ..< 3 { try world.allreduce(inPlace: &buffer, .sum) }
    var samples: [Double] = []
    for _ in 0 ..< reps {
        try world.barrier()
        let t0 = MPIEnvironment.wtime()
        try world.allreduce(inPlace: &buffer, .sum)
        samples.append(MPIEnvironment.wtime() - t0)
    }
    let t = samples.sorted()[samples.count / 2]
    if world.isRoot { print("\(b) \(t)") }
}
MPIEnvironment.finalizeIfNeeded()
