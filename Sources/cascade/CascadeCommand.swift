import ArgumentParser
import Foundation
import JobCatalog
import JobKit
import Parallel

/// `cascade`: runs Cascade job files on every rank of an MPI job.
@main
struct Cascade: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cascade",
        abstract: "Run MPI batch jobs for turbulence, random-matrix statistics and training; write HDF5.",
        discussion: """
            Typical use:
              mpirun -np 4 cascade run jobs/selftest.toml --out runs/selftest
              cascade validate jobs/selftest.toml --set fft.effort=measure
              cascade inspect runs/selftest/selftest.h5
              cascade describe selftest
              cascade report runs/selftest
              cascade status runs/selftest
            """,
        version: "cascade \(CascadeVersion.current)",
        subcommands: [Run.self, Validate.self, Inspect.self, Describe.self, ReportCommand.self, StatusCommand.self]
    )

    /// Argument errors are printed by the first rank only: under mpirun every rank parses the
    /// same command line, and one message is enough. The rank comes from the launcher's
    /// environment because MPI is not initialised yet.
    static func main() {
        Console.lineBuffered()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            // swift-argument-parser exits 64 (EX_USAGE) on usage errors; Cascade documents 2 for
            // every refused invocation (docs/jobs.md), as for a refused job file.
            var code = exitCode(for: error)
            if code == .validationFailure { code = ExitCode(2) }
            if launcherRank() == 0 {
                let message = fullMessage(for: error)
                if !message.isEmpty {
                    if code == .success { print(message) } else { Console.error(message + "\n") }
                }
            }
            Foundation.exit(code.rawValue)
        }
    }
}

/// This process's rank as told by mpirun or Slurm (0 when started directly).
func launcherRank() -> Int {
    let env = ProcessInfo.processInfo.environment
    for key in ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"] {
        if let v = env[key], let r = Int(v) { return r }
    }
    return 0
}
