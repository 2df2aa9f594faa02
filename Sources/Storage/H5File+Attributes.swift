import CHDF5

extension H5File {
    /// Sets attribute `name` on the object at `path` ("/" is the file itself), replacing any
    /// attribute of that name. Collective metadata operation: every rank calls it with the
    /// same value.
    public func setAttribute(_ name: String, _ value: AttributeValue, on path: String = "/") throws {
        var call = MetadataCall("setAttribute \"\(name)\" on \(path) = \(value.summary)", ["setAttribute", name, path])
        call.add(value)
        try requireSameCall(call, object: attributeLabel(name, path.hasPrefix("/") ? path : "/" + path))
        let path = try normalized(path)
        let label = attributeLabel(name, path)
        try requireOpen(label, writing: true)
        let object = try openObject(path, for: label)
        let present = H5Aexists(object.id, name)
        guard present >= 0 else { throw hdf5Error(label, "cannot check for the attribute") }
        if present > 0 && H5Adelete(object.id, name) < 0 { throw hdf5Error(label, "cannot replace the attribute") }

        let type: Handle
        let space: Handle
        switch value {
        case .double, .int:
            space = Handle(H5Screate(H5S_SCALAR), close: Close.dataspace)
        case .string:
            space = Handle(H5Screate(H5S_SCALAR), close: Close.dataspace)
        case .doubles(let xs):
            space = Handle(H5Screate_simple(1, [hsize_t(xs.count)], nil), close: Close.dataspace)
        case .ints(let ns):
            space = Handle(H5Screate_simple(1, [hsize_t(ns.count)], nil), close: Close.dataspace)
        }
        switch value {
        case .double, .doubles: type = Handle(H5Tcopy(Double.h5FileType), close: Close.datatype)
        case .int, .ints: type = Handle(H5Tcopy(Int.h5FileType), close: Close.datatype)
        case .string: type = try utf8StringType(label)
        }
        guard space.id >= 0, type.id >= 0 else { throw hdf5Error(label, "cannot describe the attribute") }
        let attribute = Handle(H5Acreate2(object.id, name, type.id, space.id, ch5_p_default(), ch5_p_default()),
                               close: Close.attribute)
        guard attribute.id >= 0 else { throw hdf5Error(label, "cannot create the attribute") }

        let status: herr_t
        switch value {
        case .double(let x):
            status = withUnsafePointer(to: x) { H5Awrite(attribute.id, Double.h5MemoryType, $0) }
        case .int(let n):
            status = withUnsafePointer(to: n) { H5Awrite(attribute.id, Int.h5MemoryType, $0) }
        case .doubles(let xs):
            status = xs.withUnsafeBufferPointer { H5Awrite(attribute.id, Double.h5MemoryType, $0.baseAddress ?? UnsafePointer(bitPattern: 8)) }
        case .ints(let ns):
            status = ns.withUnsafeBufferPointer { H5Awrite(attribute.id, Int.h5MemoryType, $0.baseAddress ?? UnsafePointer(bitPattern: 8)) }
        case .string(let s):
            // A variable-length string is written as a pointer to its bytes.
            status = s.withCString { text in
                var pointer: UnsafePointer<CChar>? = text
                return H5Awrite(attribute.id, type.id, &pointer)
            }
        }
        guard status >= 0 else { throw hdf5Error(label, "cannot write the attribute") }
    }

    /// The attribute `name` of the object at `path`, or `nil` if it has none of that name.
    /// Throws if the object is missing or the attribute's type is not one ``AttributeValue`` holds.
    public func attribute(_ name: String, of path: String = "/") throws -> AttributeValue? {
        let path = try normalized(path)
        let label = attributeLabel(name, path)
        try requireOpen(label)
        let object = try openObject(path, for: label)
        let present = H5Aexists(object.id, name)
        guard present >= 0 else { throw hdf5Error(label, "cannot check for the attribute") }
        guard present > 0 else { return nil }
        return try readAttribute(object, name, label)
    }

    /// Every attribute of the object at `path` whose type ``AttributeValue`` can hold
    /// (others, written by other tools, are left out).
    public func attributes(of path: String = "/") throws -> [String: AttributeValue] {
        let path = try normalized(path)
        try requireOpen(path)
        let object = try openObject(path, for: path)
        var result: [String: AttributeValue] = [:]
        for name in try attributeNames(object, path) {
            if let value = try? readAttribute(object, name, attributeLabel(name, path)) { result[name] = value }
        }
        return result
    }

    // MARK: Internals

    /// How an attribute is named in errors: `/group/dataset@name`.
    func attributeLabel(_ name: String, _ path: String) -> String { "\(path)@\(name)" }

    func openObject(_ path: String, for label: String) throws -> Handle {
        guard linkExists(path) else {
            throw StorageError(file: self.path, object: label, "no group or dataset at \(path)")
        }
        let object = Handle(H5Oopen(fileID, path, ch5_p_default()), close: Close.object)
        guard object.id >= 0 else { throw hdf5Error(label, "cannot open \(path)") }
        return object
    }

    private func utf8StringType(_ label: String) throws -> Handle {
        let type = Handle(H5Tcopy(ch5_c_s1()), close: Close.datatype)
        guard type.id >= 0, H5Tset_size(type.id, ch5_variable()) >= 0, H5Tset_cset(type.id, H5T_CSET_UTF8) >= 0 else {
            throw hdf5Error(label, "cannot make a UTF-8 string type")
        }
        return type
    }

    private func attributeNames(_ object: Handle, _ path: String) throws -> [String] {
        final class Names { var list: [String] = [] }
        let names = Names()
        let status = H5Aiterate2(object.id, H5_INDEX_NAME, H5_ITER_INC, nil, { _, name, _, context in
            let names = Unmanaged<Names>.fromOpaque(context!).takeUnretainedValue()
            if let name { names.list.append(String(cString: name)) }
            return 0
        }, Unmanaged.passUnretained(names).toOpaque())
        guard status >= 0 else { throw hdf5Error(path, "cannot list the attributes") }
        return names.list
    }

    private func readAttribute(_ object: Handle, _ name: String, _ label: String) throws -> AttributeValue {
        let attribute = Handle(H5Aopen(object.id, name, ch5_p_default()), close: Close.attribute)
        guard attribute.id >= 0 else { throw hdf5Error(label, "cannot open the attribute") }
        let type = Handle(H5Aget_type(attribute.id), close: Close.datatype)
        let space = Handle(H5Aget_space(attribute.id), close: Close.dataspace)
        guard type.id >= 0, space.id >= 0 else { throw hdf5Error(label, "cannot read the attribute's type") }
        let isScalar = H5Sget_simple_extent_type(space.id) == H5S_SCALAR
        let points = max(0, Int(H5Sget_simple_extent_npoints(space.id)))

        switch H5Tget_class(type.id) {
        case H5T_FLOAT:
            var values = [Double](repeating: 0, count: points)
            if points > 0, H5Aread(attribute.id, Double.h5MemoryType, &values) < 0 { throw hdf5Error(label, "cannot read") }
            return isScalar ? .double(values[0]) : .doubles(values)
        case H5T_INTEGER:
            var values = [Int](repeating: 0, count: points)
            if points > 0, H5Aread(attribute.id, Int.h5MemoryType, &values) < 0 { throw hdf5Error(label, "cannot read") }
            return isScalar ? .int(values[0]) : .ints(values)
        case H5T_STRING where isScalar:
            return .string(try readString(attribute, type, label))
        default:
            throw StorageError(file: self.path, object: label,
                               "has type \(H5ElementType(datatype: type.id).name)\(isScalar ? "" : " array"), which AttributeValue cannot hold")
        }
    }

    /// Reads a scalar string attribute, variable-length or fixed-length (as other tools write them).
    private func readString(_ attribute: Handle, _ fileType: Handle, _ label: String) throws -> String {
        let memory = Handle(H5Tcopy(fileType.id), close: Close.datatype)
        guard memory.id >= 0 else { throw hdf5Error(label, "cannot copy the string type") }
        if H5Tis_variable_str(fileType.id) > 0 {
            var pointer: UnsafeMutablePointer<CChar>? = nil
            guard H5Aread(attribute.id, memory.id, &pointer) >= 0 else { throw hdf5Error(label, "cannot read") }
            defer { if let pointer { H5free_memory(pointer) } }
            return pointer.map { String(cString: $0) } ?? ""
        }
        let size = H5Tget_size(fileType.id)
        var bytes = [UInt8](repeating: 0, count: size + 1)
        guard H5Aread(attribute.id, memory.id, &bytes) >= 0 else { throw hdf5Error(label, "cannot read") }
        // Fixed-length strings are padded with NULs or spaces depending on the writer.
        var end = bytes.firstIndex(of: 0) ?? size
        if H5Tget_strpad(fileType.id) == H5T_STR_SPACEPAD {
            while end > 0 && bytes[end - 1] == 0x20 { end -= 1 }
        }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}
