import Foundation
import XCTest
@testable import Storage

/// Files from other programs (h5py) with features Cascade does not write itself: scalar,
/// LZF-compressed and virtual datasets. Listing must work; reading must either work or
/// say which feature is in the way and how to rewrite the file.
final class ForeignFileTests: StorageTestCase {
    func makeFile(_ name: String, _ body: String) throws -> String {
        let python = try requirePythonWithH5py()
        let file = path(name)
        let script = "import sys, h5py, numpy as np\nf = h5py.File(sys.argv[1], 'w')\n" + body + "\nf.close()\n"
        let result = try XCTUnwrap(runTool(python, ["-c", script, file]))
        XCTAssertEqual(result.status, 0, result.output)
        return file
    }

    func testScalarDatasetIsListedAndRead() throws {
        let file = try makeFile("scalar.h5", "f['s'] = 3.5\nf['i'] = np.int32(7)\nf['v'] = np.arange(3.0)")
        let h5 = try H5File.open(file)
        let contents = try h5.contents()
        let scalar = try XCTUnwrap(contents.first { $0.path == "/s" })
        XCTAssertEqual(scalar.shape, [])
        XCTAssertEqual(try h5.read("/s", as: Double.self), [3.5])
        XCTAssertEqual(try h5.read("/i", as: Int32.self), [7])
        XCTAssertEqual(try h5.read("/v", as: Double.self), [0, 1, 2])
        try h5.close()
    }

    func testLZFDatasetNamesTheFilterAndTheFix() throws {
        let file = try makeFile("lzf.h5", "f.create_dataset('c', data=np.arange(100.0), compression='lzf')\nf['plain'] = np.arange(3.0)")
        let h5 = try H5File.open(file)
        let contents = try h5.contents()
        let info = try XCTUnwrap(contents.first { $0.path == "/c" })
        XCTAssertEqual(info.layout, .chunked)
        XCTAssertEqual(info.filters.map(\.id), [32000])
        XCTAssertEqual(info.readProblem?.kind, .unsupportedFilter)
        assertStorageError([file, "/c", "LZF", "32000", "h5repack -f GZIP=4"]) { _ = try h5.read("/c", as: Double.self) }
        XCTAssertEqual(try h5.read("/plain", as: Double.self), [0, 1, 2], "the file stays usable")
        try h5.close()
    }

    func testVirtualDatasetIsListedAndRefusedClearly() throws {
        let file = try makeFile("virtual.h5", """
        g = h5py.File(sys.argv[1] + '.src.h5', 'w'); g['a'] = np.arange(5.0); g.close()
        layout = h5py.VirtualLayout(shape=(2, 5), dtype='f8')
        layout[0] = h5py.VirtualSource(sys.argv[1] + '.src.h5', 'a', shape=(5,))
        layout[1] = h5py.VirtualSource(sys.argv[1] + '.src.h5', 'a', shape=(5,))
        f.create_virtual_dataset('vd', layout, fillvalue=-1)
        """)
        let h5 = try H5File.open(file)
        let info = try XCTUnwrap(try h5.contents().first { $0.path == "/vd" })
        XCTAssertEqual(info.layout, .virtual)
        XCTAssertEqual(info.shape, [2, 5])
        assertStorageError([file, "/vd", "virtual dataset", "h5repack -l CONTI"]) { _ = try h5.read("/vd", as: Double.self) }
        try h5.close()
    }

    func testMissingDatasetErrorNamesNoCLICommand() throws {
        let file = try makeFile("plain.h5", "f['x'] = np.arange(2.0)")
        let h5 = try H5File.open(file)
        do {
            _ = try h5.read("/nope", as: Double.self)
            XCTFail("expected an error")
        } catch let error as StorageError {
            XCTAssertEqual(error.kind, .noSuchDataset)
            XCTAssertFalse("\(error)".contains("cascade "), "storage errors describe storage; the jobs layer adds CLI advice: \(error)")
        }
        try h5.close()
    }
}
