import Foundation
import Parallel
import Storage

/// Checks a dataset selection against its file and reads it collectively, each rank a contiguous block of
/// the selected samples (streamed block by block with ``SampleBlockStream``).
public enum DatasetReader {
    /// Float64 bytes of one block when ``DatasetSelection/blockRows`` is 0 (automatic): 16 MiB, large
    /// enough that syrk on a block runs at full speed, small enough that a block is a minor part of a
    /// rank's memory beside a d × d matrix.
    public static let automaticBlockBytes = 16 << 20

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
        guard sel.sampleAxis == 0 || sel.sampleAxis == 1 else {
            throw DatasetError(.sampleAxis, "is \(sel.sampleAxis); samples lie along axis 0 or (2-D datasets only) axis 1", fix: "use 0 for (samples, field…) or 1 for a (features, samples) matrix")
        }
        guard sel.sampleAxis == 0 || shape.count == 2 else {
            throw DatasetError(.sampleAxis, "is 1 but \(path) has shape \(shape), a rank-\(shape.count) array; samples as columns are read from 2-D (features × samples) datasets only", fix: "use sample_axis = 0 (samples along the first axis), or store the data as a 2-D features × samples array")
        }
        guard sel.blockRows >= 0 else {
            throw DatasetError(.blockRows, "is negative", fix: "use 0 (automatic) or a positive number of samples per read")
        }
        let type = try h5.elementType(of: path)
        guard type == .float64 || type == .float32 else {
            throw DatasetError(.dataset, "\(path) holds \(type); only float64 and float32 are read", fix: "convert the dataset to floating point")
        }
        let sampleAxisName = sel.sampleAxis == 0 ? "first" : "second"
        let available = shape[sel.sampleAxis]
        guard available > 0 else {
            throw DatasetError(.dataset, "\(path) in \(sel.file) has no samples (shape \(shape), samples along its \(sampleAxisName) axis)", fix: "give a dataset that holds samples along its \(sampleAxisName) axis")
        }
        let trailing = sel.sampleAxis == 0 ? Array(shape.dropFirst()) : [shape[0]]
        let trailingCount = try checkedProduct(trailing[...], field: .dataset, what: "\(path) has shape \(shape)")
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
        // Rows per block: as given, else ~automaticBlockBytes of float64 values (at least one sample).
        let blockRows = max(1, min(count, sel.blockRows > 0 ? sel.blockRows : automaticBlockBytes / max(8 * max(rawPerSample, features), 1)))
        var resolved = ResolvedSelection(datasetShape: shape, samples: count, fieldShape: field)
        resolved.sampleAxis = sel.sampleAxis
        resolved.elementType = type
        resolved.blockRows = blockRows
        resolved.rawFeatures = rawPerSample
        let (_, o5) = blockRows.multipliedReportingOverflow(by: 16 * max(rawPerSample, features))
        if o5 {
            throw DatasetError(.blockRows, "\(blockRows) samples of \(rawPerSample) values per block overflow the address space", fix: "use a smaller block_rows")
        }
        return resolved
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

    /// Reads this rank's whole block of the selected samples (cropped, coarse-grained, as float64) and
    /// checks every value is finite: every block of ``SampleBlockStream/thisRank(_:_:communicator:)``
    /// gathered into one. Collective; call after ``resolve(_:communicator:)``. Prefer streaming the
    /// blocks (``SampleBlockStream``), which keeps one block in memory instead of the whole share.
    public static func read(_ sel: DatasetSelection, _ resolved: ResolvedSelection, communicator comm: Communicator) throws -> SampleBlock {
        let stream = SampleBlockStream.thisRank(sel, resolved, communicator: comm)
        let d = resolved.features
        var values = [Double]()
        values.reserveCapacity(stream.localSamples * d)
        try stream.forEachBlock(communicator: comm) { block in values += block.values }
        return SampleBlock(firstSample: stream.firstPosition, rows: stream.localSamples, features: d,
                           totalSamples: resolved.samples, values: values)
    }

    /// Block averages of a row-major field of `shape` over boxes of `factors` (which divide the shape),
    /// written to `out` (the product of shape / factors values).
    static func coarseGrain(_ field: UnsafeBufferPointer<Double>, shape: [Int], factors: [Int], into out: UnsafeMutablePointer<Double>) {
        let outShape = zip(shape, factors).map { $0 / $1 }
        let outCount = outShape.reduce(1, *)
        out.initialize(repeating: 0, count: outCount)
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
        for k in 0 ..< outCount { out[k] *= inv }
    }

    /// Block averages of a row-major field of `shape` over boxes of `factors` (which divide the shape).
    public static func coarseGrain(_ field: [Double], shape: [Int], factors: [Int]) -> [Double] {
        let outCount = zip(shape, factors).map { $0 / $1 }.reduce(1, *)
        return [Double](unsafeUninitializedCapacity: outCount) { out, initialized in
            field.withUnsafeBufferPointer { coarseGrain($0, shape: shape, factors: factors, into: out.baseAddress!) }
            initialized = outCount
        }
    }
}
