import Covariance
import Datasets
import Foundation
import Linalg
import Parallel
import Spectra
import SpectraReference

// Timings of the covariance kernel (sharded over the ranks), the symmetric eigen-solve and the
// spectral statistics, printed as `name seconds` lines by rank 0; bench/covariance/run.sh
// prints them beside the numpy/scipy (and empyricalRMT) references measured in the same run.
//
//   cascade-bench-covariance [chunk ROWS] [out DIR] cov N D … eig D … stats N …   (each: best of 2)
//   cascade-bench-covariance stream FILE DATASET     (the covariance streamed from an HDF5 file, once:
//                                                     wall and CPU seconds and the peak resident memory; bench/rmt)
Console.lineBuffered()
let world = Communicator.world
var args = Array(CommandLine.arguments.dropFirst())
var outDirectory: String? = nil

@MainActor func best(_ body: () throws -> Void) throws -> Double {
    var times: [Double] = []
    for _ in 0 ..< 2 {
        try world.barrier()
        let t0 = MPIEnvironment.wtime()
        try body()
        try world.barrier()
        times.append(MPIEnvironment.wtime() - t0)
    }
    return times.min()!
}

var chunkRows = ShardedCovariance.defaultChunkRows
while !args.isEmpty {
    let what = args.removeFirst()
    switch what {
    case "chunk":
        chunkRows = Int(args.removeFirst())!
    case "cov":
        let n = Int(args.removeFirst())!, d = Int(args.removeFirst())!
        let block = SyntheticData.gaussian(samples: world.blockRange(of: n), total: n, features: d, seed: 1)
        var sink = 0.0
        let t = try best { sink += try ShardedCovariance.covariance(block, communicator: world, chunkRows: chunkRows).matrix[0, 0] }
        if world.isRoot { print("cov_\(n)x\(d) \(t)") }
        _ = sink
    case "eig":
        let d = Int(args.removeFirst())!
        let x = SyntheticData.gaussian(samples: 0 ..< d, total: d, features: d, seed: 2).values
        var a = Matrix(rows: d, columns: d)
        for i in 0 ..< d { for j in 0 ..< d { a[i, j] = x[i * d + j] + x[j * d + i] } }
        if world.isRoot {
            let t = try best { _ = try SymmetricEigen(a, vectors: true, solver: .divideAndConquer) }
            print("eig_\(d) \(t)")
        } else {
            _ = try best {}      // the same barriers as rank 0
        }
    case "stream":
        // One streamed covariance of a file (read in blocks, centred, syrk, merged), as `covariance` jobs run it.
        let sel = DatasetSelection(file: args.removeFirst(), dataset: args.removeFirst())
        let resolved = try DatasetReader.resolve(sel, communicator: world)
        let stream = SampleBlockStream.thisRank(sel, resolved, communicator: world)
        func cpuSeconds() -> Double {
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
        }
        try world.barrier()
        let (t0, c0) = (MPIEnvironment.wtime(), cpuSeconds())
        let (_, c) = try ShardedCovariance.covariance(stream, root: 0, communicator: world)
        let (t, cpu) = (MPIEnvironment.wtime() - t0, cpuSeconds() - c0)
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let hwm = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }.flatMap { Double($0.split(separator: " ")[1]) } ?? .nan
        if world.isRoot {
            print("stream_wall \(t)")
            print("stream_cpu \(cpu)")
            print("stream_peak_rss_mb \(hwm / 1024)")
            print("stream_block_rows \(resolved.blockRows)")
            print("stream_check \(c![0, 0])")
        }
    case "out":
        outDirectory = args.removeFirst()
    case "stats":
        // GOE levels; degree-9 polynomial unfolding of all levels; Σ² at L = 0.5, 0.7, …, 19.9 (98 values) and
        // Δ₃ at L = 2, 3, …, 49 (48 values): empyricalRMT's default grids. Levels and answers go to `out DIR`
        // so the reference can use the same levels and compare.
        let n = Int(args.removeFirst())!
        let levels = try RandomSpectra.levels(.goe, size: n, seed: 3, stream: 0)
        var unfolded: [Double] = []
        let tu = try best { unfolded = Unfolding.unfold(levels, kept: 0 ..< n, method: .polynomial(degree: 9)) }
        let lengths2 = (0 ..< 98).map { 0.5 + 0.2 * Double($0) }, lengths3 = (2 ..< 50).map(Double.init)
        var sigma2: [Double] = [], delta3: [Double] = []
        let ts = try best { sigma2 = lengths2.map { LongRangeStatistics.numberVariance(unfolded, length: $0, windows: 1000) } }
        let td = try best { delta3 = LongRangeStatistics.rigidity(unfolded, lengths: lengths3, windows: 1000) }
        var sink = 0.0
        let ta = try best { sink += SpectralAnalysis(levels: levels, options: AnalysisOptions()).meanGapRatio }
        if world.isRoot {
            print("unfold_\(n) \(tu)")
            print("sigma2_\(n) \(ts)")
            print("delta3_\(n) \(td)")
            print("all_statistics_\(n) \(ta)")
            if let dir = outDirectory {
                for (name, values) in [("levels", levels), ("unfolded", unfolded), ("sigma2", sigma2), ("delta3", delta3)] {
                    try values.map { String($0) }.joined(separator: "\n").write(toFile: "\(dir)/\(name)_\(n).txt", atomically: true, encoding: .utf8)
                }
            }
        }
        _ = sink
    default:
        Console.error("cascade-bench-covariance: unknown argument \(what)\n")
        exit(2)
    }
}
MPIEnvironment.finalizeIfNeeded()
