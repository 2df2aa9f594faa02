import CHDF5

/// One group or dataset in a file, as listed by ``H5File/contents()``.
public struct H5ObjectInfo: Equatable, Sendable {
    /// Absolute path inside the file ("/" for the root group).
    public let path: String
    /// Group or dataset.
    public let kind: H5ObjectKind
    /// The dataset's current shape (`nil` for groups).
    public let shape: [Int]?
    /// The dataset's largest shape, `nil` entries for unlimited axes (`nil` for groups).
    public let maxShape: [Int?]?
    /// The dataset's element type (`nil` for groups).
    public let elementType: H5ElementType?
    /// How the dataset is stored (`nil` for groups).
    public let layout: H5Layout?
    /// The dataset's filter pipeline, empty when it has none.
    public let filters: [H5Filter]
    /// Why the dataset's values cannot be read here (virtual, a filter this HDF5 lacks), or nil.
    public let readProblem: StorageError?
    /// The object's attributes (those ``AttributeValue`` can hold).
    public let attributes: [String: AttributeValue]
}

extension H5File {
    /// Every group and dataset in the file, root first, then depth-first with names sorted
    /// (a group's members right after it). Collective. Used by `cascade inspect`.
    public func contents() throws -> [H5ObjectInfo] {
        try requireOpen(nil)
        final class Paths { var list: [String] = [] }
        let paths = Paths()
        // H5Lvisit walks every link below the root; only hard links are objects of their own.
        let status = H5Lvisit(fileID, H5_INDEX_NAME, H5_ITER_INC, { _, name, info, context in
            let paths = Unmanaged<Paths>.fromOpaque(context!).takeUnretainedValue()
            if let name, info?.pointee.type == H5L_TYPE_HARD { paths.list.append("/" + String(cString: name)) }
            return 0
        }, Unmanaged.passUnretained(paths).toOpaque())
        guard status >= 0 else { throw hdf5Error("/", "cannot walk the file") }

        let ordered = (["/"] + paths.list).sorted { a, b in
            a.split(separator: "/").lexicographicallyPrecedes(b.split(separator: "/"))
        }
        var result: [H5ObjectInfo] = []
        for path in ordered {
            guard let kind = try kind(of: path) else { continue }
            let attributes = try self.attributes(of: path)
            if kind == .dataset {
                let dataset = try openDataset(path)
                let (shape, maxShape) = try extents(of: dataset, path)
                let (layout, filters) = try storageLayout(of: dataset, path)
                result.append(H5ObjectInfo(path: path, kind: kind, shape: shape, maxShape: maxShape,
                                           elementType: try elementType(of: dataset), layout: layout, filters: filters,
                                           readProblem: try readProblem(dataset, path), attributes: attributes))
            } else {
                result.append(H5ObjectInfo(path: path, kind: kind, shape: nil, maxShape: nil, elementType: nil,
                                           layout: nil, filters: [], readProblem: nil, attributes: attributes))
            }
        }
        return result
    }
}
