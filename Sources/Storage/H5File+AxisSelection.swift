import CHDF5

/// Which positions of one axis of a dataset a read selects.
public enum AxisSelection: Sendable, Equatable {
    /// `count` positions `start`, `start + stride`, …: one regular hyperslab, so the positions in
    /// between are not read.
    case strided(start: Int, count: Int, stride: Int)
    /// Positions in increasing order (no repeats): runs of consecutive positions become one
    /// hyperslab each, joined into one selection (only those positions are read).
    case positions([Int])

    /// Positions selected.
    public var count: Int {
        switch self {
        case .strided(_, let count, _): return count
        case .positions(let p): return p.count
        }
    }
}

extension H5File {
    /// Reads the box (`offset`, `count`) of the dataset at `path`, except that along `axis` only the
    /// positions of `selection` are read (`offset[axis]` and `count[axis]` are ignored). Collective.
    ///
    /// `buffer` receives exactly `selection.count × Π_{a ≠ axis} count[a]` elements in the file's
    /// row-major order, with the selected axis contracted to its selected positions (for axis 0: the
    /// selected rows one after the other; for axis 1 of a 2-D dataset: each row's selected columns).
    /// HDF5 converts from the stored floating-point or integer type to `T`.
    public func read<T: H5Scalar>(_ path: String, into buffer: UnsafeMutableBufferPointer<T>, along axis: Int,
                                  _ selection: AxisSelection, offset: [Int], count: [Int]) throws {
        let path = try normalized(path)
        try requireOpen(path)
        let dataset = try openDataset(path)
        if let problem = try readProblem(dataset, path) { throw problem }
        let shape = try extents(of: dataset, path).shape
        try communicator.agree(axisSelectionProblem(path, shape: shape, axis: axis, selection, offset: offset,
                                                    count: count, bufferCount: buffer.count),
                               file: self.path, object: path)
        let file = Handle(H5Dget_space(dataset.id), close: Close.dataspace)
        guard file.id >= 0 else { throw hdf5Error(path, "cannot get the dataspace") }
        var box = count
        box[axis] = selection.count
        let elements = box.reduce(1, *)
        let memory: Handle
        var selected = true
        if elements == 0 {
            memory = Handle(H5Screate_simple(1, [1], nil), close: Close.dataspace)
            selected = memory.id >= 0 && H5Sselect_none(file.id) >= 0 && H5Sselect_none(memory.id) >= 0
        } else {
            memory = Handle(H5Screate_simple(1, [hsize_t(elements)], nil), close: Close.dataspace)
            selected = memory.id >= 0 && selectAlong(file.id, axis: axis, selection, offset: offset, count: count)
        }
        guard selected else { throw hdf5Error(path, "cannot select \(selection.count) positions along axis \(axis)") }
        var dummy = T.zero
        let status = withUnsafeMutablePointer(to: &dummy) { fallback in
            H5Dread(dataset.id, T.h5MemoryType, memory.id, file.id, collectiveTransfer.id,
                    buffer.baseAddress.map(UnsafeMutableRawPointer.init) ?? UnsafeMutableRawPointer(fallback))
        }
        if try !communicator.allAgree(status >= 0) {
            throw hdf5Error(path, "reading \(selection.count) positions along axis \(axis) of the box at \(offset) of size \(count) failed")
        }
    }

    /// Selects the box with `selection` along `axis` in the file dataspace `space`.
    private func selectAlong(_ space: hid_t, axis: Int, _ selection: AxisSelection, offset: [Int], count: [Int]) -> Bool {
        var start = offset.map { hsize_t($0) }, blockCount = count.map { hsize_t($0) }
        switch selection {
        case .strided(let first, let n, let step):
            var stride = [hsize_t](repeating: 1, count: count.count)
            start[axis] = hsize_t(first)
            blockCount[axis] = hsize_t(n)
            stride[axis] = hsize_t(max(step, 1))
            return H5Sselect_hyperslab(space, H5S_SELECT_SET, start, stride, blockCount, nil) >= 0
        case .positions(let positions):
            // One hyperslab per run of consecutive positions, OR-ed in increasing order.
            var k = 0, operation = H5S_SELECT_SET
            while k < positions.count {
                var end = k + 1
                while end < positions.count && positions[end] == positions[end - 1] + 1 { end += 1 }
                start[axis] = hsize_t(positions[k])
                blockCount[axis] = hsize_t(end - k)
                guard H5Sselect_hyperslab(space, operation, start, nil, blockCount, nil) >= 0 else { return false }
                operation = H5S_SELECT_OR
                k = end
            }
            return true
        }
    }

    private func axisSelectionProblem(_ path: String, shape: [Int], axis: Int, _ selection: AxisSelection,
                                      offset: [Int], count: [Int], bufferCount: Int) -> StorageError? {
        func problem(_ message: String) -> StorageError { StorageError(file: self.path, object: path, message) }
        guard offset.count == shape.count, count.count == shape.count, axis >= 0, axis < shape.count else {
            return problem("has \(shape.count) axes (shape \(shape)) but the read gives axis \(axis), offset \(offset) and count \(count)")
        }
        for a in 0 ..< shape.count where a != axis {
            guard offset[a] >= 0, count[a] >= 0, count[a] == 0 || offset[a] + count[a] <= shape[a] else {
                return problem("box at \(offset) of size \(count) is out of bounds on axis \(a) (shape \(shape))")
            }
        }
        switch selection {
        case .strided(let first, let n, let step):
            guard first >= 0, n >= 0, step >= 1 else { return problem("strided selection from \(first), \(n) positions, stride \(step) is invalid") }
            if n > 0 {
                let (span, o1) = (n - 1).multipliedReportingOverflow(by: step)
                let (last, o2) = first.addingReportingOverflow(span)
                guard !o1, !o2, last < shape[axis] else {
                    return problem("positions \(first), \(first) + \(step), … (\(n) of them) pass the end of axis \(axis) (size \(shape[axis]))")
                }
            }
        case .positions(let positions):
            for (k, p) in positions.enumerated() {
                guard p >= 0, p < shape[axis], k == 0 || p > positions[k - 1] else {
                    return problem("position \(p) along axis \(axis) is out of bounds (size \(shape[axis])) or not increasing")
                }
            }
        }
        var box = count
        box[axis] = selection.count
        let elements = box.reduce(1, *)
        guard bufferCount == elements else {
            return problem("the selection holds \(elements) elements but the buffer has \(bufferCount)")
        }
        return nil
    }
}
