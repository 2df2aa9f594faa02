import ArgumentParser
import Foundation
import JobKit
import Parallel

/// `cascade status OUTDIR`: reads a run's files only, so it never starts MPI (a login node, no
/// mpirun, while the run goes on on compute nodes).
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a run's or pipeline's state, progress and ETA from its folder (no MPI needed).",
        discussion: """
            Reads OUTDIR/run.json, progress.json and, for a pipeline, pipeline.json and each stage's \
            run.json. A record that says running while nothing has changed for much longer than the \
            progress interval, and whose lock is free, is shown as "running?" (probably killed).
            Exit status: 0 completed, 1 failed (or completed with failed checks), 2 not a run folder, \
            3 interrupted (resume with --resume), 4 running, 5 running? (no sign of life).
            """)

    @Argument(help: "The run's or pipeline's output folder (--out of cascade run).")
    var directory: String

    @Flag(help: "Print the status as JSON.")
    var json = false

    func run() throws {
        let status: RunStatus
        do {
            status = try RunStatus.read(URL(fileURLWithPath: directory))
        } catch {
            Console.error("error: \(error)\n")
            throw ExitCode(2)
        }
        print(json ? try status.json() : status.text(), terminator: "")
        Console.flush()
        throw ExitCode(status.exitStatus)
    }
}
