import CHDF5
import Foundation

/// Reads runs of rows (along axis 0) of ONE dataset, by this process alone: never collective.
///
/// ``H5File`` is collective by design (every rank calls every method in the same order). A training
/// data source instead reads, on each rank, only the samples that rank is asked for, a different
/// number of calls per rank; so this reader opens the file with HDF5's default POSIX driver, read-only,
/// outside MPI-IO, and each call reads one hyperslab straight into the caller's buffer. HDF5 converts
/// the stored numbers (any integer or floating type, either byte order) to the memory type asked for.
///
/// The dataset handle and two dataspaces are kept open, so a read allocates nothing on the Swift side.
public final class H5RowReader {
    /// What a stored element is, as far as conversion goes.
    public enum NumberClass: Sendable, Equatable {
        /// Any signed or unsigned integer width.
        case integer
        /// Any IEEE floating type.
        case floatingPoint
        /// Strings, compounds, …: not readable as numbers.
        case other
    }

    /// The file, as given.
    public let file: String
    /// The dataset's absolute path inside the file.
    public let dataset: String
    /// The dataset's shape; axis 0 is the row (sample) axis.
    public let shape: [Int]
    /// The stored element type (numpy spelling in its description).
    public let elementType: H5ElementType
    /// Integer, floating point or neither.
    public let numberClass: NumberClass
    /// Elements per row: the product of the trailing axes (1 for a 1-D dataset).
    public let rowElements: Int
    /// Rows in the dataset.
    public var rows: Int { shape.first ?? 0 }

    private let fileID: hid_t
    private let datasetID: hid_t
    private let fileSpace: hid_t
    private var memorySpace: hid_t = -1
    private var memorySpaceCapacity = 0

    /// Opens `dataset` in `file` for reading. Throws a ``StorageError`` naming the file and dataset
    /// when the file is missing, not HDF5 or still being written by another program, the dataset is
    /// missing (listing the datasets there are), a group, or a scalar (no row axis).
    public init(file: String, dataset: String) throws {
        ch5_silence_errors()
        let path = dataset.hasPrefix("/") ? dataset : "/" + dataset
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw StorageError(file: file, isDirectory.boolValue ? "is a directory, not an HDF5 file"
                               : "no such file; check the path (relative paths are from \(FileManager.default.currentDirectoryPath))")
        }
        // Like H5File.open: a file another program is still writing is refused, not read half-written.
        try H5File.requireNotBeingWritten(file)
        let fid = H5Fopen(file, ch5_acc_rdonly(), ch5_p_default())
        guard fid >= 0 else { throw StorageError(file: file, "cannot open the file (is it HDF5?)", detail: lastHDF5Error()) }
        guard H5RowReader.linkExists(fid, path) else {
            let names = H5RowReader.datasetNames(fid)
            _ = H5Fclose(fid)
            throw StorageError(file: file, object: path, kind: .noSuchDataset,
                               "no such dataset; the file has \(names.isEmpty ? "none" : names.joined(separator: ", "))")
        }
        let did = H5Dopen2(fid, path, ch5_p_default())
        guard did >= 0 else {
            _ = H5Fclose(fid)
            throw StorageError(file: file, object: path, "cannot open as a dataset (is it a group?)", detail: lastHDF5Error())
        }
        let space = H5Dget_space(did)
        let rank = space >= 0 ? Int(H5Sget_simple_extent_ndims(space)) : -1
        var dims = [hsize_t](repeating: 0, count: max(rank, 0))
        if rank > 0 { _ = H5Sget_simple_extent_dims(space, &dims, nil) }
        let type = Handle(H5Dget_type(did), close: Close.datatype)
        guard space >= 0, rank >= 1, type.id >= 0 else {
            if space >= 0 { _ = H5Sclose(space) }
            _ = H5Dclose(did); _ = H5Fclose(fid)
            throw StorageError(file: file, object: path, rank == 0 ? "is a scalar; need rows along the first axis"
                               : "cannot read the shape or type", detail: lastHDF5Error())
        }
        self.file = file
        self.dataset = path
        self.shape = dims.map { Int($0) }
        self.elementType = H5ElementType(datatype: type.id)
        switch H5Tget_class(type.id) {
        case H5T_INTEGER: numberClass = .integer
        case H5T_FLOAT: numberClass = .floatingPoint
        default: numberClass = .other
        }
        rowElements = shape.dropFirst().reduce(1, *)
        fileID = fid
        datasetID = did
        fileSpace = space
    }

    deinit {
        if memorySpace >= 0 { _ = H5Sclose(memorySpace) }
        _ = H5Sclose(fileSpace)
        _ = H5Dclose(datasetID)
        _ = H5Fclose(fileID)
    }

    /// The file's root attribute `name` as a float64, or nil when there is none or it is not a single
    /// number (e.g. ns2d's `n` and `box_length`, which say the fields are the whole periodic box).
    public func rootNumberAttribute(_ name: String) -> Double? {
        guard H5Aexists(fileID, name) > 0 else { return nil }
        let attribute = H5Aopen(fileID, name, ch5_p_default())
        guard attribute >= 0 else { return nil }
        defer { _ = H5Aclose(attribute) }
        let space = H5Aget_space(attribute)
        guard space >= 0 else { return nil }
        defer { _ = H5Sclose(space) }
        guard H5Sget_simple_extent_npoints(space) == 1 else { return nil }
        let type = H5Aget_type(attribute)
        guard type >= 0 else { return nil }
        defer { _ = H5Tclose(type) }
        let typeClass = H5Tget_class(type)
        guard typeClass == H5T_INTEGER || typeClass == H5T_FLOAT else { return nil }
        var value = 0.0
        guard H5Aread(attribute, ch5_native_double(), &value) >= 0 else { return nil }
        return value
    }

    /// Reads rows `start ..< start + count` into `buffer` (count × ``rowElements`` values, row-major),
    /// converting to `T`. Throws a ``StorageError`` naming the file and dataset if the rows are out of
    /// range or HDF5 fails; a count of 0 reads nothing.
    public func readRows<T: H5Scalar>(start: Int, count: Int, into buffer: UnsafeMutablePointer<T>) throws {
        guard count > 0 else { return }
        guard start >= 0, start + count <= rows else {
            throw StorageError(file: file, object: dataset, "rows \(start) ..< \(start + count) are outside the \(rows) rows of shape \(shape)")
        }
        let values = count * rowElements
        if values > memorySpaceCapacity {
            // Grows only when a longer run than any before is read: the first batches set the size.
            if memorySpace >= 0 { _ = H5Sclose(memorySpace) }
            var extent = [hsize_t(values)]
            memorySpace = H5Screate_simple(1, &extent, nil)
            memorySpaceCapacity = memorySpace >= 0 ? values : 0
        }
        var memStart = [hsize_t(0)], memCount = [hsize_t(values)]
        var offset = [hsize_t](repeating: 0, count: shape.count), extent = shape.map { hsize_t($0) }
        offset[0] = hsize_t(start)
        extent[0] = hsize_t(count)
        let ok = memorySpace >= 0
            && H5Sselect_hyperslab(memorySpace, H5S_SELECT_SET, &memStart, nil, &memCount, nil) >= 0
            && H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &offset, nil, &extent, nil) >= 0
            && H5Dread(datasetID, T.h5MemoryType, memorySpace, fileSpace, ch5_p_default(), buffer) >= 0
        guard ok else {
            throw StorageError(file: file, object: dataset, "reading rows \(start) ..< \(start + count) failed", detail: lastHDF5Error())
        }
    }

    /// Whether every link along `path` exists (H5Lexists needs the parents to exist).
    private static func linkExists(_ fid: hid_t, _ path: String) -> Bool {
        var prefix = ""
        for part in path.dropFirst().split(separator: "/") {
            prefix += "/" + part
            guard H5Lexists(fid, prefix, ch5_p_default()) > 0 else { return false }
        }
        return !prefix.isEmpty
    }

    /// Absolute paths of the datasets in the file (for the "no such dataset" message).
    private static func datasetNames(_ fid: hid_t) -> [String] {
        final class Names { var list: [String] = [] }
        let links = Names()
        // H5Lvisit walks every link below the root; only hard links are objects of their own.
        _ = H5Lvisit(fid, H5_INDEX_NAME, H5_ITER_INC, { _, name, info, context in
            guard let name, let context, info?.pointee.type == H5L_TYPE_HARD else { return 0 }
            Unmanaged<Names>.fromOpaque(context).takeUnretainedValue().list.append("/" + String(cString: name))
            return 0
        }, Unmanaged.passUnretained(links).toOpaque())
        return links.list.filter { path in
            let object = Handle(H5Oopen(fid, path, ch5_p_default()), close: Close.object)
            return object.id >= 0 && H5Iget_type(object.id) == H5I_DATASET
        }
    }
}
