import Foundation
import Learning
import XCTest
@testable import TrainingData

/// Files written by h5py (the python venv), so foreign layouts and dtypes (uint8, int64, int16) are
/// covered; each value encodes its sample and position, so a misplaced row is caught.
final class HDF5SampleSourceTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "cascade-trainingdata-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    func python(_ script: String) throws { try runPython(script, in: directory) }

    func load(_ source: HDF5SampleSource, _ indices: [Int]) throws -> (x: [Float], t: [Float], y: [Int32]) {
        let width: Int
        switch source.targetKind { case .values(let w): width = w; case .classes: width = 0 }
        var x = [Float](repeating: .nan, count: indices.count * source.inputShape.elements)
        var t = [Float](repeating: .nan, count: indices.count * width), y = [Int32](repeating: -1, count: indices.count)
        try indices.withUnsafeBufferPointer { i in
            try x.withUnsafeMutableBufferPointer { xp in
                try t.withUnsafeMutableBufferPointer { tp in
                    try y.withUnsafeMutableBufferPointer { yp in
                        try source.load(indices: i, inputs: xp.baseAddress!, targets: width > 0 ? tp.baseAddress : nil,
                                        labels: width == 0 ? yp.baseAddress : nil)
                    }
                }
            }
        }
        return (x, t, y)
    }

    /// (samples, features) float64 inputs with int64 labels: any index order, runs and single rows.
    func testFeatureRowsAndLabelsByIndex() throws {
        try python("""
        x = np.array([[100 * s + f + 0.5 for f in range(3)] for s in range(10)], dtype=np.float64)
        with h5py.File('a.h5', 'w') as h:
            h['data/x'] = x
            h['data/y'] = np.array([s % 3 for s in range(10)], dtype=np.int64)
        """)
        let source = try HDF5SampleSource(file: directory + "/a.h5", inputs: "data/x", targets: .labels(dataset: "/data/y", classes: 3))
        XCTAssertEqual(source.count, 10)
        XCTAssertEqual(source.inputShape, .vector(3))
        XCTAssertEqual(source.targetKind, .classes(3))
        let indices = [7, 2, 3, 4, 9, 0, 1]
        let (x, _, y) = try load(source, indices)
        for (r, s) in indices.enumerated() {
            XCTAssertEqual(Array(x[r * 3 ..< r * 3 + 3]), (0 ..< 3).map { Float(100 * s + $0) + 0.5 }, "sample \(s)")
            XCTAssertEqual(y[r], Int32(s % 3))
        }
        // The last 4 rows as a held-out source: its index i is file row 6 + i.
        let tail = try HDF5SampleSource(file: directory + "/a.h5", inputs: "data/x", targets: .labels(dataset: "/data/y", classes: 3), rows: 6 ..< 10)
        XCTAssertEqual(tail.count, 4)
        let (tx, _, ty) = try load(tail, [3, 0, 1])
        for (r, s) in [9, 6, 7].enumerated() {
            XCTAssertEqual(Array(tx[r * 3 ..< r * 3 + 3]), (0 ..< 3).map { Float(100 * s + $0) + 0.5 }, "row \(s)")
            XCTAssertEqual(ty[r], Int32(s % 3))
        }
        XCTAssertThrowsError(try HDF5SampleSource(file: directory + "/a.h5", inputs: "data/x", targets: .labels(dataset: "/data/y", classes: 3), rows: 6 ..< 11)) {
            XCTAssertEqual(($0 as? TrainingDataError)?.parameter, "rows")
        }
    }

    /// (samples, H, W) uint8 fields become NHWC [H, W, 1]; (samples, H, W, C) float32 [H, W, C];
    /// int16 (samples, 2) targets give width 2.
    func testFieldsAndRealTargets() throws {
        try python("""
        f = np.array([[[(7 * s + 3 * i + j) % 256 for j in range(5)] for i in range(4)] for s in range(6)], dtype=np.uint8)
        g = np.arange(5 * 2 * 3 * 2, dtype=np.float32).reshape(5, 2, 3, 2)
        with h5py.File('b.h5', 'w') as h:
            h['fields'] = f
            h['targets'] = np.array([[s, -s] for s in range(6)], dtype=np.int16)
            h['g'] = g
            h['gt'] = np.linspace(0, 1, 5).astype(np.float64)
            h.create_dataset('packed', data=f.astype(np.int64), compression='gzip', chunks=(2, 4, 5), shuffle=True)
        """)
        let fields = try HDF5SampleSource(file: directory + "/b.h5", inputs: "fields", targets: .values(dataset: "targets"))
        XCTAssertEqual(fields.inputShape, .image(height: 4, width: 5, channels: 1))
        XCTAssertEqual(fields.targetKind, .values(2))
        let (x, t, _) = try load(fields, [5, 1, 2])
        for (r, s) in [5, 1, 2].enumerated() {
            for i in 0 ..< 4 { for j in 0 ..< 5 { XCTAssertEqual(x[r * 20 + i * 5 + j], Float((7 * s + 3 * i + j) % 256)) } }
            XCTAssertEqual(Array(t[r * 2 ..< r * 2 + 2]), [Float(s), Float(-s)])
        }
        // The same fields gzip-compressed in chunks, as int64: decoded on the fly, rows across chunk borders.
        let packed = try HDF5SampleSource(file: directory + "/b.h5", inputs: "packed", targets: .values(dataset: "targets"))
        let (px, _, _) = try load(packed, [5, 1, 2])
        XCTAssertEqual(px, x)
        let g = try HDF5SampleSource(file: directory + "/b.h5", inputs: "g", targets: .values(dataset: "gt"))
        XCTAssertEqual(g.inputShape, .image(height: 2, width: 3, channels: 2))
        XCTAssertEqual(g.targetKind, .values(1))
        let (gx, gt, _) = try load(g, [3, 4])
        XCTAssertEqual(gx, (36 ..< 60).map { Float($0) })
        XCTAssertEqual(gt, [0.75, 1])
    }

    /// Every refusal names the file and the dataset and the parameter at fault.
    func testErrorsNameFileAndDataset() throws {
        try python("""
        with h5py.File('c.h5', 'w') as h:
            h['x'] = np.zeros((8, 2), dtype=np.float32)
            h['flat'] = np.zeros(8, dtype=np.float32)
            h['y'] = np.array([0, 1, 2, 1, 0, 5, 1, 0], dtype=np.int32)
            h['short'] = np.zeros(7, dtype=np.int32)
            h['fy'] = np.zeros(8, dtype=np.float32)
            h['nan'] = np.array([[0, 0]] * 3 + [[0, np.nan]] + [[0, 0]] * 4, dtype=np.float64)
        """)
        let file = directory + "/c.h5"
        func refusal(_ inputs: String, _ targets: HDF5SampleSource.Targets, file f: String? = nil) -> TrainingDataError? {
            do { _ = try HDF5SampleSource(file: f ?? file, inputs: inputs, targets: targets); return nil } catch let e as TrainingDataError { return e } catch {
                XCTFail("not a TrainingDataError: \(error)"); return nil
            }
        }
        func check(_ e: TrainingDataError?, _ parameter: String, _ fragments: [String], line: UInt = #line) {
            guard let e else { return XCTFail("expected a refusal", line: line) }
            XCTAssertEqual(e.parameter, parameter, line: line)
            for f in fragments { XCTAssertTrue(e.description.contains(f), "'\(e)' lacks '\(f)'", line: line) }
        }
        check(refusal("x", .labels(dataset: "y", classes: 3), file: directory + "/missing.h5"), "inputs", ["missing.h5", "no such file"])
        check(refusal("nope", .labels(dataset: "y", classes: 6)), "inputs", ["c.h5", "/nope", "no such dataset", "/x"])
        check(refusal("x", .labels(dataset: "nolabels", classes: 6)), "labels", ["c.h5", "/nolabels"])
        check(refusal("x", .labels(dataset: "short", classes: 6)), "labels", ["/short", "c.h5", "7 samples", "8"])
        check(refusal("flat", .labels(dataset: "y", classes: 6)), "inputs", ["/flat", "c.h5", "rank-1"])
        check(refusal("x", .labels(dataset: "y", classes: 3)), "labels", ["/y", "c.h5", "sample 5", "label 5", "0 ..< 3"])
        check(refusal("x", .labels(dataset: "fy", classes: 3)), "labels", ["/fy", "float32"])
        XCTAssertNil(refusal("x", .labels(dataset: "y", classes: 6)))
        // A writer that died without closing leaves the superblock marked open for writing: refused.
        try python("""
        h = h5py.File('crashed.h5', 'w', libver='latest')
        h['x'] = np.zeros((4, 2)); h['y'] = np.zeros(4, dtype=np.int32); h.flush()
        os._exit(0)
        """)
        check(refusal("x", .labels(dataset: "y", classes: 2), file: directory + "/crashed.h5"), "inputs", ["crashed.h5", "open for writing"])
        let nan = try HDF5SampleSource(file: file, inputs: "nan", targets: .labels(dataset: "y", classes: 6))
        XCTAssertNoThrow(try load(nan, [0, 1, 2]))
        XCTAssertThrowsError(try load(nan, [2, 3])) { XCTAssertTrue("\($0)".contains("sample 3"), "\($0)") }
    }
}
