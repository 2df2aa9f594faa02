import ArgumentParser
import Foundation
import JobCatalog
import JobKit
import Parallel

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a job file without running it; print the resolved configuration.",
        discussion: "Exit status 0 when the job would start, 2 with the problems listed when not. Needs no MPI.")

    @Argument(help: "The job file (TOML).")
    var job: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a key, as for `cascade run`. Repeatable.", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: "Check for this many ranks (checks such as grid splitting depend on it).")
    var ranks: Int = 1

    func run() throws {
        guard ranks >= 1 else { throw ValidationError("--ranks must be at least 1") }
        guard ranks <= 1 << 20 else { throw ValidationError("--ranks \(ranks) is more than any MPI job has; use at most \(1 << 20)") }
        let (text, problem) = JobLoader.read(job)
        guard problem.isEmpty else {
            Console.error("error: job file \(job): \(problem) (fix: pass the path of a .toml job file, e.g. jobs/selftest.toml)\n")
            throw ExitCode(2)
        }
        do {
            let loaded = try JobLoader.load(text: text, path: job, overrides: overrides, ranks: ranks, kinds: JobCatalog.kinds)
            print("# \(job): valid \(loaded.config.kind) job \"\(loaded.name)\" for \(ranks) rank(s); resolved configuration:")
            print(loaded.config.values.tomlDocument, terminator: "")
            for line in loaded.summary { print("# " + line) }
            for w in loaded.warnings { Console.error("warning: \(w)\n") }
        } catch let error as JobFileError {
            Console.error("error: \(error)\n")
            throw ExitCode(2)
        }
    }
}
