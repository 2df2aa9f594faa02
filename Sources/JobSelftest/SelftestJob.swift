import Foundation
import JobKit
import Logging
import Parallel

/// The `selftest` job: what a user runs first on a new cluster.
///
/// Each check computes something whose answer is known in closed form and compares, on
/// every rank; a check passes only if it passed on all ranks. The HDF5 file it writes
/// (`storage.file`) is left in the output directory so h5py/h5dump/ParaView can be tried on it.
public struct SelftestJob: JobKind {
    let parameters: SelftestParameters

    public init(parameters: SelftestParameters) throws { self.parameters = parameters }

    /// One check's outcome on this rank.
    struct Check {
        let name: String
        var failures: [String] = []
        var details: [String] = []
        var seconds = 0.0

        mutating func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
            if !condition { failures.append(message()) }
        }

        mutating func expectClose(_ a: Double, _ b: Double, rel: Double, _ what: String) {
            let scale = max(abs(a), abs(b), 1e-300)
            if !(abs(a - b) <= rel * scale) { failures.append("\(what): \(a) vs \(b)") }
        }
    }

    public func run(in context: RunContext) throws -> JobOutcome {
        let comm = context.communicator
        let steps: [(String, (inout Check, RunContext) throws -> Void)] = [
            ("environment", checkEnvironment),
            ("collectives", checkCollectives),
            ("random numbers", checkRandomNumbers),
            ("blas/lapack", checkLinearAlgebra),
            ("fft 2d", { try checkFFT(&$0, $1, shape: parameters.shape2D) }),
            ("fft 3d", { try checkFFT(&$0, $1, shape: parameters.shape3D) }),
            ("parallel hdf5", checkStorage),
        ]
        var results: [(name: String, passed: Bool, text: String, seconds: Double)] = []
        for (index, (name, body)) in steps.enumerated() {
            var check = Check(name: name)
            let t0 = MPIEnvironment.wtime()
            do { try body(&check, context) } catch { check.failures.append("error: \(error)") }
            check.seconds = try comm.allreduce(MPIEnvironment.wtime() - t0, .max)
            // Gather every rank's failures so rank 0 can name where a check failed.
            let perRank = try comm.allgather(check.failures.joined(separator: "; "))
            let failed = perRank.enumerated().filter { !$0.element.isEmpty }
            let text = failed.isEmpty
                ? check.details.joined(separator: "; ")
                : failed.map { "rank \($0.offset): \($0.element)" }.joined(separator: " | ")
            results.append((name, failed.isEmpty, text, check.seconds))
            context.logger.info("[\(index + 1)/\(steps.count)] \(failed.isEmpty ? "PASS" : "FAIL") \(name) (\(String(format: "%.2f", check.seconds)) s)\(text.isEmpty ? "" : ": " + text)")
        }
        let passed = results.filter(\.passed).count
        let summaryTable = results.map { "  \($0.passed ? "PASS" : "FAIL")  \($0.name.padding(toLength: 15, withPad: " ", startingAt: 0)) \(String(format: "%7.2f s", $0.seconds))" }
            .joined(separator: "\n")
        let verdict = passed == results.count
            ? "selftest PASSED: \(passed)/\(results.count) checks on \(comm.size) rank(s)"
            : "selftest FAILED: \(results.count - passed) of \(results.count) checks failed on \(comm.size) rank(s)"
        return JobOutcome(succeeded: passed == results.count, summary: "\(verdict)\n\(summaryTable)",
                          outputs: SelftestJob.outputNames(parameters))
    }

    func checkEnvironment(_ check: inout Check, _ context: RunContext) throws {
        let comm = context.communicator
        let hosts = Set(try comm.allgather(MPIEnvironment.shared.processorName))
        check.details.append("\(comm.size) rank(s) on \(hosts.count) host(s)")
        check.details.append(MPIEnvironment.shared.libraryVersion)
        let ranks = try comm.allgather([comm.rank])
        check.expect(ranks == Array(0 ..< comm.size), "ranks are not 0..<\(comm.size): \(ranks)")
    }

    func checkCollectives(_ check: inout Check, _ context: RunContext) throws {
        let comm = context.communicator
        let n = parameters.collectiveElements
        let size = Double(comm.size), r = Double(comm.rank)
        // Element i on rank r is i + r: the sum is size·i + size(size−1)/2 exactly in binary.
        var buffer = (0 ..< n).map { Double($0 % 4096) + r }
        try comm.barrier()
        let t0 = MPIEnvironment.wtime()
        try comm.allreduce(inPlace: &buffer, .sum)
        let dt = try comm.allreduce(MPIEnvironment.wtime() - t0, .max)
        let offset = size * (size - 1) / 2
        var bad = 0
        for i in 0 ..< n where buffer[i] != size * Double(i % 4096) + offset { bad += 1 }
        check.expect(bad == 0, "allreduce sum wrong in \(bad) of \(n) elements")
        check.expect(try comm.allreduce(comm.rank, .max) == comm.size - 1, "allreduce max (Int)")
        check.expect(try comm.allreduce(Float(r) + 0.5, .min) == 0.5, "allreduce min (Float)")
        check.expect(try comm.broadcast(comm.isRoot ? 42.25 : -1.0, root: 0) == 42.25, "broadcast")
        let gathered = try comm.allgather([Int](repeating: comm.rank, count: comm.rank + 1))
        check.expect(gathered == (0 ..< comm.size).flatMap { [Int](repeating: $0, count: $0 + 1) }, "allgather with uneven counts")
        let a2a = try comm.alltoall((0 ..< comm.size).map { comm.rank * 1000 + $0 }, blockCount: 1)
        check.expect(a2a == (0 ..< comm.size).map { $0 * 1000 + comm.rank }, "alltoall")
        var nb = [Double](repeating: 1, count: 1000)
        try nb.withUnsafeMutableBufferPointer { try comm.startAllreduce(inPlace: $0, .sum).wait() }
        check.expect(nb.allSatisfy { $0 == size }, "non-blocking allreduce")
        if comm.size > 1 {
            let gbps = Double(n * 8) / max(dt, 1e-9) / 1e9
            check.details.append(String(format: "allreduce of %.1f MiB in %.2f ms (%.2f GB/s algorithmic)", Double(n * 8) / 1048576, dt * 1e3, gbps))
        }
    }
}
