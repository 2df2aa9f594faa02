import ArgumentParser
import Foundation
import JobKit
import Parallel
import Report

/// `cascade report OUTDIR`: writes OUTDIR/report.html. Works without mpirun; under mpirun only
/// rank 0 touches files (the others wait), so one page is written once.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write OUTDIR/report.html: one self-contained page (opens offline) with the run's or pipeline's configuration, provenance and plots.")

    @Argument(help: "The output folder of a run (holding run.json) or of a pipeline (holding pipeline.json).")
    var directory: String

    func run() throws {
        let world = MPIEnvironment.shared.world
        var code: Int32 = 0
        if world.rank == 0 {
            do {
                let result = try RunReport.render(for: URL(fileURLWithPath: directory))
                for problem in result.problems { Console.error("warning: \(problem)\n") }
                if result.incomplete {
                    Console.error("note: the run has not finished (run.json says running); the page shows what exists so far\n")
                }
                print(result.url.path)
            } catch let error as ReportError {
                Console.error("error: \(error)\n")
                code = 2
            } catch {
                Console.error("error: \(error)\n")
                code = 1
            }
        }
        Console.flush()
        try? world.barrier()
        MPIEnvironment.finalizeIfNeeded()
        if code != 0 { throw ExitCode(code) }
    }
}
