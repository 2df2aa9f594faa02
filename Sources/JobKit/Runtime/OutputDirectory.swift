import Foundation
import Storage

/// The policy for a run's output directory: one run at a time (an exclusive lock), never into a
/// directory that holds another run unless `--overwrite` (which removes what that run wrote), and
/// no stale temporaries left from killed runs.
public enum OutputDirectory {
    /// Names Cascade writes into every output directory; no job output may take them.
    public static let reservedNames: Set<String> = [RunRecord.fileName, "job.toml", lockName, "report.html", ProgressSnapshot.fileName]
    /// The lock file held (flock) by rank 0 while a run writes into the directory.
    public static let lockName = ".cascade.lock"
    /// Longest output file name accepted.
    public static let maximumNameLength = PathLimits.maximumNameBytes
    /// Longest output directory path accepted: the longest path MPI-IO opens here
    /// (``PathLimits``; Cascade selects ROMIO, since Open MPI 4.1's ompio overflows a buffer on
    /// paths of a few hundred bytes) less room for the longest output name and a temporary's.
    public static let maximumPathLength = PathLimits.maximumPathBytes - maximumNameLength - 32

    /// Problems with a kind's output names: duplicates and reserved names.
    static func problems(outputNames: [String]) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        var seen: Set<String> = []
        for name in outputNames {
            if reservedNames.contains(name) {
                problems.append(ConfigProblem(path: nil, message: "output name \"\(name)\" is reserved for Cascade's own records",
                                              fix: "choose another output file name"))
            } else if !seen.insert(name).inserted {
                problems.append(ConfigProblem(path: nil, message: "two outputs of the job are both called \"\(name)\"; one would overwrite the other",
                                              fix: "give the output files distinct names"))
            }
        }
        return problems
    }

    /// Problems with the `--out` path itself (checked before anything is created).
    public static func problems(path: String) -> [ConfigProblem] {
        if path.isEmpty {
            return [ConfigProblem(path: nil, message: "--out is empty", fix: "give a directory, e.g. --out runs/NAME")]
        }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        if absolute.utf8.count > maximumPathLength {
            return [ConfigProblem(path: nil,
                message: "--out \(absolute.prefix(60))… is \(absolute.utf8.count) bytes long; MPI-IO here opens paths of at most \(PathLimits.maximumPathBytes) bytes",
                fix: "use an output directory whose absolute path has at most \(maximumPathLength) bytes, e.g. a symbolic link to it")]
        }
        return []
    }

    /// Stale temporaries (`.NAME.tmp-…`, from atomic writes and HDF5 files written under a
    /// temporary name) of the files `names` in `directory`, left by killed runs. Hidden files
    /// of other names are not Cascade's and are left alone.
    public static func staleTemporaries(in directory: URL, of names: Set<String>) -> [URL] {
        let present = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let prefixes = names.filter { !$0.isEmpty && !$0.contains("/") }.map { ".\($0).tmp-" }
        return present.filter { name in prefixes.contains { name.hasPrefix($0) && name.count > $0.count } }
            .sorted().map { directory.appendingPathComponent($0) }
    }

    /// Removes the stale temporaries of `names` (see ``staleTemporaries(in:of:)``); returns how
    /// many were removed.
    @discardableResult
    static func removeStaleTemporaries(in directory: URL, of names: Set<String>) -> Int {
        var removed = 0
        for url in staleTemporaries(in: directory, of: names) where (try? FileManager.default.removeItem(at: url)) != nil {
            removed += 1
        }
        return removed
    }

    /// The files an earlier run's record lists (planned and written). Read leniently: a record
    /// of an older Cascade (without `planned_outputs`, say) still names what it wrote.
    static func filesRecorded(in directory: URL) -> Set<String> {
        struct Written: Decodable {
            var plannedOutputs: [String]?
            var outputs: [String]?
            enum CodingKeys: String, CodingKey { case plannedOutputs = "planned_outputs", outputs }
        }
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(RunRecord.fileName).path),
              let written = try? JSONDecoder().decode(Written.self, from: data) else { return [] }
        return Set((written.plannedOutputs ?? []) + (written.outputs ?? []))
    }

    /// Removes what an earlier run of Cascade wrote into `directory`: the files its run record
    /// lists (planned and written), its records, and stale temporaries of those and of `names`
    /// (the files the new run will write). Other files are left.
    static func removePreviousRun(in directory: URL, names ownNames: Set<String> = []) throws -> [String] {
        let fm = FileManager.default
        var names: Set<String> = [RunRecord.fileName, "job.toml", ProgressSnapshot.fileName]
        names.formUnion(filesRecorded(in: directory))
        let temporaries = staleTemporaries(in: directory, of: names.union(ownNames).union(reservedNames))
        var removed: [String] = []
        for name in names.sorted() where !name.contains("/") && !name.isEmpty && !name.hasPrefix(".") {
            let url = directory.appendingPathComponent(name)
            if fm.fileExists(atPath: url.path) {
                try fm.removeItem(at: url)
                removed.append(name)
            }
        }
        for url in temporaries where (try? fm.removeItem(at: url)) != nil {
            removed.append(url.lastPathComponent)
        }
        return removed
    }

    /// An exclusive lock on an output directory, held by rank 0 for the whole run.
    ///
    /// `flock` rather than an O_EXCL file: the kernel releases it when the process dies, even by
    /// `kill -9`, so a crashed run never leaves a directory locked for ever.
    final class Lock {
        private var fd: Int32

        /// Takes the lock or throws, naming the directory.
        init(directory: URL) throws {
            let path = directory.appendingPathComponent(OutputDirectory.lockName).path
            fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw RunError("cannot create \(path): \(String(cString: strerror(errno))); check that --out is writable")
            }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                var holder = [UInt8](repeating: 0, count: 256)
                let n = pread(fd, &holder, 255, 0)
                let who = n > 0 ? String(decoding: holder[0 ..< n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "another process"
                close(fd)
                fd = -1
                throw RunError("another run (\(who)) is writing into \(directory.path); wait for it to end or choose another --out")
            }
            let me = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName)\n"
            _ = ftruncate(fd, 0)
            _ = me.withCString { pwrite(fd, $0, strlen($0), 0) }
        }

        /// Releases the lock (also released when the process exits).
        func release() {
            guard fd >= 0 else { return }
            flock(fd, LOCK_UN)
            close(fd)
            fd = -1
        }

        deinit { release() }
    }
}
