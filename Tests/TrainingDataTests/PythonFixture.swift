import Foundation
import XCTest

extension XCTestCase {
    /// Runs `script` in `directory` with the first python that imports h5py and numpy (skips, never
    /// passes, without one): for HDF5 files in foreign layouts and dtypes, written by h5py.
    func runPython(_ script: String, in directory: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        for candidate in ["/work/main/.build/pyvenv/bin/python", root + "/.build/pyvenv/bin/python", "python3"] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [candidate, "-c", "import h5py, numpy"]
            p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { continue }
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { continue }
            let run = Process()
            run.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            run.arguments = [candidate, "-c", "import h5py, numpy as np\nimport os\nos.chdir(\(String(reflecting: directory)))\n" + script]
            try run.run()
            run.waitUntilExit()
            XCTAssertEqual(run.terminationStatus, 0, "python failed on:\n\(script)")
            return
        }
        throw XCTSkip("no python with h5py and numpy; run `cluster/install-deps.sh --python` (makes .build/pyvenv)")
    }
}
