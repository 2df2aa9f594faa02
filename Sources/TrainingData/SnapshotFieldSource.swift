import Foundation
import Learning
import Storage

/// The frames of an ns2d `snapshots.h5` (or any file in its layout: a dataset of frames × N × N,
/// axes (frame, y, x)) as periodic fields: a frame range with a stride, coarse-grained by a box filter,
/// divided by one normalisation scale.
///
/// **Checked when the source is made**, each refusal a ``TrainingDataError`` naming the file and
/// dataset: a missing file or dataset; a dataset that is not frames × N × N (or × 1) numbers; a
/// non-square frame; no frames; a frame range outside the file; a coarsening that does not divide N;
/// NaN or infinite values (the first bad frame is named); all-zero fields; and fields that are not the
/// whole periodic box: a file whose root attribute `n` (written by ns2d) differs from N (a crop), or
/// fields that jump across the box edge (the mean square of the differences across the edge against
/// that between neighbouring points inside: about 1 for a periodic field, large for a window cut out of
/// a smooth field). That needs one pass over the selected frames, which also gives the scale.
///
/// **Coarse-graining** by c averages c × c blocks (a box filter, periodic-compatible, the LES
/// convention): the coarse field has N/c points per side. Its spectrum is the stored one times the
/// filter's sinc², so compare a model's samples with data coarse-grained the same way.
///
/// **Normalisation**: with `normalize`, fields are divided by their RMS over every selected frame
/// (``scale``); no mean is subtracted, because a periodic vorticity has zero mean and a shift would
/// break the sign symmetry that reflections use.
///
/// Reads are independent POSIX reads of the frames asked for (``Storage/H5RowReader``); a frame is read
/// whole (N² float64 values, one buffer made here) and coarse-grained into the caller's buffer. Not
/// thread-safe: one `loadFields` at a time per process.
public final class SnapshotFieldSource: PeriodicFieldSource {
    /// Which frames, and how they are coarse-grained.
    public struct Selection: Sendable, Equatable {
        /// The dataset of frames × N × N.
        public var dataset: String
        /// The first frame used (0-based).
        public var firstFrame: Int
        /// Frames used (0: every frame from `firstFrame` on, with the stride).
        public var frameCount: Int
        /// Every `frameStride`-th frame.
        public var frameStride: Int
        /// Box-filter factor c (1: the stored resolution); must divide N.
        public var coarsening: Int

        /// The selection of every frame of `dataset` at the stored resolution by default.
        public init(dataset: String = "vorticity", firstFrame: Int = 0, frameCount: Int = 0, frameStride: Int = 1, coarsening: Int = 1) {
            self.dataset = dataset
            self.firstFrame = firstFrame
            self.frameCount = frameCount
            self.frameStride = frameStride
            self.coarsening = coarsening
        }
    }

    /// Largest mean-square ratio across the box edge (against inside) accepted as periodic, for a
    /// selection with `edgePairs` = 2N × frames differences across the edge. A periodic field gives 1
    /// with a relative spread of about √((κ − 1)/pairs), κ the increments' kurtosis (≈ 10 for
    /// intermittent vorticity): 4 is ~8 spreads above 1 for one 32² frame, and from 4096 pairs on 2 is
    /// ~20 spreads above. Measured on ns2d runs: 0.94–1.25 for single frames, 0.97–1.04 over a run; a
    /// quarter of the box gave 2.2–5.1.
    public static func maximumEdgeRatio(edgePairs: Int) -> Double { edgePairs >= 4096 ? 2 : 4 }
    /// Largest stored frame read at once (bytes of float64).
    public static let maximumFrameBytes = 1 << 32
    /// Fewest points per side after coarse-graining.
    public static let minimumSide = 4

    /// The file.
    public let file: String
    /// The dataset's absolute path.
    public let dataset: String
    /// Points per side as stored.
    public let storedSide: Int
    /// Points per side after coarse-graining (what a model sees).
    public let side: Int
    /// The box-filter factor.
    public let coarsening: Int
    /// File frame of field 0, and the stride: field i is frame `firstFrame + i·frameStride`.
    public let firstFrame: Int, frameStride: Int
    /// Frames in the file.
    public let storedFrames: Int
    /// Fields (selected frames).
    public let count: Int
    /// What the fields are divided by: the given scale, else their RMS when normalising, else 1.
    public let scale: Double
    /// The RMS of the coarse-grained selected fields, in the file's units.
    public let rms: Double
    /// Mean square of the differences across the box edge against that between neighbours inside,
    /// over the selected frames at the stored resolution (about 1 for periodic fields).
    public let edgeRatio: Double

    private let reader: H5RowReader
    private let frame: UnsafeMutableBufferPointer<Double>

    /// Opens `file`, checks the selection (see the type) and scans the selected frames once.
    /// Throws a ``TrainingDataError`` on `file`, `dataset`, `firstFrame`, `frameCount`, `frameStride`
    /// or `coarsening`, its message naming the file and dataset.
    /// `scale`, when given, is used instead of the selection's RMS (a held-out set divided by its
    /// training set's scale).
    public init(file: String, selection: Selection, normalize: Bool = true, scale given: Double? = nil) throws {
        guard FileManager.default.fileExists(atPath: file) else {
            throw TrainingDataError("file", "\(file) does not exist", fix: "give the path of an ns2d snapshots.h5 (or a file in its layout)")
        }
        let reader: H5RowReader
        do { reader = try H5RowReader(file: file, dataset: selection.dataset) } catch let e as StorageError {
            throw TrainingDataError("dataset", "\(e.file)\(e.object.map { ": \($0)" } ?? ""): \(e.message)",
                                    fix: "give an HDF5 file with a dataset of frames × N × N (ns2d writes /vorticity)")
        }
        let at = "\(reader.dataset) in \(file)"
        let shape = reader.shape
        guard reader.numberClass != .other else {
            throw TrainingDataError("dataset", "\(at) holds \(reader.elementType) elements", fix: "store the fields as floating point numbers")
        }
        guard shape.count == 3 || (shape.count == 4 && shape[3] == 1) else {
            throw TrainingDataError("dataset", "\(at) has shape \(shape)", fix: "store frames × N × N (ns2d's snapshot layout), one scalar field per frame")
        }
        guard shape[1] == shape[2] else {
            throw TrainingDataError("dataset", "\(at) holds non-square frames (\(shape[1]) × \(shape[2])); the model's box is square and periodic",
                                    fix: "give N × N fields of the whole periodic box")
        }
        let n = shape[1]
        guard shape[0] > 0 else {
            throw TrainingDataError("dataset", "\(at) holds no frames", fix: "run the simulation until it has written snapshots, or give another file")
        }
        guard n >= Self.minimumSide else {
            throw TrainingDataError("dataset", "\(at) holds \(n) × \(n) frames", fix: "give fields of at least \(Self.minimumSide) × \(Self.minimumSide) points")
        }
        let (points, o1) = n.multipliedReportingOverflow(by: n)
        let (bytes, o2) = points.multipliedReportingOverflow(by: 8)
        guard !o1, !o2, bytes <= Self.maximumFrameBytes else {
            throw TrainingDataError("dataset", "\(at) holds \(n) × \(n) frames, more than \(Self.maximumFrameBytes >> 30) GiB of float64 each",
                                    fix: "coarse-grain the file first, or train on smaller fields")
        }
        if let boxPoints = reader.rootNumberAttribute("n"), boxPoints != Double(n) {
            throw TrainingDataError("dataset", "\(at) holds \(n) × \(n) frames but the file's root attribute n says the periodic box has \(boxPoints.formatted()) points per side: a window cut out of the box, which is not periodic",
                                    fix: "train on whole frames of the box (coarse-grain to make them smaller)")
        }
        guard selection.firstFrame >= 0, selection.firstFrame < shape[0] else {
            throw TrainingDataError("firstFrame", "is \(selection.firstFrame) but \(at) has frames 0 ..< \(shape[0])", fix: "use a first frame in 0 ..< \(shape[0])")
        }
        guard selection.frameStride >= 1 else {
            throw TrainingDataError("frameStride", "is \(selection.frameStride)", fix: "use a stride of at least 1")
        }
        let available = (shape[0] - 1 - selection.firstFrame) / selection.frameStride + 1
        guard selection.frameCount >= 0, selection.frameCount <= available else {
            throw TrainingDataError("frameCount", "is \(selection.frameCount) but \(at) has \(available) frames from frame \(selection.firstFrame) with stride \(selection.frameStride)",
                                    fix: "use a frame count in 1 … \(available), or 0 for all of them")
        }
        let c = selection.coarsening
        guard c >= 1, n % c == 0, n / c >= Self.minimumSide else {
            throw TrainingDataError("coarsening", "is \(c) for \(n) × \(n) fields (\(at))",
                                    fix: "use a factor that divides \(n) and leaves at least \(Self.minimumSide) points per side")
        }
        self.file = file
        dataset = reader.dataset
        self.reader = reader
        storedSide = n
        side = n / c
        coarsening = c
        firstFrame = selection.firstFrame
        frameStride = selection.frameStride
        storedFrames = shape[0]
        count = selection.frameCount == 0 ? available : selection.frameCount
        let frame = UnsafeMutableBufferPointer<Double>.allocate(capacity: points)
        self.frame = frame

        // One pass: finiteness, the edge test and the RMS of the coarse fields.
        var sumSquares = 0.0, edge = 0.0, inside = 0.0
        var coarse = [Float](repeating: 0, count: side * side)
        let side = self.side, count = self.count, firstFrame = self.firstFrame, frameStride = self.frameStride
        for i in 0 ..< count {
            let f = firstFrame + i * frameStride
            do { try reader.readRows(start: f, count: 1, into: frame.baseAddress!) } catch {
                frame.deallocate()
                throw error
            }
            if let bad = frame.firstIndex(where: { !$0.isFinite }) {
                frame.deallocate()
                throw TrainingDataError("dataset", "\(at): frame \(f) holds \(frame[bad]) at (y, x) = (\(bad / n), \(bad % n))",
                                        fix: "leave that frame out of the selection (its first frame, frame count and stride) or clean the file")
            }
            let (e, s) = Self.edgeAndInsideSquares(frame.baseAddress!, n)
            edge += e
            inside += s
            sumSquares += coarse.withUnsafeMutableBufferPointer { Self.coarsen(frame.baseAddress!, n, c, divideBy: 1, into: $0.baseAddress!) }
        }
        // Per pair: 2N pairs across the edges, 2N(N − 1) inside.
        let meanEdge = edge / Double(2 * n), meanInside = inside / Double(2 * n * (n - 1))
        let edgeRatio = meanInside > 0 ? meanEdge / meanInside : (meanEdge > 0 ? .infinity : 1)
        let rms = (sumSquares / Double(count) / Double(side * side)).squareRoot()
        guard edgeRatio <= Self.maximumEdgeRatio(edgePairs: 2 * n * count) else {
            frame.deallocate()
            throw TrainingDataError("dataset", "\(at): the fields jump across the box edge (mean square difference across it \(Self.format(edgeRatio))× that between neighbouring points inside; periodic fields give about 1): not a whole periodic box",
                                    fix: "give whole periodic fields such as ns2d snapshots; a window cut out of a periodic field is not periodic")
        }
        guard rms.isFinite, rms > 0 else {
            frame.deallocate()
            throw TrainingDataError("dataset", "\(at): the selected fields have RMS \(rms)", fix: rms == 0 ? "give fields that are not all zero" : "give fields of finite size (values near 1e308 overflow the RMS)")
        }
        self.edgeRatio = edgeRatio
        self.rms = rms
        scale = given ?? (normalize ? rms : 1)
    }

    deinit { frame.deallocate() }

    /// The file frame of field `index`.
    public func frameIndex(of index: Int) -> Int { firstFrame + index * frameStride }

    /// Reads each field's frame and coarse-grains it (divided by ``scale``) into `fields`.
    public func loadFields(indices: UnsafeBufferPointer<Int>, into fields: UnsafeMutablePointer<Float>) throws {
        let n = storedSide, points = side * side
        for (r, index) in indices.enumerated() {
            precondition(index >= 0 && index < count, "SnapshotFieldSource: index \(index) outside 0 ..< \(count)")
            let f = frameIndex(of: index)
            try reader.readRows(start: f, count: 1, into: frame.baseAddress!)
            let out = fields + r * points
            _ = Self.coarsen(frame.baseAddress!, n, coarsening, divideBy: scale, into: out)
            // The file may have changed since the scan (ns2d appends in place): check what is handed out.
            for k in 0 ..< points where !out[k].isFinite {
                throw TrainingDataError("dataset", "\(dataset) in \(file): frame \(f) holds a NaN or infinite value (as float32, after division by \(scale))",
                                        fix: "leave that frame out or clean the file")
            }
        }
    }

    /// Box-filters the n × n `field` by c into (n/c)² floats divided by `divideBy`; returns the sum
    /// of squares of the coarse values (before the division).
    static func coarsen(_ field: UnsafePointer<Double>, _ n: Int, _ c: Int, divideBy: Double, into out: UnsafeMutablePointer<Float>) -> Double {
        let m = n / c, weight = 1 / Double(c * c)
        var squares = 0.0
        for I in 0 ..< m {
            for J in 0 ..< m {
                var sum = 0.0
                for y in I * c ..< I * c + c {
                    let line = field + y * n + J * c
                    for x in 0 ..< c { sum += line[x] }
                }
                let v = sum * weight
                squares += v * v
                out[I * m + J] = Float(v / divideBy)
            }
        }
        return squares
    }

    /// Sums of squared differences of neighbours across the two box edges (x = N−1 → 0 and
    /// y = N−1 → 0: 2N pairs) and inside (2N(N − 1) pairs).
    static func edgeAndInsideSquares(_ f: UnsafePointer<Double>, _ n: Int) -> (edge: Double, inside: Double) {
        var edge = 0.0, inside = 0.0
        for y in 0 ..< n {
            let line = f + y * n, next = f + ((y + 1) % n) * n
            for x in 0 ..< n {
                let dx = line[(x + 1) % n] - line[x], dy = next[x] - line[x]
                if x == n - 1 { edge += dx * dx } else { inside += dx * dx }
                if y == n - 1 { edge += dy * dy } else { inside += dy * dy }
            }
        }
        return (edge, inside)
    }

    static func format(_ x: Double) -> String { x.isFinite ? String(format: "%.3g", x) : "\(x)" }
}
