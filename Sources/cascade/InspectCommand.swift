import ArgumentParser
import Foundation
import JobCatalog
import JobKit
import Parallel

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarise an HDF5 file: groups, datasets (shape, type, min/max/mean) and attributes.")

    @Argument(help: "The HDF5 file, e.g. runs/selftest/selftest.h5.")
    var file: String

    func run() throws {
        do {
            print(try FileInspector.summary(of: file), terminator: "")
        } catch {
            Console.error("error: \(error)\n")
            MPIEnvironment.finalizeIfNeeded()
            throw ExitCode(1)
        }
        MPIEnvironment.finalizeIfNeeded()
    }
}
