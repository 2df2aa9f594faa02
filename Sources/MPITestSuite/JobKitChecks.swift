import JobKit
import Parallel
import Storage

/// Job-layer files written by every rank: what they write must not depend on the process.
let jobKitChecks: [MPICheck] = [
    // A MetricsLog kept its average counts in a dictionary and set one attribute per group in
    // the dictionary's order, which differs between processes: the ranks then disagreed on the
    // checkpoint's layout, and the close hung on one rank in MPI_File_set_size (an ns2d run on
    // 2 ranks). With ten groups two processes practically never iterate them in the same order,
    // so before the fix this failed (Storage's same-call check) on every run with several ranks.
    MPICheck("jobkit.metrics-log-same-on-every-rank") { comm, t in
        let path = try sharedPath(comm, "metrics")
        let groups = (0 ..< 10).map { "group_\(String(repeating: "g", count: $0))" }
        let log = MetricsLog()
        for (index, group) in groups.enumerated() {
            log.accumulate("time_average/\(group)/value", [Double(index), 0.5], frameShape: [2], group: group)
            log.averageCounts[group] = index + 1
        }
        for step in 0 ..< 50 { log.append("scalars/energy", [Double(step) / 4]) }
        let file = try H5File.create(path, communicator: comm)
        try log.write(to: file, under: "/log/", raw: true)
        try file.close()

        let reader = try H5File.open(path, communicator: comm)
        let back = try MetricsLog.read(from: reader, under: "/log/")
        try reader.close()
        t.expect(back.averageCounts == log.averageCounts, "average counts read back: \(back.averageCounts)")
        t.expect(back.entries["scalars/energy"]?.values == log.entries["scalars/energy"]?.values, "series read back")
        t.record("average-counts", groups.map { Double(back.averageCounts[$0] ?? -1) }, tolerance: 0)
        try cleanUp(comm, path)
    },
]
