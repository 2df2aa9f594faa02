import CHDF5

/// Owns one HDF5 identifier and closes it when the last reference goes away, so early
/// returns and thrown errors never leak dataspaces, types or property lists.
final class Handle {
    let id: hid_t
    private let close: (hid_t) -> herr_t

    init(_ id: hid_t, close: @escaping (hid_t) -> herr_t) {
        self.id = id
        self.close = close
    }

    deinit { _ = close(id) }
}

/// Close functions for each kind of identifier (HDF5 has one per kind).
enum Close {
    static let dataset: @Sendable (hid_t) -> herr_t = { H5Dclose($0) }
    static let dataspace: @Sendable (hid_t) -> herr_t = { H5Sclose($0) }
    static let datatype: @Sendable (hid_t) -> herr_t = { H5Tclose($0) }
    static let plist: @Sendable (hid_t) -> herr_t = { H5Pclose($0) }
    static let group: @Sendable (hid_t) -> herr_t = { H5Gclose($0) }
    static let attribute: @Sendable (hid_t) -> herr_t = { H5Aclose($0) }
    static let object: @Sendable (hid_t) -> herr_t = { H5Oclose($0) }
}
