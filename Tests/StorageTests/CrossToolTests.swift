import Foundation
import XCTest
@testable import Storage

/// Files written here must read the same with the standard tools.
final class CrossToolTests: StorageTestCase {
    func writeSample() throws -> String {
        let file = path("sample.h5")
        let h5 = try H5File.create(file)
        try h5.createDataset("/fields/u", of: Double.self, shape: [2, 3])
        try h5.write("/fields/u", [1.5, 2.5, 3.5, 4.5, 5.5, 6.5], offset: [0, 0], count: [2, 3])
        try h5.createExtendibleDataset("/series/w", of: Float.self, frameShape: [2])
        try h5.appendFrame("/series/w", [Float(0.25), 0.75], offset: [0], count: [2])
        try h5.appendFrame("/series/w", [Float(-1), 8], offset: [0], count: [2])
        try h5.setAttribute("title", .string("café run"))
        try h5.setAttribute("nu", .double(0.125), on: "/fields/u")
        try h5.setAttribute("grid", .ints([2, 3]), on: "/fields/u")
        try h5.close()
        return file
    }

    func testH5dumpReadsValues() throws {
        try requireTool("h5dump", install: "run `cluster/install-deps.sh` (Debian package hdf5-tools)")
        let file = try writeSample()
        let dump = try XCTUnwrap(runTool("h5dump", [file]))
        XCTAssertEqual(dump.status, 0, dump.output)
        for fragment in ["DATASET \"u\"", "1.5, 2.5, 3.5", "4.5, 5.5, 6.5", "H5T_IEEE_F64LE", "( 2, 3 ) / ( 2, 3 )",
                         "( 2, 2 ) / ( H5S_UNLIMITED, 2 )", "0.25, 0.75", "-1, 8", "(0): \"caf", "H5T_CSET_UTF8", "STRSIZE H5T_VARIABLE"] {
            XCTAssertTrue(dump.output.contains(fragment), "h5dump output lacks \(fragment):\n\(dump.output)")
        }
    }

    func testH5pyReadsValues() throws {
        let python = try requirePythonWithH5py()
        let file = try writeSample()
        let script = """
        import sys, h5py
        f = h5py.File(sys.argv[1], 'r')
        u = f['/fields/u']
        assert u.shape == (2, 3) and u.dtype == 'float64', (u.shape, u.dtype)
        assert u[...].tolist() == [[1.5, 2.5, 3.5], [4.5, 5.5, 6.5]]
        w = f['/series/w']
        assert w.shape == (2, 2) and w.maxshape == (None, 2) and w.dtype == 'float32'
        assert w[...].tolist() == [[0.25, 0.75], [-1.0, 8.0]]
        t = f.attrs['title']
        assert isinstance(t, str) and t == 'café run', repr(t)
        assert u.attrs['nu'] == 0.125
        assert u.attrs['grid'].tolist() == [2, 3]
        print('h5py ok')
        """
        let result = try XCTUnwrap(runTool(python, ["-c", script, file]))
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("h5py ok"), result.output)
    }

    func testReadsFileWrittenByH5py() throws {
        let python = try requirePythonWithH5py()
        let file = path("fromh5py.h5")
        let script = """
        import sys, h5py, numpy as np
        with h5py.File(sys.argv[1], 'w') as f:
            d = f.create_dataset('g/x', data=np.arange(12, dtype='float64').reshape(3, 4))
            d.attrs['label'] = 'made by h5py'
            d.attrs['fixed'] = np.bytes_('fixed-len')
            d.attrs['n'] = np.int32(5)
            f.attrs['scale'] = np.float32(0.5)
        """
        let result = try XCTUnwrap(runTool(python, ["-c", script, file]))
        XCTAssertEqual(result.status, 0, result.output)
        let h5 = try H5File.open(file)
        XCTAssertEqual(try h5.read("/g/x", as: Double.self, offset: [1, 1], count: [2, 2]), [5, 6, 9, 10])
        XCTAssertEqual(try h5.attribute("label", of: "/g/x"), .string("made by h5py"))
        XCTAssertEqual(try h5.attribute("fixed", of: "/g/x"), .string("fixed-len"))
        XCTAssertEqual(try h5.attribute("n", of: "/g/x"), .int(5))
        XCTAssertEqual(try h5.attribute("scale"), .double(0.5))
        try h5.close()
    }
}
