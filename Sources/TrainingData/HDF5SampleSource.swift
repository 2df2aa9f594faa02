import Learning
import Storage

/// Samples of an HDF5 file: inputs from one dataset, class labels or real targets from another, read
/// by sample index on demand.
///
/// - Inputs: (samples, features) → shape [features]; (samples, H, W) → NHWC [H, W, 1];
///   (samples, H, W, C) → [H, W, C]. Any integer or floating type (HDF5 converts to float32).
/// - Labels: (samples) or (samples, 1) of an integer type, every value in 0 ..< classes (checked when
///   the source is made; the labels are then kept in memory, 4 bytes per sample).
/// - Targets: (samples, …) of any numeric type; the trailing axes flattened give the target width.
///
/// A source may cover a block of rows only (`rows:`; e.g. the last ones as a held-out set): its index i is
/// then row `rows.lowerBound + i` of both datasets.
///
/// `load` reads only the rows it is asked for, straight into the caller's buffers: consecutive indices
/// become one hyperslab. Reads are independent (``Storage/H5RowReader``: POSIX, not MPI-IO), so each
/// rank reads its own share of a batch without the others; nothing holds the whole file. Every problem
/// found when the source is made (missing file or dataset, wrong rank or type, sample counts that
/// differ, labels out of range) is a ``TrainingDataError`` naming the file and dataset.
///
/// Not thread-safe (HDF5 itself is built without thread safety): one `load` at a time per process.
public final class HDF5SampleSource: SampleSource {
    /// What the second dataset holds.
    public enum Targets: Sendable, Equatable {
        /// Integer class labels in 0 ..< classes.
        case labels(dataset: String, classes: Int)
        /// Real-valued targets.
        case values(dataset: String)
    }

    /// The file.
    public let file: String
    /// The input dataset's path.
    public let inputDataset: String
    /// Number of samples (the rows covered).
    public let count: Int
    /// File row of index 0.
    public let firstRow: Int
    /// Per-sample input shape.
    public let inputShape: TensorShape
    /// Classes or target width.
    public let targetKind: TargetKind

    private let inputs: H5RowReader
    private let targetReader: H5RowReader?
    private let labelValues: [Int32]

    /// Opens `file` and checks both datasets (see the type's description for what is accepted); `rows`
    /// limits the source to a block of samples (default: all). Throws a ``TrainingDataError`` on `inputs`,
    /// `labels`, `targets`, `classes` or `rows` (the parameter at fault), its message naming the file and
    /// dataset.
    public init(file: String, inputs inputPath: String, targets: Targets, rows: Range<Int>? = nil) throws {
        let reader = try HDF5SampleSource.open(file, inputPath, parameter: "inputs")
        let where_ = "\(reader.dataset) in \(file)"
        guard reader.numberClass != .other else {
            throw TrainingDataError("inputs", "\(where_) holds \(reader.elementType) elements", fix: "store the inputs as integers or floating point numbers")
        }
        let shape = reader.shape
        switch shape.count {
        case 2: inputShape = .vector(shape[1])
        case 3: inputShape = .image(height: shape[1], width: shape[2], channels: 1)
        case 4: inputShape = .image(height: shape[1], width: shape[2], channels: shape[3])
        default:
            throw TrainingDataError("inputs", "\(where_) has shape \(shape), a rank-\(shape.count) array",
                                    fix: "store (samples, features), (samples, H, W) or (samples, H, W, C)")
        }
        guard reader.rows > 0, shape.dropFirst().allSatisfy({ $0 > 0 }) else {
            throw TrainingDataError("inputs", "\(where_) has shape \(shape): no samples or empty samples", fix: "give a dataset with at least one sample of at least one value")
        }
        let covered = rows ?? 0 ..< reader.rows
        guard covered.lowerBound >= 0, covered.upperBound <= reader.rows, !covered.isEmpty else {
            throw TrainingDataError("rows", "\(covered.lowerBound) ..< \(covered.upperBound) is not a non-empty block of the \(reader.rows) samples of \(where_)",
                                    fix: "use a range inside 0 ..< \(reader.rows)")
        }
        self.file = file
        inputDataset = reader.dataset
        count = covered.count
        firstRow = covered.lowerBound
        self.inputs = reader
        func checkCount(_ other: H5RowReader, _ parameter: String) throws {
            guard other.rows == reader.rows else {
                throw TrainingDataError(parameter, "\(other.dataset) in \(file) has \(other.rows) samples but the inputs \(reader.dataset) have \(reader.rows)",
                                        fix: "give \(parameter) with one entry per input sample (the first axis of both datasets)")
            }
        }
        switch targets {
        case .labels(let path, let classes):
            guard classes >= 1 else { throw TrainingDataError("classes", "is \(classes)", fix: "use the number of classes, at least 1") }
            let labels = try HDF5SampleSource.open(file, path, parameter: "labels")
            guard labels.numberClass == .integer else {
                throw TrainingDataError("labels", "\(labels.dataset) in \(file) holds \(labels.elementType) elements", fix: "store class labels as integers 0 ..< \(classes)")
            }
            guard labels.shape.count == 1 || (labels.shape.count == 2 && labels.shape[1] == 1) else {
                throw TrainingDataError("labels", "\(labels.dataset) in \(file) has shape \(labels.shape)", fix: "store one label per sample: shape (samples) or (samples, 1)")
            }
            try checkCount(labels, "labels")
            labelValues = try HDF5SampleSource.readLabels(labels, rows: covered, classes: classes)
            targetReader = nil
            targetKind = .classes(classes)
        case .values(let path):
            let values = try HDF5SampleSource.open(file, path, parameter: "targets")
            guard values.numberClass != .other else {
                throw TrainingDataError("targets", "\(values.dataset) in \(file) holds \(values.elementType) elements", fix: "store targets as numbers")
            }
            try checkCount(values, "targets")
            guard values.rowElements > 0 else {
                throw TrainingDataError("targets", "\(values.dataset) in \(file) has shape \(values.shape): empty targets", fix: "give at least one value per sample")
            }
            labelValues = []
            targetReader = values
            targetKind = .values(values.rowElements)
        }
    }

    /// Reads the samples `indices`: each run of consecutive indices is one read per dataset.
    /// Throws on read errors and on NaN or infinite inputs (naming the sample).
    public func load(indices: UnsafeBufferPointer<Int>, inputs out: UnsafeMutablePointer<Float>,
                     targets: UnsafeMutablePointer<Float>?, labels: UnsafeMutablePointer<Int32>?) throws {
        let width = inputs.rowElements, targetWidth = targetReader?.rowElements ?? 0
        var r = 0
        while r < indices.count {
            let start = indices[r]
            precondition(start >= 0 && start < count, "HDF5SampleSource: index \(start) outside 0 ..< \(count)")
            var run = 1
            while r + run < indices.count && indices[r + run] == start + run { run += 1 }
            try inputs.readRows(start: firstRow + start, count: run, into: out + r * width)
            if let targets, let targetReader { try targetReader.readRows(start: firstRow + start, count: run, into: targets + r * targetWidth) }
            if let labels, !labelValues.isEmpty {
                labelValues.withUnsafeBufferPointer { (labels + r).update(from: $0.baseAddress! + start, count: run) }
            }
            for k in 0 ..< run * width where !out[r * width + k].isFinite {
                throw TrainingDataError("inputs", "\(inputDataset) in \(file) holds a NaN or infinite value (as float32) in sample \(firstRow + start + k / width)",
                                        fix: "clean the data or leave that sample out")
            }
            r += run
        }
    }

    /// A reader, with Storage's error (which names file and dataset) as the parameter's error.
    private static func open(_ file: String, _ dataset: String, parameter: String) throws -> H5RowReader {
        do { return try H5RowReader(file: file, dataset: dataset) } catch let e as StorageError {
            throw TrainingDataError(parameter, "\(e.file)\(e.object.map { ": \($0)" } ?? ""): \(e.message)",
                                    fix: "give an existing HDF5 file and a dataset in it")
        }
    }

    /// The labels of `rows`, checked against 0 ..< classes in chunks (the first bad sample is named by
    /// its row in the file).
    private static func readLabels(_ reader: H5RowReader, rows: Range<Int>, classes: Int) throws -> [Int32] {
        var values = [Int32](repeating: 0, count: rows.count)
        let chunk = 1 << 20
        try values.withUnsafeMutableBufferPointer { v in
            var start = 0
            while start < rows.count {
                let n = min(chunk, rows.count - start)
                // HDF5 clips wider integers into Int32, so a huge label still shows as out of range.
                try reader.readRows(start: rows.lowerBound + start, count: n, into: v.baseAddress! + start)
                for i in start ..< start + n where v[i] < 0 || Int(v[i]) >= classes {
                    throw TrainingDataError("labels", "\(reader.dataset) in \(reader.file): sample \(rows.lowerBound + i) has label \(v[i]), outside 0 ..< \(classes)",
                                            fix: "relabel the data, or set the number of classes above the largest label")
                }
                start += n
            }
        }
        return values
    }
}
