import Foundation
import Parallel
import Storage

/// Reads a dataset collectively, each rank a contiguous block of the selected samples.
public enum DatasetReader {
    /// Default bytes read per collective call (bounds the read buffer when a stride skips samples).
    public static let defaultChunkBytes = 64 << 20

    /// Checks the selection against the file without reading data: the file and dataset exist, the
    /// dataset has a sample axis and at least one feature axis, a float element type, and enough
    /// samples; crop and coarse settings fit the field. Collective. Throws a ``DatasetError`` naming
    /// the selection field and the fix.
    public static func resolve(_ sel: DatasetSelection, communicator comm: Communicator) throws -> ResolvedSelection {
        guard FileManager.default.fileExists(atPath: sel.file) else {
            throw DatasetError(.file, "no such file \"\(sel.file)\"", fix: "give the path of an existing HDF5 file, relative to the working directory; if another job writes it, run that job first")
        }
        let h5: H5File
        do { h5 = try H5File.open(sel.file, communicator: comm) } catch {
            throw DatasetError(.file, "cannot open \"\(sel.file)\" as HDF5: \(error)", fix: "give an HDF5 file")
        }
        defer { try? h5.close() }
        let path = sel.absolutePath
        guard try h5.kind(of: path) == .dataset else {
            let names = try h5.contents().filter { $0.kind == .dataset }.map(\.path)
            throw DatasetError(.dataset, "\"\(sel.dataset)\" is not a dataset in \(sel.file)", fix: "use one of \(names.isEmpty ? "none: the file has no datasets" : names.joined(separator: ", "))")
        }
        let shape = try h5.shape(of: path)
        guard shape.count >= 2 else {
            throw DatasetError(.dataset, "\(path) has shape \(shape), a rank-\(shape.count) array; need samples along the first axis and at least one feature axis", fix: "store the data as (samples, features…), e.g. reshape to (n, 1) for scalars")
        }
        let type = try h5.elementType(of: path)
        guard type == .float64 || type == .float32 else {
            throw DatasetError(.dataset, "\(path) holds \(type); only float64 and float32 are read", fix: "convert the dataset to floating point")
        }
        let available = shape[0]
        guard available > 0 else {
            throw DatasetError(.dataset, "\(path) in \(sel.file) has no samples (shape \(shape))", fix: "give a dataset that holds samples along its first axis")
        }
        let trailingCount = try checkedProduct(shape.dropFirst(), field: .dataset, what: "\(path) has shape \(shape)")
        guard trailingCount > 0 else {
            throw DatasetError(.dataset, "\(path) in \(sel.file) has no features (shape \(shape): a field axis of length 0)", fix: "give a dataset whose samples hold at least one value")
        }
        guard sel.first >= 0, sel.samples >= 0, sel.stride >= 1 else {
            throw DatasetError(sel.first < 0 ? .first : sel.samples < 0 ? .samples : .stride, "is negative or zero", fix: "use first ≥ 0, samples ≥ 0 and stride ≥ 1")
        }
        guard sel.first < available else {
            throw DatasetError(.first, "\(sel.first) but \(path) has only \(available) samples", fix: "use a value below \(available)")
        }
        let maxCount = (available - sel.first - 1) / sel.stride + 1
        let count = sel.samples == 0 ? maxCount : sel.samples
        guard count <= maxCount else {
            throw DatasetError(.samples, "\(sel.samples) samples requested but \(path) has \(available) samples, so only \(maxCount) are available from first = \(sel.first) with stride = \(sel.stride)", fix: "use samples ≤ \(maxCount), or 0 for all")
        }
        let trailing = Array(shape.dropFirst())
        var field = trailing
        if !sel.crop.isEmpty {
            guard sel.crop.count == 2 * trailing.count else {
                throw DatasetError(.crop, "has \(sel.crop.count) values but \(path) has \(trailing.count) field axes (shape \(trailing))", fix: "give [start, stop] for each field axis: \(2 * trailing.count) values")
            }
            for a in 0 ..< trailing.count {
                let (start, stop) = (sel.crop[2 * a], sel.crop[2 * a + 1])
                guard start >= 0, stop <= trailing[a], start < stop else {
                    throw DatasetError(.crop, "[\(start), \(stop)) does not fit field axis \(a) of size \(trailing[a])", fix: "use 0 ≤ start < stop ≤ \(trailing[a])")
                }
                field[a] = stop - start
            }
        }
        if !sel.coarse.isEmpty {
            guard sel.coarse.count == trailing.count else {
                throw DatasetError(.coarse, "has \(sel.coarse.count) values but \(path) has \(trailing.count) field axes", fix: "give one factor per field axis")
            }
            for a in 0 ..< field.count {
                guard field[a] % sel.coarse[a] == 0 else {
                    throw DatasetError(.coarse, "factor \(sel.coarse[a]) does not divide the (cropped) size \(field[a]) of field axis \(a)", fix: "use a divisor of \(field[a]) or adjust the crop")
                }
                field[a] /= sel.coarse[a]
            }
        }
        // Values read per collective call: one selected sample spans `stride` rows of the file.
        let features = try checkedProduct(field[...], field: sel.coarse.isEmpty ? .crop : .coarse,
                                          what: "a sample of \(path) has \(field.map(String.init).joined(separator: " × ")) features")
        let rawPerSample = try checkedProduct(field.indices.map { a in sel.crop.isEmpty ? trailing[a] : sel.crop[2 * a + 1] - sel.crop[2 * a] }[...],
                                              field: .crop, what: "a cropped sample of \(path)")
        let (rowBytes, o1) = rawPerSample.multipliedReportingOverflow(by: 8)
        let (strideBytes, o2) = rowBytes.multipliedReportingOverflow(by: sel.stride)
        let (lastRow, o3) = (count - 1).multipliedReportingOverflow(by: sel.stride)
        let (_, o4) = sel.first.addingReportingOverflow(lastRow)
        if o1 || o2 || o3 || o4 || features <= 0 {
            throw DatasetError(.stride, "\(sel.stride) with \(rawPerSample) values per sample spans more than a file can hold", fix: "use a smaller stride, or crop the field (source.crop)")
        }
        _ = strideBytes
        return ResolvedSelection(datasetShape: shape, samples: count, fieldShape: field)
    }

    /// The product of `sizes`, or a ``DatasetError`` on `field` when it overflows `Int`.
    static func checkedProduct(_ sizes: ArraySlice<Int>, field: DatasetError.Field, what: String) throws -> Int {
        var product = 1
        for s in sizes {
            let (p, overflow) = product.multipliedReportingOverflow(by: s)
            if overflow { throw DatasetError(field, "\(what): more than \(Int.max) values per sample", fix: "crop the field (source.crop) or coarse-grain it (source.coarse)") }
            product = p
        }
        return product
    }

    /// Reads this rank's block of the selected samples (cropped, coarse-grained, as float64) and
    /// checks every value is finite. Collective; call after ``resolve(_:communicator:)``. `chunkBytes` bounds
    /// the bytes of one collective read (tests make it small to exercise several reads).
    public static func read(_ sel: DatasetSelection, _ resolved: ResolvedSelection, communicator comm: Communicator,
                            chunkBytes: Int = defaultChunkBytes) throws -> SampleBlock {
        let path = sel.absolutePath
        let h5 = try H5File.open(sel.file, communicator: comm)
        defer { try? h5.close() }
        let trailing = Array(resolved.datasetShape.dropFirst())
        let cropStart = sel.crop.isEmpty ? trailing.map { _ in 0 } : stride(from: 0, to: sel.crop.count, by: 2).map { sel.crop[$0] }
        let cropShape = sel.crop.isEmpty ? trailing : stride(from: 0, to: sel.crop.count, by: 2).map { sel.crop[$0 + 1] - sel.crop[$0] }
        let rawPerSample = cropShape.reduce(1, *)
        let d = resolved.features
        let isFloat32 = try h5.elementType(of: path) == .float32

        let decomposition = BlockDecomposition(count: resolved.samples, parts: comm.size)
        let mine = decomposition.range(of: comm.rank)
        // Selected samples per collective read, the same on every rank (so the calls match).
        let (strideBytes, overflow) = (rawPerSample * 8).multipliedReportingOverflow(by: sel.stride)
        let perChunk = overflow ? 1 : max(1, chunkBytes / max(1, strideBytes))
        let maxLocal = decomposition.counts.max() ?? 0
        let calls = (maxLocal + perChunk - 1) / perChunk
        var values = [Double](repeating: 0, count: mine.count * d)
        var done = 0
        for _ in 0 ..< calls {
            let take = min(perChunk, mine.count - done)
            let fileRows = take > 0 ? (take - 1) * sel.stride + 1 : 0
            let firstRow = sel.first + (mine.lowerBound + done) * sel.stride
            let offset = [take > 0 ? firstRow : 0] + cropStart
            let count = [fileRows] + cropShape
            let raw: [Double]
            if isFloat32 {
                let f: [Float] = try h5.read(path, as: Float.self, offset: offset, count: count)
                raw = f.map(Double.init)
            } else {
                raw = try h5.read(path, as: Double.self, offset: offset, count: count)
            }
            for k in 0 ..< take {
                let sample = Array(raw[(k * sel.stride) * rawPerSample ..< (k * sel.stride + 1) * rawPerSample])
                let field = sel.coarse.isEmpty ? sample : coarseGrain(sample, shape: cropShape, factors: sel.coarse)
                let dst = (done + k) * d
                for f in 0 ..< d { values[dst + f] = field[f] }
            }
            done += take
        }
        // Refuse NaN/Inf, naming the first bad sample (agreed over ranks) before any heavy work.
        var firstBad = Int.max
        for r in 0 ..< mine.count where values[r * d ..< (r + 1) * d].contains(where: { !$0.isFinite }) {
            firstBad = mine.lowerBound + r
            break
        }
        firstBad = try comm.allreduce(firstBad, .min)
        if firstBad != Int.max {
            let fileIndex = sel.first + firstBad * sel.stride
            throw DatasetError(.dataset, "\(path) in \(sel.file) holds NaN or infinite values, first in sample \(fileIndex)", fix: "clean the data, or skip those samples by the choice of first sample, sample count and stride")
        }
        return SampleBlock(firstSample: mine.lowerBound, rows: mine.count, features: d, totalSamples: resolved.samples, values: values)
    }

    /// Block averages of a row-major field of `shape` over boxes of `factors` (which divide the shape).
    public static func coarseGrain(_ field: [Double], shape: [Int], factors: [Int]) -> [Double] {
        let outShape = zip(shape, factors).map { $0 / $1 }
        let outCount = outShape.reduce(1, *)
        var out = [Double](repeating: 0, count: outCount)
        let rank = shape.count
        var index = [Int](repeating: 0, count: rank)
        for value in field {
            var o = 0
            for a in 0 ..< rank { o = o * outShape[a] + index[a] / factors[a] }
            out[o] += value
            var a = rank - 1
            while a >= 0 { index[a] += 1; if index[a] < shape[a] { break }; index[a] = 0; a -= 1 }
        }
        let inv = 1 / Double(factors.reduce(1, *))
        return out.map { $0 * inv }
    }
}
