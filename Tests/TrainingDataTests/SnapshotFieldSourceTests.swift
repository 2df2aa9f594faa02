import Foundation
import XCTest
@testable import TrainingData

/// Snapshot files written by h5py in ns2d's layout (frames × N × N, root attribute n), and the ways a
/// file can be unfit to train a diffusion model on, each refused with the file and dataset named.
final class SnapshotFieldSourceTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "cascade-snapshots-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    func path(_ name: String) -> String { directory + "/" + name }

    /// The stored test field: periodic in x and y with period 16, different per frame.
    static func stored(_ t: Int, _ y: Int, _ x: Int) -> Double {
        Double(t + 1) * sin(2 * .pi * Double(x) / 16) * cos(2 * .pi * Double(y) / 16) + 0.1 * Double(t) * cos(4 * .pi * Double(x + y) / 16)
    }

    static let writer = """
    def stored(F, n=16):
        t, y, x = np.meshgrid(np.arange(F), np.arange(n), np.arange(n), indexing='ij')
        return (t + 1) * np.sin(2*np.pi*x/16) * np.cos(2*np.pi*y/16) + 0.1 * t * np.cos(4*np.pi*(x + y)/16)
    def write(name, data, n=None, dataset='vorticity'):
        with h5py.File(name, 'w') as f:
            f.create_dataset(dataset, data=data)
            f['time'] = np.arange(data.shape[0], dtype=float) if len(data.shape) > 0 else 0
            if n is not None:
                f.attrs['n'] = np.int64(n)
                f.attrs['box_length'] = 2*np.pi

    """

    func testFramesStrideCoarseningAndScaleMatchTheFormula() throws {
        try runPython(Self.writer + "write('s.h5', stored(6), n=16)", in: directory)
        let source = try SnapshotFieldSource(file: path("s.h5"), selection: .init(firstFrame: 1, frameStride: 2, coarsening: 2))
        XCTAssertEqual(source.count, 3)
        XCTAssertEqual(source.side, 8)
        XCTAssertEqual(source.storedSide, 16)
        XCTAssertEqual([0, 1, 2].map(source.frameIndex(of:)), [1, 3, 5])
        XCTAssertLessThan(source.edgeRatio, 2, "a periodic field passes the edge test")

        // Expected: 2 × 2 block means of frames 1, 3, 5, divided by their RMS.
        var coarse: [[Double]] = []
        for t in [1, 3, 5] {
            var c = [Double](repeating: 0, count: 64)
            for y in 0 ..< 16 { for x in 0 ..< 16 { c[(y / 2) * 8 + x / 2] += Self.stored(t, y, x) / 4 } }
            coarse.append(c)
        }
        let rms = (coarse.joined().map { $0 * $0 }.reduce(0, +) / Double(3 * 64)).squareRoot()
        XCTAssertEqual(source.rms, rms, accuracy: 1e-12 * rms)
        XCTAssertEqual(source.scale, source.rms)

        let indices = [2, 0, 2]
        var out = [Float](repeating: .nan, count: indices.count * 64)
        try indices.withUnsafeBufferPointer { i in try out.withUnsafeMutableBufferPointer { try source.loadFields(indices: i, into: $0.baseAddress!) } }
        for (r, i) in indices.enumerated() {
            for p in 0 ..< 64 { XCTAssertEqual(Double(out[r * 64 + p]), coarse[i][p] / rms, accuracy: 1e-6, "field \(i), point \(p)") }
        }

        let raw = try SnapshotFieldSource(file: path("s.h5"), selection: .init(frameCount: 2), normalize: false)
        XCTAssertEqual(raw.count, 2)
        XCTAssertEqual(raw.scale, 1)
        var one = [Float](repeating: .nan, count: 256)
        try [1].withUnsafeBufferPointer { i in try one.withUnsafeMutableBufferPointer { try raw.loadFields(indices: i, into: $0.baseAddress!) } }
        XCTAssertEqual(Double(one[5 * 16 + 3]), Self.stored(1, 5, 3), accuracy: 1e-6, "row y, column x: (frame, y, x) order")
    }

    /// Asserts that opening `file` with `selection` throws on `parameter` with a message holding every one of `words`.
    func assertRefused(_ file: String, _ selection: SnapshotFieldSource.Selection = .init(), _ parameter: String, _ words: [String],
                       line: UInt = #line) {
        XCTAssertThrowsError(try SnapshotFieldSource(file: path(file), selection: selection), line: line) { error in
            guard let e = error as? TrainingDataError else { return XCTFail("not a TrainingDataError: \(error)", line: line) }
            XCTAssertEqual(e.parameter, parameter, "\(e)", line: line)
            for w in words { XCTAssertTrue(e.problem.contains(w), "'\(w)' not in: \(e.problem)", line: line) }
            XCTAssertFalse(e.fix.isEmpty, line: line)
        }
    }

    func testUnfitFilesAreRefusedNamingFileAndDataset() throws {
        try runPython(Self.writer + """
        write('good.h5', stored(4), n=16)
        write('nonsquare.h5', stored(4)[:, :, :8])
        write('empty.h5', np.zeros((0, 16, 16)))
        bad = stored(4); bad[2, 3, 4] = np.nan
        write('nan.h5', bad, n=16)
        inf = stored(4); inf[1, 0, 0] = np.inf
        write('inf.h5', inf)
        write('crop_attr.h5', stored(4), n=32)
        # a smooth field of period 32 sampled on its first 16 points: a window, not periodic
        t, y, x = np.meshgrid(np.arange(3), np.arange(16), np.arange(16), indexing='ij')
        write('window.h5', np.sin(2*np.pi*x/32) * np.cos(2*np.pi*y/32) + 0.01*t)
        write('zeros.h5', np.zeros((3, 16, 16)), n=16)
        write('rank2.h5', np.zeros((3, 16)))
        write('tiny.h5', np.ones((3, 2, 2)))
        with h5py.File('strings.h5', 'w') as f:
            f['vorticity'] = np.array([b'a', b'b'])
        write('other.h5', stored(4), n=16, dataset='omega')
        """, in: directory)
        assertRefused("missing.h5", .init(), "file", ["missing.h5", "does not exist"])
        assertRefused("other.h5", .init(), "dataset", ["other.h5", "vorticity"])
        assertRefused("strings.h5", .init(), "dataset", ["strings.h5", "elements"])
        assertRefused("nonsquare.h5", .init(), "dataset", ["nonsquare.h5", "non-square", "16 × 8"])
        assertRefused("empty.h5", .init(), "dataset", ["empty.h5", "no frames"])
        assertRefused("nan.h5", .init(), "dataset", ["nan.h5", "/vorticity", "frame 2", "nan", "(y, x) = (3, 4)"])
        assertRefused("inf.h5", .init(), "dataset", ["inf.h5", "frame 1", "inf"])
        assertRefused("crop_attr.h5", .init(), "dataset", ["crop_attr.h5", "n says", "32", "not periodic"])
        assertRefused("window.h5", .init(), "dataset", ["window.h5", "jump across the box edge"])
        assertRefused("zeros.h5", .init(), "dataset", ["zeros.h5", "RMS 0"])
        assertRefused("rank2.h5", .init(), "dataset", ["rank2.h5", "shape [3, 16]"])
        assertRefused("tiny.h5", .init(), "dataset", ["tiny.h5", "2 × 2"])
        assertRefused("good.h5", .init(firstFrame: 4), "firstFrame", ["good.h5", "0 ..< 4"])
        assertRefused("good.h5", .init(firstFrame: -1), "firstFrame", ["is -1"])
        assertRefused("good.h5", .init(frameStride: 0), "frameStride", ["is 0"])
        assertRefused("good.h5", .init(firstFrame: 1, frameCount: 3, frameStride: 2), "frameCount", ["2 frames from frame 1 with stride 2"])
        assertRefused("good.h5", .init(frameCount: -5), "frameCount", ["is -5"])
        assertRefused("good.h5", .init(coarsening: 3), "coarsening", ["is 3", "16 × 16"])
        assertRefused("good.h5", .init(coarsening: 8), "coarsening", ["is 8"])
        assertRefused("good.h5", .init(coarsening: 0), "coarsening", ["is 0"])
        // A NaN outside the selected frames is no reason to refuse.
        XCTAssertEqual(try SnapshotFieldSource(file: path("nan.h5"), selection: .init(frameCount: 2)).count, 2)
    }
}
