import Parallel
import Storage

/// Samples that arrive block by block: an HDF5 dataset read ``SampleBlockStream`` by stream, or
/// samples already in memory (``SampleBlock``). Algorithms that fold blocks (a comoment, moments)
/// take any source, so their memory is one block beside their result, whatever the sample count.
public protocol SampleBlockSource {
    /// Values per sample.
    var features: Int { get }
    /// Samples of the whole matrix (all ranks).
    var totalSamples: Int { get }
    /// Samples this rank yields.
    var localSamples: Int { get }
    /// Calls `body` with this rank's samples, one block after the other in sample order (float64, one
    /// sample per row). `body` may change the block (e.g. centre it in place): the buffer is reused for
    /// the next block. Collective for a stream (see ``SampleBlockStream/forEachBlock(communicator:_:)``).
    func forEachBlock(communicator comm: Communicator, _ body: (inout SampleBlock) throws -> Void) throws
    /// ``forEachBlock(communicator:_:)`` with a look at each block while it is read: `piece` gets consecutive
    /// runs of the block's rows (all of them, in order) as soon as they are in memory, then `body` gets the whole
    /// block. A stream reads a block in runs of about ``SampleBlockStream/pieceBytes`` so that `piece` finds them
    /// in the core's cache; samples in memory make the whole block one run. `piece` may change the values in
    /// place, and takes over the stream's check for NaN and ±∞ (see ``PieceVisitor``).
    func forEachBlock(communicator comm: Communicator, piece: PieceVisitor, _ body: (inout SampleBlock) throws -> Void) throws
}

/// Sees `rows` samples of a block (`values`, rows × features, changeable in place) right after they are read.
/// Returns false when it may have met a value that is not finite, e.g. because a sum it keeps over the values
/// is NaN or ±∞; it must never return true for values holding a NaN or ±∞. A stream then re-reads the block and
/// checks it value by value (so a false alarm, such as a sum overflowing, costs one read and refuses nothing).
public typealias PieceVisitor = (_ values: UnsafeMutableBufferPointer<Double>, _ rows: Int) -> Bool

extension SampleBlockSource {
    /// The whole block as one piece (samples in memory: no read to overlap, no finiteness check to take over).
    public func forEachBlock(communicator comm: Communicator, piece: PieceVisitor,
                             _ body: (inout SampleBlock) throws -> Void) throws {
        try forEachBlock(communicator: comm) { block in
            let rows = block.rows
            if rows > 0 { _ = block.values.withUnsafeMutableBufferPointer { piece($0, rows) } }
            try body(&block)
        }
    }
}

/// This rank's selected samples of an HDF5 dataset, read block by block.
///
/// Each block is ``ResolvedSelection/blockRows`` samples read by one collective hyperslab read in the
/// file's element type (float32 stays float32 in the read buffer), the stride of the selection (or a
/// subset's rows) selected in the hyperslab so the rows in between are never read, the crop in the
/// hyperslab's box, then converted to float64 and coarse-grained sample by sample. Memory: one read
/// buffer and one float64 block, reused. Values that are NaN or infinite are found while streaming;
/// the refusal (naming the first bad sample of any rank, agreed over ranks) comes when the stream ends,
/// before the caller uses what it folded.
///
/// Used by the replicated covariance and Gram paths of `Covariance`; a distributed path consumes the
/// same stream.
public struct SampleBlockStream: SampleBlockSource, Sendable {
    /// Which selected samples (indices `0 ..< resolved.samples` into the selection) a stream yields.
    public enum Samples: Sendable, Equatable {
        /// Consecutive selected samples.
        case range(Range<Int>)
        /// Selected samples in increasing order (a subset, e.g. of a sweep).
        case list([Int])

        public var count: Int {
            switch self {
            case .range(let r): return r.count
            case .list(let l): return l.count
            }
        }

        func part(_ r: Range<Int>) -> Samples {
            switch self {
            case .range(let all): return .range(all.lowerBound + r.lowerBound ..< all.lowerBound + r.upperBound)
            case .list(let all): return .list(Array(all[r]))
            }
        }
    }

    public let selection: DatasetSelection
    public let resolved: ResolvedSelection
    /// The samples this rank yields.
    public let samples: Samples
    /// The samples of the whole matrix, of which ``samples`` is this rank's consecutive part.
    public let allSamples: Samples
    /// Position of this rank's first sample among ``allSamples`` (the blocks' ``SampleBlock/firstSample``
    /// count on from it).
    public let firstPosition: Int

    public var features: Int { resolved.features }
    public var totalSamples: Int { allSamples.count }
    public var localSamples: Int { samples.count }
    /// Samples per read.
    public var blockRows: Int { resolved.blockRows }

    /// A stream of the part `part` (positions into `all`) of the samples `all`.
    public init(_ selection: DatasetSelection, _ resolved: ResolvedSelection, all: Samples, part: Range<Int>) {
        precondition(part.lowerBound >= 0 && part.upperBound <= all.count, "stream part \(part) outside \(all.count) samples")
        self.selection = selection
        self.resolved = resolved
        allSamples = all
        samples = all.part(part)
        firstPosition = part.lowerBound
    }

    /// This rank's consecutive block of all selected samples (``BlockDecomposition`` over the ranks).
    public static func thisRank(_ selection: DatasetSelection, _ resolved: ResolvedSelection,
                                communicator comm: Communicator) -> SampleBlockStream {
        SampleBlockStream(selection, resolved, all: .range(0 ..< resolved.samples), part: comm.blockRange(of: resolved.samples))
    }

    /// This rank's consecutive part of the subset `subset` (selected-sample indices, increasing).
    public static func thisRank(_ selection: DatasetSelection, _ resolved: ResolvedSelection, subset: [Int],
                                communicator comm: Communicator) -> SampleBlockStream {
        SampleBlockStream(selection, resolved, all: .list(subset), part: comm.blockRange(of: subset.count))
    }

    /// The same samples, every one of them on this rank (e.g. the columns of this rank's Gram rows).
    public var everySample: SampleBlockStream {
        SampleBlockStream(selection, resolved, all: allSamples, part: 0 ..< allSamples.count)
    }

    /// The same stream read `rows` samples at a time (at least 1).
    public func readingBlocks(of rows: Int) -> SampleBlockStream {
        var r = resolved
        r.blockRows = max(1, rows)
        return SampleBlockStream(selection, r, all: allSamples, part: firstPosition ..< firstPosition + samples.count)
    }

    /// Runs of consecutive file positions joined in one HDF5 selection per read (HDF5 1.10 joins runs in time
    /// that grows with the runs already selected: a sweep subset of 50 000 random rows of 100 000 × 64 took 23 s
    /// on 2 ranks in one selection per block, 2.2 s in selections of 64 runs).
    public static let runsPerRead = 64

    /// Reads the rows at increasing file `positions` into `values` in reads of at most ``runsPerRead`` runs
    /// each, as many reads on every rank (a rank with fewer reads nothing in the others). Collective.
    private func readRuns(_ positions: [Int], _ h5: H5File, _ path: String, _ reader: BlockConverter,
                          into values: inout [Double], part: inout [Double], communicator comm: Communicator) throws {
        var groups: [Range<Int>] = []
        var start = 0, runs = 0
        for k in positions.indices where k == 0 || positions[k] != positions[k - 1] + 1 {
            if runs == SampleBlockStream.runsPerRead { groups.append(start ..< k); start = k; runs = 0 }
            runs += 1
        }
        if !positions.isEmpty { groups.append(start ..< positions.count) }
        let reads = try comm.allreduce(groups.count, .max)
        if reads <= 1 {
            try reader.read(h5, path, .positions(positions), into: &values)
            return
        }
        values.removeAll(keepingCapacity: true)
        for g in 0 ..< reads {
            try reader.read(h5, path, .positions(g < groups.count ? Array(positions[groups[g]]) : []), into: &part)
            values += part
        }
    }

    /// The file index (along the sample axis) of selected sample `i`.
    public func fileIndex(ofSelected i: Int) -> Int { selection.first + i * selection.stride }

    /// Float64 bytes of the runs of a block read one after the other (``forEachBlock(communicator:piece:_:)``):
    /// small enough to stay in cache (L3 here: 32 MiB shared, 1 MiB L2 per core) until the piece visitor has
    /// seen them, large enough that the per-read cost of HDF5 and MPI-IO stays small. 4 MiB (256 samples of
    /// 2048 values): measured at (40000, 2048) float64 on 1 rank (CPU s of reads + visitor per pass) 1 MiB
    /// 0.138–0.162 + 0.034, 4 MiB 0.106–0.131 + 0.037, 16 MiB (a whole block) 0.091–0.145 + 0.048; 256 KiB 0.25.
    public static let pieceBytes = 4 << 20

    /// Samples per run of a block read at once (at least 1, at most a block); a whole block when samples are
    /// columns of the dataset (each read of a features × samples dataset visits every feature row).
    var pieceRows: Int {
        let block = max(1, resolved.blockRows)
        return resolved.sampleAxis == 0 ? max(1, min(block, SampleBlockStream.pieceBytes / max(8 * features, 1))) : block
    }

    /// Reads this rank's samples block by block and calls `body` with each. Collective: every rank calls
    /// `body` the same number of times (a rank whose samples ran out gets empty blocks, `rows == 0`), so
    /// `body` may itself read collectively (nested streams) but must throw on all ranks or none. After the
    /// last block, throws a ``DatasetError`` on every rank if any rank read a NaN or infinite value.
    public func forEachBlock(communicator comm: Communicator, _ body: (inout SampleBlock) throws -> Void) throws {
        let d = features
        try forEachBlock(communicator: comm, piece: { values, rows in BlockConverter.allFinite(UnsafeBufferPointer(values), rows: rows, features: d) }, body)
    }

    /// ``forEachBlock(communicator:_:)`` with `piece` seeing each run of ``pieceRows`` samples of a block right
    /// after its read (a subset's block is read in one go, so it is one run), and taking over the finiteness
    /// probe: blocks in which `piece` returned false are read again when the stream ends and checked value by
    /// value, so the refusal names the first bad sample of any rank as before. Collective.
    public func forEachBlock(communicator comm: Communicator, piece: PieceVisitor,
                             _ body: (inout SampleBlock) throws -> Void) throws {
        let mine = samples.count, rowsPerBlock = max(1, resolved.blockRows), d = features
        let calls = try comm.allreduce((mine + rowsPerBlock - 1) / rowsPerBlock, .max)
        guard calls > 0 else { return }
        let path = selection.absolutePath
        let h5 = try H5File.open(selection.file, communicator: comm)
        defer { try? h5.close() }
        let reader = BlockConverter(selection, resolved)
        // Every rank reads as many runs per block (the same block and run sizes), empty ones past its samples.
        let runRows = pieceRows, runsPerBlock = (rowsPerBlock + runRows - 1) / runRows
        var values: [Double] = [], partValues: [Double] = []
        var suspect: [Int] = []               // blocks (calls) in which `piece` saw what may be a NaN or ±∞
        for call in 0 ..< calls {
            let lo = min(call * rowsPerBlock, mine), take = min(rowsPerBlock, mine - lo)
            var clean = true
            switch samples {
            case .range(let r):
                BlockConverter.resize(&values, to: take * d)
                try values.withUnsafeMutableBufferPointer { v in
                    for run in 0 ..< runsPerBlock {
                        let first = min(run * runRows, take), count = min(runRows, take - first)
                        let positions = AxisSelection.strided(start: count > 0 ? fileIndex(ofSelected: r.lowerBound + lo + first) : 0,
                                                              count: count, stride: selection.stride)
                        let part = UnsafeMutableBufferPointer(rebasing: v[first * d ..< (first + count) * d])
                        try reader.read(h5, path, positions, into: part)
                        if count > 0 && !piece(part, count) { clean = false }
                    }
                }
            case .list(let l):
                try readRuns(l[lo ..< lo + take].map(fileIndex(ofSelected:)), h5, path, reader, into: &values, part: &partValues,
                             communicator: comm)
                if take > 0 { clean = values.withUnsafeMutableBufferPointer { piece($0, take) } }
            }
            if !clean { suspect.append(call) }
            var block = SampleBlock(firstSample: firstPosition + lo, rows: take, features: d,
                                    totalSamples: totalSamples, values: values)
            values = []                       // the block owns the buffer while `body` runs
            try body(&block)
            values = block.values             // and hands it back for the next read
            block.values = []
        }
        let firstBad = try firstNonFinite(inBlocks: suspect, h5, path, reader, communicator: comm)
        if firstBad != Int.max {
            throw DatasetError(.dataset, "\(path) in \(selection.file) holds NaN or infinite values, first in sample \(firstBad)",
                               fix: "clean the data, or skip those samples by the choice of first sample, sample count and stride")
        }
    }

    /// The file index of the first sample holding a NaN or ±∞ over all ranks (Int.max if none), re-reading
    /// each rank's `suspect` blocks in order until one holds one. Collective: one reduction when no rank has a
    /// suspect block, otherwise one read round per suspect block of the rank with most still to check.
    private func firstNonFinite(inBlocks suspect: [Int], _ h5: H5File, _ path: String, _ reader: BlockConverter,
                                communicator comm: Communicator) throws -> Int {
        let mine = samples.count, rowsPerBlock = max(1, resolved.blockRows)
        var firstBad = Int.max, next = 0
        var values: [Double] = [], partValues: [Double] = []
        while try comm.allreduce(firstBad == Int.max && next < suspect.count ? 1 : 0, .max) == 1 {
            let call = firstBad == Int.max && next < suspect.count ? suspect[next] : nil
            next += 1
            let lo = call.map { min($0 * rowsPerBlock, mine) } ?? 0, take = call == nil ? 0 : min(rowsPerBlock, mine - lo)
            switch samples {
            case .range(let r):
                try reader.read(h5, path, .strided(start: take > 0 ? fileIndex(ofSelected: r.lowerBound + lo) : 0, count: take,
                                                   stride: selection.stride), into: &values)
                if let bad = reader.firstNonFinite(values, rows: take) { firstBad = fileIndex(ofSelected: r.lowerBound + lo + bad) }
            case .list(let l):
                try readRuns(l[lo ..< lo + take].map(fileIndex(ofSelected:)), h5, path, reader, into: &values, part: &partValues,
                             communicator: comm)
                if let bad = reader.firstNonFinite(values, rows: take) { firstBad = fileIndex(ofSelected: l[lo + bad]) }
            }
        }
        return try comm.allreduce(firstBad, .min)
    }
}

/// Reads one block of samples in the file's type and converts it to float64 samples (crop in the read,
/// coarse-graining and the transpose of a features × samples dataset here).
struct BlockConverter {
    let resolved: ResolvedSelection
    let cropStart: [Int], cropShape: [Int]
    let coarse: [Int]
    let boxOffset: [Int], boxCount: [Int]
    /// Reused buffers: the file's float32 values, and float64 raw values when a sample needs rearranging.
    private let float32 = Buffer<Float>(), raw = Buffer<Double>(), scratch = Buffer<Double>()

    init(_ sel: DatasetSelection, _ resolved: ResolvedSelection) {
        self.resolved = resolved
        let field = resolved.fieldAxes
        cropStart = sel.crop.isEmpty ? field.map { _ in 0 } : stride(from: 0, to: sel.crop.count, by: 2).map { sel.crop[$0] }
        cropShape = sel.crop.isEmpty ? field : stride(from: 0, to: sel.crop.count, by: 2).map { sel.crop[$0 + 1] - sel.crop[$0] }
        coarse = sel.coarse
        if resolved.sampleAxis == 0 {
            boxOffset = [0] + cropStart
            boxCount = [0] + cropShape
        } else {
            boxOffset = cropStart + [0]
            boxCount = cropShape + [0]
        }
    }

    /// Reads the samples at `positions` (collective) into `values` (resized to rows × features).
    func read(_ h5: H5File, _ path: String, _ positions: AxisSelection, into values: inout [Double]) throws {
        BlockConverter.resize(&values, to: positions.count * resolved.features)
        try values.withUnsafeMutableBufferPointer { try read(h5, path, positions, into: $0) }
    }

    /// Reads the samples at `positions` (collective) into `out` (exactly rows × features values).
    func read(_ h5: H5File, _ path: String, _ positions: AxisSelection, into out: UnsafeMutableBufferPointer<Double>) throws {
        let take = positions.count, rawPer = resolved.rawFeatures, d = resolved.features
        precondition(out.count == take * d, "a block of \(take) samples needs \(take * d) values")
        let axis = resolved.sampleAxis
        let direct = axis == 0 && coarse.isEmpty       // a sample's values are already contiguous features
        if resolved.elementType == .float32 {
            let f = float32.ensure(take * rawPer)
            try h5.read(path, into: UnsafeMutableBufferPointer(start: f, count: take * rawPer), along: axis, positions,
                        offset: boxOffset, count: boxCount)
            if direct {
                for i in 0 ..< take * d { out[i] = Double(f[i]) }
                return
            }
            let r = raw.ensure(take * rawPer)
            for i in 0 ..< take * rawPer { r[i] = Double(f[i]) }
        } else if direct {
            try h5.read(path, into: out, along: axis, positions, offset: boxOffset, count: boxCount)
            return
        } else {
            let r = raw.ensure(take * rawPer)
            try h5.read(path, into: UnsafeMutableBufferPointer(start: r, count: take * rawPer), along: axis, positions,
                        offset: boxOffset, count: boxCount)
        }
        let r = raw.ensure(take * rawPer), s = scratch.ensure(rawPer)
        for k in 0 ..< take {
            // Sample k's cropped field, row-major: contiguous (axis 0) or column k of features × samples.
            if axis == 0 { for f in 0 ..< rawPer { s[f] = r[k * rawPer + f] } } else { for f in 0 ..< rawPer { s[f] = r[f * take + k] } }
            if coarse.isEmpty {
                for f in 0 ..< d { out[k * d + f] = s[f] }
            } else {
                DatasetReader.coarseGrain(UnsafeBufferPointer(start: s, count: rawPer), shape: cropShape, factors: coarse,
                                          into: out.baseAddress! + k * d)
            }
        }
    }

    /// Whether `rows` samples of `features` values hold no NaN and no ±∞ (the probe of a stream whose caller
    /// does not take it over). x − x is 0 for finite x and NaN for NaN and ±∞; summed per feature over the rows
    /// (independent lanes, so the loop vectorises), then over the features.
    static func allFinite(_ values: UnsafeBufferPointer<Double>, rows: Int, features d: Int) -> Bool {
        guard rows > 0, d > 0 else { return true }
        let v = values.baseAddress!
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: d) { probe in
            let p = probe.baseAddress!
            for f in 0 ..< d { p[f] = 0 }
            for r in 0 ..< rows { let row = v + r * d; for f in 0 ..< d { p[f] += row[f] - row[f] } }
            var sum = 0.0
            for f in 0 ..< d { sum += p[f] }
            return sum == 0
        }
    }

    /// The first row (of `rows`) holding a NaN or infinite value, or nil (value by value: for suspect blocks).
    func firstNonFinite(_ values: [Double], rows: Int) -> Int? {
        let d = resolved.features
        return values.withUnsafeBufferPointer { v -> Int? in
            (0 ..< rows).first { r in v[r * d ..< (r + 1) * d].contains { !$0.isFinite } }
        }
    }

    static func resize(_ values: inout [Double], to count: Int) {
        if values.count > count { values.removeLast(values.count - count) } else if values.count < count {
            values.append(contentsOf: repeatElement(0, count: count - values.count))
        }
    }
}

/// A growable buffer kept across blocks (freed with its owner).
final class Buffer<T> {
    private var pointer: UnsafeMutablePointer<T>? = nil
    private var capacity = 0

    /// At least `count` elements (contents undefined after growth).
    func ensure(_ count: Int) -> UnsafeMutablePointer<T> {
        if count > capacity || pointer == nil {
            pointer?.deallocate()
            pointer = .allocate(capacity: max(count, 1))
            capacity = max(count, 1)
        }
        return pointer!
    }

    deinit { pointer?.deallocate() }
}

extension SampleBlock: SampleBlockSource {
    /// Rows per block when samples in memory are folded as a source (a centred copy of this many rows).
    public static let sourceBlockRows = 1024

    public var localSamples: Int { rows }

    /// Yields copies of consecutive runs of ``sourceBlockRows`` rows (``Chunks``).
    public func forEachBlock(communicator comm: Communicator, _ body: (inout SampleBlock) throws -> Void) throws {
        try Chunks(self, rows: SampleBlock.sourceBlockRows).forEachBlock(communicator: comm, body)
    }

    /// Samples in memory as a source of copies of `rows` consecutive rows at a time. Not collective:
    /// ranks holding different row counts make different numbers of calls.
    public struct Chunks: SampleBlockSource {
        public let block: SampleBlock
        public let rows: Int

        public init(_ block: SampleBlock, rows: Int) {
            self.block = block
            self.rows = max(1, rows)
        }

        public var features: Int { block.features }
        public var totalSamples: Int { block.totalSamples }
        public var localSamples: Int { block.rows }

        public func forEachBlock(communicator comm: Communicator, _ body: (inout SampleBlock) throws -> Void) throws {
            var start = 0
            var buffer: [Double] = []
            let d = block.features
            while start < block.rows {
                let m = min(rows, block.rows - start)
                buffer.removeAll(keepingCapacity: true)
                buffer += block.values[start * d ..< (start + m) * d]
                var chunk = SampleBlock(firstSample: block.firstSample + start, rows: m, features: d,
                                        totalSamples: block.totalSamples, values: buffer)
                buffer = []
                try body(&chunk)
                buffer = chunk.values
                chunk.values = []
                start += m
            }
        }
    }
}
