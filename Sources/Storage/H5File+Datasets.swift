import CHDF5
import Foundation

extension H5File {
    // MARK: Creating

    /// Creates a dataset of `shape` (1 to 32 axes; 1-4 are the tested ones), creating missing
    /// parent groups. Collective, same arguments on every rank.
    ///
    /// - Parameters:
    ///   - maxShape: The largest shape it may be extended to, `nil` per axis for unlimited.
    ///     Defaults to `shape` (fixed size, stored contiguously: fastest for MPI-IO).
    ///   - chunk: Chunk shape for extendible datasets; the default is whole frames along the
    ///     first axis, split to stay under 4 MiB.
    public func createDataset<T: H5Scalar>(_ path: String, of type: T.Type, shape: [Int],
                                           maxShape: [Int?]? = nil, chunk: [Int]? = nil) throws {
        let limits = maxShape.map { "\($0.map { $0.map(String.init) ?? "unlimited" })" } ?? "fixed"
        let arguments = "\(T.h5ElementType.name) \(shape) max \(limits) chunk \(chunk.map { "\($0)" } ?? "default")"
        try requireSameCall(MetadataCall("createDataset \(path) \(arguments)", ["createDataset", path, arguments]), object: path)
        let path = try normalized(path)
        try requireOpen(path, writing: true)
        let maxShape = maxShape ?? shape.map { Optional($0) }
        try validateShape(path, shape: shape, maxShape: maxShape, chunk: chunk)
        if linkExists(path) {
            throw StorageError(file: self.path, object: path, "already exists; choose another name or create a new file")
        }
        let dims = shape.map { hsize_t($0) }
        let maxDims = maxShape.map { $0.map { hsize_t($0) } ?? ch5_s_unlimited() }
        let space = Handle(H5Screate_simple(Int32(shape.count), dims, maxDims), close: Close.dataspace)
        guard space.id >= 0 else { throw hdf5Error(path, "cannot make the dataspace for shape \(shape)") }
        let dcpl = Handle(H5Pcreate(ch5_p_dataset_create()), close: Close.plist)
        guard dcpl.id >= 0 else { throw hdf5Error(path, "cannot make dataset properties") }
        let isFixed = zip(shape, maxShape).allSatisfy { $0 == $1 }
        if chunk != nil || !isFixed {
            let chunk = chunk ?? H5File.defaultChunk(shape: shape, maxShape: maxShape, elementSize: T.h5ElementType.byteCount)
            // No fill writes when chunks are allocated (parallel HDF5 allocates them at
            // H5Dset_extent): that collective I/O cannot be reserved beforehand, and one that
            // hits a full disk on some ranks only hangs the rest. Each write reserves its
            // chunks instead (reserveSpace); frames are always written whole.
            guard H5Pset_chunk(dcpl.id, Int32(chunk.count), chunk.map { hsize_t($0) }) >= 0,
                  H5Pset_fill_time(dcpl.id, H5D_FILL_TIME_NEVER) >= 0 else {
                throw hdf5Error(path, "cannot use chunk shape \(chunk)")
            }
        }
        let lcpl = try linkCreation(path)
        let dataset = Handle(H5Dcreate2(fileID, path, T.h5FileType, space.id, lcpl.id, dcpl.id, ch5_p_default()),
                             close: Close.dataset)
        guard dataset.id >= 0 else { throw hdf5Error(path, "cannot create the dataset") }
    }

    // MARK: Writing

    /// Writes this rank's hyperslab (`offset`, `count` per axis) of the dataset at `path`.
    ///
    /// Collective: every rank calls it, each with its own hyperslab; a rank with nothing to
    /// write passes a `count` containing a zero (and an empty buffer). `data` holds the
    /// hyperslab in row-major order (last axis fastest), `count.reduce(1, *)` elements.
    public func write<T: H5Scalar>(_ path: String, _ data: UnsafeBufferPointer<T>, offset: [Int], count: [Int]) throws {
        let path = try normalized(path)
        try requireOpen(path, writing: true)
        let dataset = try openDataset(path)
        let selection = try select(path, dataset: dataset, type: T.self, offset: offset, count: count,
                                   bufferCount: data.count)
        try reserveSpace(dataset, path, offset: offset, count: count, "writing the hyperslab at \(offset) of size \(count)")
        var dummy = T.zero
        let status = withUnsafePointer(to: &dummy) { fallback in
            H5Dwrite(dataset.id, T.h5MemoryType, selection.memory.id, selection.file.id, collectiveTransfer.id,
                     data.baseAddress.map(UnsafeRawPointer.init) ?? UnsafeRawPointer(fallback))
        }
        let writeErrno = errno
        if try !communicator.allAgree(status >= 0) {
            throw try ioFailure(path, "writing the hyperslab at \(offset) of size \(count) failed",
                                bytes: data.count * MemoryLayout<T>.stride, savedErrno: writeErrno)
        }
    }

    /// Writes this rank's hyperslab from an array; see the buffer version.
    public func write<T: H5Scalar>(_ path: String, _ data: [T], offset: [Int], count: [Int]) throws {
        try data.withUnsafeBufferPointer { try write(path, $0, offset: offset, count: count) }
    }

    // MARK: Reading

    /// Reads the hyperslab (`offset`, `count`) of the dataset at `path` into `buffer`
    /// (row-major, exactly `count.reduce(1, *)` elements). Collective.
    public func read<T: H5Scalar>(_ path: String, into buffer: UnsafeMutableBufferPointer<T>,
                                  offset: [Int], count: [Int]) throws {
        let path = try normalized(path)
        try requireOpen(path)
        let dataset = try openDataset(path)
        // Same answer on every rank: layout and filters are file metadata.
        if let problem = try readProblem(dataset, path) { throw problem }
        let selection = try select(path, dataset: dataset, type: T.self, offset: offset, count: count,
                                   bufferCount: buffer.count)
        var dummy = T.zero
        let status = withUnsafeMutablePointer(to: &dummy) { fallback in
            H5Dread(dataset.id, T.h5MemoryType, selection.memory.id, selection.file.id, collectiveTransfer.id,
                    buffer.baseAddress.map(UnsafeMutableRawPointer.init) ?? UnsafeMutableRawPointer(fallback))
        }
        if try !communicator.allAgree(status >= 0) {
            throw hdf5Error(path, "reading the hyperslab at \(offset) of size \(count) failed")
        }
    }

    /// Reads a hyperslab of the dataset at `path`; by default the whole dataset. Collective.
    ///
    /// - Parameters:
    ///   - offset: Start per axis (default zeros).
    ///   - count: Size per axis (default: from `offset` to the end).
    public func read<T: H5Scalar>(_ path: String, as type: T.Type = T.self,
                                  offset: [Int]? = nil, count: [Int]? = nil) throws -> [T] {
        let normalizedPath = try normalized(path)
        try requireOpen(normalizedPath)
        let shape = try self.shape(of: normalizedPath)
        let offset = offset ?? [Int](repeating: 0, count: shape.count)
        let count = count ?? (offset.count == shape.count ? zip(shape, offset).map { max($0 - $1, 0) } : shape)
        let total = count.allSatisfy { $0 >= 0 } ? count.reduce(1, *) : 0
        return try [T](unsafeUninitializedCapacity: total) { buffer, initialized in
            try read(normalizedPath, into: buffer, offset: offset, count: count)
            initialized = total
        }
    }

    // MARK: Describing

    /// The current shape of the dataset at `path`.
    public func shape(of path: String) throws -> [Int] {
        try extents(of: path).shape
    }

    /// The largest shape of the dataset at `path`, `nil` on unlimited axes.
    public func maxShape(of path: String) throws -> [Int?] {
        try extents(of: path).maxShape
    }

    /// The element type the dataset at `path` is stored as.
    public func elementType(of path: String) throws -> H5ElementType {
        let path = try normalized(path)
        try requireOpen(path)
        return try elementType(of: openDataset(path))
    }

    // MARK: Internals

    func elementType(of dataset: Handle) throws -> H5ElementType {
        let type = Handle(H5Dget_type(dataset.id), close: Close.datatype)
        guard type.id >= 0 else { throw hdf5Error(nil, "cannot read the element type") }
        return H5ElementType(datatype: type.id)
    }

    func extents(of path: String) throws -> (shape: [Int], maxShape: [Int?]) {
        let path = try normalized(path)
        try requireOpen(path)
        return try extents(of: openDataset(path), path)
    }

    func extents(of dataset: Handle, _ path: String) throws -> (shape: [Int], maxShape: [Int?]) {
        let space = Handle(H5Dget_space(dataset.id), close: Close.dataspace)
        let rank = H5Sget_simple_extent_ndims(space.id)
        guard space.id >= 0, rank >= 0 else { throw hdf5Error(path, "cannot read the shape") }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        var maxDims = [hsize_t](repeating: 0, count: Int(rank))
        guard H5Sget_simple_extent_dims(space.id, &dims, &maxDims) >= 0 else { throw hdf5Error(path, "cannot read the shape") }
        return (dims.map { Int($0) }, maxDims.map { $0 == ch5_s_unlimited() ? nil : Int($0) })
    }

    /// Checks a rank's hyperslab against the dataset (agreed across ranks) and returns the
    /// file and memory selections for it.
    func select<T: H5Scalar>(_ path: String, dataset: Handle, type: T.Type, offset: [Int], count: [Int],
                             bufferCount: Int) throws -> (file: Handle, memory: Handle) {
        let stored = try elementType(of: dataset)
        if stored != T.h5ElementType {
            throw StorageError(file: self.path, object: path,
                               "holds \(stored.name) elements, not \(T.h5ElementType.name) (\(T.self)); use \(stored.name) buffers")
        }
        let shape = try extents(of: dataset, path).shape
        // The shape and type are the same on every rank; the hyperslab is this rank's own.
        try communicator.agree(hyperslabProblem(path, shape: shape, offset: offset, count: count, bufferCount: bufferCount),
                               file: self.path, object: path)
        let file = Handle(H5Dget_space(dataset.id), close: Close.dataspace)
        guard file.id >= 0 else { throw hdf5Error(path, "cannot get the dataspace") }
        let empty = count.contains(0)
        let memory: Handle
        if shape.isEmpty {
            // A scalar dataset: one element, offset [] and count []; simple dataspaces need axes.
            memory = Handle(H5Screate(H5S_SCALAR), close: Close.dataspace)
            guard memory.id >= 0, H5Sselect_all(file.id) >= 0 else { throw hdf5Error(path, "cannot select the scalar") }
        } else if empty {
            memory = Handle(H5Screate_simple(1, [1], nil), close: Close.dataspace)
            guard memory.id >= 0, H5Sselect_none(file.id) >= 0, H5Sselect_none(memory.id) >= 0 else {
                throw hdf5Error(path, "cannot select nothing")
            }
        } else {
            memory = Handle(H5Screate_simple(Int32(count.count), count.map { hsize_t($0) }, nil), close: Close.dataspace)
            guard memory.id >= 0,
                  H5Sselect_hyperslab(file.id, H5S_SELECT_SET, offset.map { hsize_t($0) }, nil,
                                      count.map { hsize_t($0) }, nil) >= 0 else {
                throw hdf5Error(path, "cannot select the hyperslab at \(offset) of size \(count)")
            }
        }
        return (file, memory)
    }

    private func hyperslabProblem(_ path: String, shape: [Int], offset: [Int], count: [Int],
                                  bufferCount: Int) -> StorageError? {
        func problem(_ message: String) -> StorageError { StorageError(file: self.path, object: path, message) }
        guard offset.count == shape.count, count.count == shape.count else {
            return problem("has \(shape.count) axes (shape \(shape)) but offset \(offset) and count \(count) have \(offset.count) and \(count.count)")
        }
        for axis in 0 ..< shape.count {
            let (o, c, n) = (offset[axis], count[axis], shape[axis])
            guard o >= 0, c >= 0 else { return problem("offset \(offset) and count \(count) must not be negative") }
            guard c == 0 || o + c <= n else {
                return problem("hyperslab at \(offset) of size \(count) is out of bounds on axis \(axis) (shape \(shape))")
            }
        }
        let elements = count.reduce(1, *)
        guard bufferCount == elements else {
            return problem("hyperslab of size \(count) holds \(elements) elements but the buffer has \(bufferCount)")
        }
        return nil
    }

    private func validateShape(_ path: String, shape: [Int], maxShape: [Int?], chunk: [Int]?) throws {
        func problem(_ message: String) -> StorageError { StorageError(file: self.path, object: path, message) }
        guard (1 ... 32).contains(shape.count) else { throw problem("shape \(shape) must have 1 to 32 axes") }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw problem("shape \(shape) must not be negative") }
        guard maxShape.count == shape.count else {
            throw problem("maxShape has \(maxShape.count) axes but shape \(shape) has \(shape.count)")
        }
        for (n, m) in zip(shape, maxShape) where m != nil && m! < n {
            throw problem("maxShape \(maxShape.map { $0.map(String.init) ?? "unlimited" }) is smaller than shape \(shape)")
        }
        if let chunk {
            guard chunk.count == shape.count, chunk.allSatisfy({ $0 >= 1 }) else {
                throw problem("chunk \(chunk) needs \(shape.count) positive sizes")
            }
            for (c, m) in zip(chunk, maxShape) where m != nil && c > m! && m! > 0 {
                throw problem("chunk \(chunk) is larger than the fixed maxShape on some axis")
            }
        }
    }

    /// Whole frames along axis 0 (1 if that axis is unlimited and empty), halving the slowest
    /// axes until a chunk is at most 4 MiB: big enough for efficient MPI-IO, small enough
    /// that reading one frame does not drag in much more.
    static func defaultChunk(shape: [Int], maxShape: [Int?], elementSize: Int, frames: Int = 1) -> [Int] {
        // An axis that is empty now but has a fixed limit chunks to that limit.
        var chunk = zip(shape, maxShape).map { n, m in max(1, n == 0 ? (m ?? 1) : n) }
        if maxShape.first == Int?.none { chunk[0] = max(1, frames) }
        let limit = 4 << 20
        var axis = 0
        while chunk.reduce(max(elementSize, 1), *) > limit && axis < chunk.count {
            if chunk[axis] > 1 { chunk[axis] = (chunk[axis] + 1) / 2 } else { axis += 1 }
        }
        return chunk
    }
}
