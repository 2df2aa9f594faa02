import Foundation
import XCTest
@testable import Storage

/// A file that h5py still has open for writing must be refused, not read half-written.
final class BeingWrittenTests: StorageTestCase {
    /// h5py creates `file`, writes half a dataset, flushes and waits (open for writing)
    /// until its standard input closes; `crash` makes it exit without closing instead.
    /// `libver` picks the superblock version: "earliest" writes version 0, "latest" version 3.
    func startWriter(_ file: String, libver: String = "earliest", environment: [String: String] = [:],
                     crash: Bool = false) throws -> (Process, Pipe) {
        let python = try requirePythonWithH5py()
        let script = """
        import sys, os, h5py, numpy as np
        f = h5py.File(sys.argv[1], 'w', libver=sys.argv[2])
        d = f.create_dataset('x', shape=(1000,), dtype='f8')
        d[:500] = 1.0
        f.flush()
        print('holding', flush=True)
        if sys.argv[3] == 'crash':
            os._exit(0)
        sys.stdin.read()
        f.close()
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", script, file, libver, crash ? "crash" : "hold"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        XCTAssertTrue(line.contains("holding"), "the h5py writer did not start: \(line)")
        if crash { process.waitUntilExit() }
        return (process, input)
    }

    func stop(_ writer: (Process, Pipe)) {
        try? writer.1.fileHandleForWriting.close()
        writer.0.waitUntilExit()
    }

    func testFileHeldOpenByH5pyIsRefused() throws {
        let file = path("live.h5")
        let writer = try startWriter(file)
        assertStorageError([file, "still being written by another program", "h5clear -s"]) { _ = try H5File.open(file) }
        assertStorageError([file, "still being written"]) { _ = try H5File.openForUpdate(file) }
        stop(writer)
        let h5 = try H5File.open(file)
        XCTAssertEqual(try h5.read("/x", as: Double.self, offset: [0], count: [2]), [1, 1])
        try h5.close()
    }

    func testWriterWithoutFileLockingIsRefusedByTheSuperblockFlags() throws {
        let file = path("nolock.h5")
        for libver in ["earliest", "latest"] {
            let writer = try startWriter(file, libver: libver, environment: ["HDF5_USE_FILE_LOCKING": "FALSE"])
            assertStorageError([file, "HDF5 marks it open for writing"]) { _ = try H5File.open(file) }
            stop(writer)
            try H5File.open(file).close()
        }
    }

    func testCrashedWriterIsRefusedUntilH5clear() throws {
        try requireTool("h5clear", ["--version"], install: "run `cluster/install-deps.sh` (Debian package hdf5-tools)")
        let file = path("crashed.h5")
        _ = try startWriter(file, crash: true)
        assertStorageError([file, "if the writer crashed run `h5clear -s \(file)`"]) { _ = try H5File.open(file) }
        let cleared = try XCTUnwrap(runTool("h5clear", ["-s", file]))
        XCTAssertEqual(cleared.status, 0, cleared.output)
        try H5File.open(file).close()
    }
}
