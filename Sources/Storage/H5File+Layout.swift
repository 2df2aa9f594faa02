import CHDF5

/// How a dataset's elements are laid out in the file.
public enum H5Layout: String, Sendable {
    case compact, contiguous, chunked
    /// Elements mapped from other datasets (possibly in other files).
    case virtual
}

/// One filter of a chunked dataset's pipeline (compression, shuffling, checksums).
public struct H5Filter: Equatable, Sendable, CustomStringConvertible {
    /// The registered filter id (1 is gzip/deflate, 32000 is LZF, …).
    public let id: Int
    /// The filter's name: from the library, or a well-known registered name.
    public let name: String
    /// Whether this HDF5 library can decode it (built in, or a plugin it found).
    public let isAvailable: Bool

    public var description: String { "\(name) filter \(id)" + (isAvailable ? "" : " (not available here)") }

    /// Names of registered third-party filters, for files written by h5py, PyTables and co.
    /// (the HDF Group's registry); used when the file does not store a name.
    static let registeredNames: [Int: String] = [
        1: "gzip", 2: "shuffle", 3: "fletcher32", 4: "szip", 5: "nbit", 6: "scaleoffset",
        307: "bzip2", 32000: "LZF", 32001: "Blosc", 32004: "LZ4", 32008: "bitshuffle",
        32013: "ZFP", 32015: "Zstandard", 32026: "Blosc2",
    ]
}

extension H5File {
    /// The layout and filter pipeline of an open dataset.
    func storageLayout(of dataset: Handle, _ path: String) throws -> (layout: H5Layout, filters: [H5Filter]) {
        let dcpl = Handle(H5Dget_create_plist(dataset.id), close: Close.plist)
        guard dcpl.id >= 0 else { throw hdf5Error(path, "cannot read the dataset's storage properties") }
        let layout: H5Layout
        switch H5Pget_layout(dcpl.id) {
        case H5D_COMPACT: layout = .compact
        case H5D_CHUNKED: layout = .chunked
        case H5D_VIRTUAL: layout = .virtual
        default: layout = .contiguous
        }
        guard layout == .chunked else { return (layout, []) }
        var filters: [H5Filter] = []
        for index in 0 ..< max(H5Pget_nfilters(dcpl.id), 0) {
            var flags: UInt32 = 0, config: UInt32 = 0, count = 0
            var name = [CChar](repeating: 0, count: 256)
            let id = Int(H5Pget_filter2(dcpl.id, UInt32(index), &flags, &count, nil, name.count, &name, &config))
            guard id >= 0 else { throw hdf5Error(path, "cannot read filter \(index) of the dataset") }
            let stored = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let known = H5Filter.registeredNames[id]
            filters.append(H5Filter(id: id, name: known ?? (stored.isEmpty ? "unregistered" : stored),
                                    isAvailable: H5Zfilter_avail(H5Z_filter_t(id)) > 0))
        }
        return (layout, filters)
    }

    /// Why this dataset's values cannot be read here, or nil. Checked before `H5Dread`, whose
    /// own errors ("can't open directory …plugins") do not say what is wrong.
    func readProblem(_ dataset: Handle, _ path: String) throws -> StorageError? {
        let (layout, filters) = try storageLayout(of: dataset, path)
        if layout == .virtual {
            // HDF5 1.10-1.14 refuse virtual-dataset reads through the MPI-IO driver.
            return StorageError(file: self.path, object: path, kind: .virtualDataset,
                                "is a virtual dataset (it maps data from other datasets); parallel HDF5 cannot read those through MPI-IO; store it as an ordinary dataset, e.g. `h5repack -l CONTI IN OUT`")
        }
        if let missing = filters.first(where: { !$0.isAvailable }) {
            return StorageError(file: self.path, object: path, kind: .unsupportedFilter,
                                "is compressed with the \(missing.name) filter (id \(missing.id)), which this HDF5 library cannot decode; rewrite the file with a built-in filter, e.g. `h5repack -f GZIP=4 IN OUT` (reading it needs the filter's plugin on HDF5_PLUGIN_PATH, or h5py with hdf5plugin)")
        }
        return nil
    }
}
