#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Wall seconds (monotonic).
func wallNow() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + 1e-9 * Double(t.tv_nsec)
}

/// CPU seconds of this process (all threads): on a shared machine, time spent waiting for a core is
/// not counted, so it varies much less than wall time between rounds.
func cpuNow() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + 1e-9 * Double(t.tv_nsec)
}

/// The median (the mean of the middle two for an even count).
func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? .nan : s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
}

/// Resident set now (VmRSS) and its peak so far (VmHWM), in MB, from /proc/self/status (0 without /proc).
func residentMegabytes() -> (now: Double, peak: Double) {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    func kB(_ key: String) -> Double {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return 0 }
        return Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
    return (kB("VmRSS") / 1024, kB("VmHWM") / 1024)
}

/// `x` with 4 significant decimals after the point, for the key=value lines.
func f4(_ x: Double) -> String { String(format: "%.4f", x) }
