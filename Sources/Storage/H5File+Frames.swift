import CHDF5

// Time series: a dataset whose first axis is unlimited grows by one frame per snapshot.
extension H5File {
    /// Creates an empty dataset of shape `[0] + frameShape` that grows along axis 0, one
    /// frame per ``appendFrame(_:_:offset:count:)``. Collective.
    ///
    /// - Parameter chunkFrames: Frames per chunk (1 suits one snapshot per write; chunks are
    ///   split further if a frame is over 4 MiB).
    public func createExtendibleDataset<T: H5Scalar>(_ path: String, of type: T.Type, frameShape: [Int],
                                                     chunkFrames: Int = 1) throws {
        guard chunkFrames >= 1 else {
            throw StorageError(file: self.path, object: path, "chunkFrames is \(chunkFrames); it must be at least 1")
        }
        let shape = [0] + frameShape
        let maxShape: [Int?] = [nil] + frameShape.map { Optional($0) }
        let chunk = H5File.defaultChunk(shape: shape, maxShape: maxShape, elementSize: T.h5ElementType.byteCount,
                                        frames: chunkFrames)
        try createDataset(path, of: T.self, shape: shape, maxShape: maxShape, chunk: chunk)
    }

    /// Extends the dataset at `path` by one frame and writes this rank's hyperslab of it.
    ///
    /// Collective: every rank calls it once per frame; `offset` and `count` are within the
    /// frame (a `count` with a zero writes nothing but still takes part).
    /// - Returns: The index of the new frame.
    @discardableResult
    public func appendFrame<T: H5Scalar>(_ path: String, _ data: UnsafeBufferPointer<T>,
                                         offset: [Int], count: [Int]) throws -> Int {
        // The frame it becomes is part of the call: a rank that skipped an append differs here.
        let frames = (try? shape(of: path))?.first.map(String.init) ?? "none"
        try requireSameCall(MetadataCall("appendFrame \(path) after \(frames) frames", ["appendFrame", path, frames]), object: path)
        let path = try normalized(path)
        try requireOpen(path, writing: true)
        let dataset = try openDataset(path)
        let (shape, maxShape) = try extents(of: dataset, path)
        guard maxShape.first == Int?.none else {
            throw StorageError(file: self.path, object: path,
                               "is not extendible along axis 0; create it with createExtendibleDataset")
        }
        let frame = shape[0]
        var extended = shape
        extended[0] += 1
        guard H5Dset_extent(dataset.id, extended.map { hsize_t($0) }) >= 0 else {
            throw hdf5Error(path, "cannot extend to \(extended) frames")
        }
        try write(path, data, offset: [frame] + offset, count: [1] + count)
        return frame
    }

    /// ``appendFrame(_:_:offset:count:)`` from an array.
    @discardableResult
    public func appendFrame<T: H5Scalar>(_ path: String, _ data: [T], offset: [Int], count: [Int]) throws -> Int {
        try data.withUnsafeBufferPointer { try appendFrame(path, $0, offset: offset, count: count) }
    }

    /// Shrinks (or grows) an extendible dataset to `count` frames, for example to drop frames
    /// written after the checkpoint a run resumes from. Collective.
    public func setFrameCount(_ path: String, _ count: Int) throws {
        try requireSameCall(MetadataCall("setFrameCount \(path) to \(count)", ["setFrameCount", path, "\(count)"]), object: path)
        let path = try normalized(path)
        try requireOpen(path, writing: true)
        let dataset = try openDataset(path)
        let (shape, maxShape) = try extents(of: dataset, path)
        guard maxShape.first == Int?.none else {
            throw StorageError(file: self.path, object: path, "is not extendible along axis 0")
        }
        guard count >= 0 else { throw StorageError(file: self.path, object: path, "frame count \(count) is negative") }
        var extended = shape
        extended[0] = count
        guard H5Dset_extent(dataset.id, extended.map { hsize_t($0) }) >= 0 else {
            throw hdf5Error(path, "cannot set the extent to \(extended)")
        }
    }

    /// How many frames the dataset at `path` holds (the length of axis 0).
    public func frameCount(of path: String) throws -> Int {
        let shape = try shape(of: path)
        return shape.first ?? 0
    }

    /// Reads a hyperslab of frame `frame` (default: the whole frame). Collective.
    public func readFrame<T: H5Scalar>(_ path: String, _ frame: Int, as type: T.Type = T.self,
                                       offset: [Int]? = nil, count: [Int]? = nil) throws -> [T] {
        let shape = try self.shape(of: path)
        let frameShape = Array(shape.dropFirst())
        let offset = offset ?? [Int](repeating: 0, count: frameShape.count)
        let count = count ?? (offset.count == frameShape.count ? zip(frameShape, offset).map { max($0 - $1, 0) } : frameShape)
        return try read(path, as: T.self, offset: [frame] + offset, count: [1] + count)
    }
}
