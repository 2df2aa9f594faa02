import Foundation
import JobKit
import Logging
import Parallel

/// The peak resident memory of each rank, for the log: what streaming bounds.
enum PeakMemory {
    /// This process's peak resident set size (VmHWM of /proc/self/status) in bytes, or nil without /proc.
    static func residentHighWaterMark() -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kB = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kB * 1024
    }

    /// Logs (rank 0) every rank's peak resident memory so far. Collective.
    static func log(_ comm: Communicator, _ log: Logger) throws {
        let peaks = try comm.allgather([residentHighWaterMark() ?? .nan])
        guard comm.isRoot, peaks.allSatisfy({ $0.isFinite }) else { return }
        log.info("peak resident memory (VmHWM) per rank: \(peaks.map { formatBytes($0) }.joined(separator: ", "))")
    }
}
