import CHDF5

/// What kind of object a path names.
public enum H5ObjectKind: String, Sendable {
    /// A group (a directory of objects).
    case group
    /// A dataset (an n-dimensional array).
    case dataset
}

extension H5File {
    /// Whether a group or dataset exists at `path` (absolute, `/` is the root). Collective.
    public func exists(_ path: String) throws -> Bool {
        let path = try normalized(path)
        try requireOpen(path)
        return linkExists(path)
    }

    /// The kind of object at `path`, or `nil` if there is none (or it is a named datatype).
    public func kind(of path: String) throws -> H5ObjectKind? {
        let path = try normalized(path)
        try requireOpen(path)
        guard linkExists(path) else { return nil }
        let object = Handle(H5Oopen(fileID, path, ch5_p_default()), close: Close.object)
        guard object.id >= 0 else { throw hdf5Error(path, "cannot open the object") }
        switch H5Iget_type(object.id) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        default: return nil
        }
    }

    /// Creates a group, and any missing parents; does nothing if the group exists. Collective.
    public func createGroup(_ path: String) throws {
        try requireSameCall(MetadataCall("createGroup \(path)", ["createGroup", path]), object: path)
        let path = try normalized(path)
        try requireOpen(path, writing: true)
        switch try kind(of: path) {
        case .group?: return
        case .dataset?: throw StorageError(file: self.path, object: path, "a dataset exists here; cannot make it a group")
        case nil: break
        }
        let lcpl = try linkCreation(path)
        let group = Handle(H5Gcreate2(fileID, path, lcpl.id, ch5_p_default(), ch5_p_default()), close: Close.group)
        guard group.id >= 0 else { throw hdf5Error(path, "cannot create the group") }
    }

    // MARK: Internals

    /// Makes `path` absolute and checks it names something (no empty components).
    func normalized(_ path: String) throws -> String {
        let absolute = path.hasPrefix("/") ? path : "/" + path
        if absolute == "/" { return absolute }
        let parts = absolute.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        guard !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            throw StorageError(file: self.path, object: path,
                               "not a valid object path; use names separated by single slashes, like /fields/u")
        }
        return absolute
    }

    /// Whether every link along `path` exists (H5Lexists needs the parents to exist).
    func linkExists(_ path: String) -> Bool {
        if path == "/" { return true }
        var prefix = ""
        for part in path.dropFirst().split(separator: "/") {
            prefix += "/" + part
            if H5Lexists(fileID, prefix, ch5_p_default()) <= 0 { return false }
        }
        return true
    }

    /// A link-creation property list that creates missing parent groups.
    func linkCreation(_ object: String) throws -> Handle {
        let lcpl = Handle(H5Pcreate(ch5_p_link_create()), close: Close.plist)
        guard lcpl.id >= 0, H5Pset_create_intermediate_group(lcpl.id, 1) >= 0 else {
            throw hdf5Error(object, "cannot set up link creation")
        }
        return lcpl
    }

    /// Opens the dataset at an already normalized `path`, with a clear error when it is missing.
    func openDataset(_ path: String) throws -> Handle {
        switch try kind(of: path) {
        case .dataset?: break
        case .group?: throw StorageError(file: self.path, object: path, "is a group, not a dataset")
        case nil:
            // Advice naming a CLI command is added by the jobs layer, which knows the CLI.
            throw StorageError(file: self.path, object: path, kind: .noSuchDataset, "no such dataset")
        }
        let dataset = Handle(H5Dopen2(fileID, path, ch5_p_default()), close: Close.dataset)
        guard dataset.id >= 0 else { throw hdf5Error(path, "cannot open the dataset") }
        return dataset
    }
}
