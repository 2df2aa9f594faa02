import Foundation
import Parallel
import XCTest
@testable import Storage

/// A fresh directory per test, removed afterwards.
class StorageTestCase: XCTestCase {
    var directory: String = ""
    let world = Communicator.world

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "cascade-storage-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func path(_ name: String) -> String { directory + "/" + name }

    /// Names in the test directory (hidden temporaries included).
    func listing() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    /// Asserts `body` throws a StorageError whose text contains every one of `fragments`.
    func assertStorageError(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
                            _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected a StorageError mentioning \(fragments)", file: file, line: line)
        } catch let error as StorageError {
            let text = "\(error)"
            for fragment in fragments {
                XCTAssertTrue(text.contains(fragment), "'\(text)' does not mention '\(fragment)'", file: file, line: line)
            }
        } catch {
            XCTFail("expected a StorageError, got \(error)", file: file, line: line)
        }
    }
}

/// Runs a program; returns its exit status and standard output (nil if it cannot start).
func runTool(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// The package root: two levels above this source file (Tests/StorageTests/…).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

/// The first python that can import h5py: the venv `cluster/install-deps.sh --python` makes,
/// then python3 on PATH.
func pythonWithH5py() -> String? {
    for candidate in [packageRoot + "/.build/pyvenv/bin/python", "python3"] {
        if let result = runTool(candidate, ["-c", "import h5py"]), result.status == 0 { return candidate }
    }
    return nil
}

/// `pythonWithH5py()`, or a skip (never a silent pass) that says how to install it.
func requirePythonWithH5py() throws -> String {
    guard let python = pythonWithH5py() else {
        throw XCTSkip("h5py is not importable; run `cluster/install-deps.sh --python` (makes .build/pyvenv)")
    }
    return python
}

/// Skips unless `tool` runs; `install` says what provides it.
func requireTool(_ tool: String, _ arguments: [String] = ["--version"], install: String) throws {
    guard let probe = runTool(tool, arguments), probe.status == 0 else {
        throw XCTSkip("\(tool) not found; \(install)")
    }
}

/// Row-major strides of `shape`.
func strides(_ shape: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: shape.count)
    for axis in stride(from: shape.count - 2, through: 0, by: -1) { s[axis] = s[axis + 1] * shape[axis + 1] }
    return s
}

/// A value that encodes its global multi-index, so misplaced elements are caught.
func encode(_ index: [Int]) -> Double {
    index.reduce(0.0) { $0 * 100 + Double($1) } + 0.25
}

/// Every multi-index of the box at `offset` with `count`, row-major.
func indices(offset: [Int], count: [Int]) -> [[Int]] {
    guard !count.contains(0) else { return [] }
    var result: [[Int]] = []
    var index = offset
    while true {
        result.append(index)
        var axis = count.count - 1
        while axis >= 0 {
            index[axis] += 1
            if index[axis] < offset[axis] + count[axis] { break }
            index[axis] = offset[axis]
            axis -= 1
        }
        if axis < 0 { return result }
    }
}
