import CHDF5
import Foundation

/// Indices start, start + stride, … (`count` of them), each the first of `block` consecutive ones:
/// one axis of an HDF5 hyperslab (start, stride, count, block).
public struct HyperslabRun: Sendable, Equatable {
    public var start: Int
    public var stride: Int
    public var count: Int
    public var block: Int

    public init(start: Int, stride: Int, count: Int, block: Int) {
        self.start = start
        self.stride = stride
        self.count = count
        self.block = block
    }

    /// How many indices the run covers.
    public var total: Int { count * block }
    /// One past the last index covered.
    var end: Int { count == 0 ? start : start + (count - 1) * stride + block }
}

extension H5File {
    /// Writes this rank's elements of a 2-D dataset selected as the product of a set of rows and a
    /// set of columns, each a union of strided runs (a block-cyclic matrix's part: the runs of
    /// `BlockCyclicAxis.runs(of:)`). Collective; a rank with nothing passes empty runs.
    ///
    /// `data` holds the selected elements in the file's row-major order: the selected rows in
    /// increasing order, in each the selected columns in increasing order. The runs of one axis must
    /// not overlap.
    public func write<T: H5Scalar>(_ path: String, _ data: UnsafeBufferPointer<T>, rows: [HyperslabRun],
                                   columns: [HyperslabRun]) throws {
        let path = try normalized(path)
        try requireOpen(path, writing: true)
        let dataset = try openDataset(path)
        let stored = try elementType(of: dataset)
        let shape = try extents(of: dataset, path).shape
        let selectedRows = rows.reduce(0) { $0 + $1.total }, selectedColumns = columns.reduce(0) { $0 + $1.total }
        var problem: StorageError? = nil
        if stored != T.h5ElementType {
            problem = StorageError(file: self.path, object: path, "holds \(stored.name) elements, not \(T.h5ElementType.name) (\(T.self))")
        } else if shape.count != 2 {
            problem = StorageError(file: self.path, object: path, "has shape \(shape); strided row × column writes need 2 axes")
        } else if let bad = firstBadRun(rows, extent: shape[0]).map({ ($0, 0) }) ?? firstBadRun(columns, extent: shape[1]).map({ ($0, 1) }) {
            problem = StorageError(file: self.path, object: path, "run \(bad.0) is out of bounds or overlaps itself on axis \(bad.1) (shape \(shape))")
        } else if data.count != selectedRows * selectedColumns {
            problem = StorageError(file: self.path, object: path,
                                   "buffer of \(data.count) elements for \(selectedRows) rows × \(selectedColumns) columns")
        }
        try communicator.agree(problem, file: self.path, object: path)
        let file = Handle(H5Dget_space(dataset.id), close: Close.dataspace)
        guard file.id >= 0 else { throw hdf5Error(path, "cannot get the dataspace") }
        let memory: Handle
        let pieces = rows.filter { $0.total > 0 }.flatMap { r in columns.filter { $0.total > 0 }.map { (r, $0) } }
        if pieces.isEmpty {
            memory = Handle(H5Screate_simple(1, [1], nil), close: Close.dataspace)
            guard memory.id >= 0, H5Sselect_none(file.id) >= 0, H5Sselect_none(memory.id) >= 0 else {
                throw hdf5Error(path, "cannot select nothing")
            }
        } else {
            memory = Handle(H5Screate_simple(1, [hsize_t(data.count)], nil), close: Close.dataspace)
            guard memory.id >= 0 else { throw hdf5Error(path, "cannot make the memory dataspace") }
            // HDF5 visits a union of hyperslabs in the file's row-major order, whatever the order of the ORs.
            for (k, (r, c)) in pieces.enumerated() {
                let status = H5Sselect_hyperslab(file.id, k == 0 ? H5S_SELECT_SET : H5S_SELECT_OR,
                                                 [hsize_t(r.start), hsize_t(c.start)], [hsize_t(max(r.stride, 1)), hsize_t(max(c.stride, 1))],
                                                 [hsize_t(r.count), hsize_t(c.count)], [hsize_t(r.block), hsize_t(c.block)])
                guard status >= 0 else { throw hdf5Error(path, "cannot select rows \(r) × columns \(c)") }
            }
        }
        // The whole dataset's file range (every rank reserves the same one).
        try reserveSpace(dataset, path, offset: [0, 0], count: shape, "writing strided blocks of \(shape)")
        var dummy = T.zero
        let status = withUnsafePointer(to: &dummy) { fallback in
            H5Dwrite(dataset.id, T.h5MemoryType, memory.id, file.id, collectiveTransfer.id,
                     data.baseAddress.map(UnsafeRawPointer.init) ?? UnsafeRawPointer(fallback))
        }
        let writeErrno = errno
        if try !communicator.allAgree(status >= 0) {
            throw try ioFailure(path, "writing strided blocks of \(shape) failed",
                                bytes: data.count * MemoryLayout<T>.stride, savedErrno: writeErrno)
        }
    }

    private func firstBadRun(_ runs: [HyperslabRun], extent: Int) -> HyperslabRun? {
        runs.first { run in
            let negative = run.start < 0 || run.count < 0 || run.block < 0
            let selfOverlapping = run.count > 1 && run.stride < run.block
            return negative || selfOverlapping || run.end > extent
        }
    }
}
