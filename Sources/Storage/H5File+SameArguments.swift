import Parallel

// Parallel HDF5 keeps a copy of the file's metadata (object headers, attributes, chunk
// indexes) on every rank, and each rank allocates file space for it on its own. A metadata
// call made with other arguments, or in another order, on some ranks leaves the ranks with
// different files in memory: at the next flush the ranks disagree on where the file ends,
// HDF5 decides on one rank only that the file must be resized, and that rank waits forever
// in the collective MPI_File_set_size (seen with attributes set from a Swift dictionary,
// whose order differs between processes). So every metadata call first checks that all
// ranks make the same call: a digest of its arguments, compared with one allreduce, and on
// a mismatch one error on every rank, before HDF5 is called, naming what each rank asked.
// Compared is what decides the layout: call, paths, names, types, shapes, value sizes.
extension H5File {
    /// The arguments of one metadata call, as a digest for comparing ranks and a summary for errors.
    struct MetadataCall {
        private(set) var digest = FNV1a()
        /// What the call is, for the error: `setAttribute "n" = 64`.
        let summary: String

        init(_ summary: String, _ parts: [String]) {
            self.summary = summary
            for part in parts { digest.add(part) }
        }

        /// Mixes in what decides a value's room in the file: its kind and length. Not its content:
        /// a value that differs between ranks but not in size (a rank's own timing) leaves the
        /// ranks' files alike (the file keeps one rank's value), while refusing it would fail a
        /// long run at its checkpoint.
        mutating func add(_ value: AttributeValue) {
            switch value {
            case .double: digest.add("double")
            case .int: digest.add("int")
            case .string(let s): digest.add("string \(s.utf8.count) bytes")
            case .doubles(let xs): digest.add("\(xs.count) doubles")
            case .ints(let ns): digest.add("\(ns.count) ints")
            }
        }
    }

    /// Throws on every rank, before any rank changes the file, unless every rank makes the same
    /// `call` (same arguments, same place in the sequence of calls). Collective; free on one rank.
    func requireSameCall(_ call: MetadataCall, object: String) throws {
        guard communicator.size > 1 else { return }
        let mine = Int64(bitPattern: call.digest.value)
        // The largest digest and the largest complement (so the smallest digest): a rank's own
        // digest is both only when the largest equals the smallest, so every rank decides alike.
        let extremes = try communicator.allreduce([mine, ~mine], .max)
        if extremes[0] == mine && extremes[1] == ~mine { return }
        // Rank 0's call and the first rank whose call differs (not all ranks: there may be thousands).
        let digests = try communicator.allgather([mine])
        let calls = try communicator.allgather(call.summary)
        let other = digests.firstIndex { $0 != digests[0] } ?? 0
        let listed = calls[other] == calls[0]
            ? "rank 0 and rank \(other): \(calls[0]), with values of different sizes"
            : "rank 0: \(calls[0]); rank \(other): \(calls[other])"
        throw StorageError(file: path, object: object,
                           "the ranks made different metadata calls (\(listed)); every rank must create, extend and set attributes in the same order with the same arguments (iterate dictionaries in sorted order: their order differs between processes), or parallel HDF5 hangs when the file is flushed")
    }
}

/// 64-bit FNV-1a: the same digest in every process (Swift's `Hasher` is seeded per process).
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ byte: UInt8) {
        value ^= UInt64(byte)
        value = value &* 0x0000_0100_0000_01b3
    }

    /// Mixes in `text` and a terminator, so that ("ab", "c") and ("a", "bc") differ.
    mutating func add(_ text: String) {
        for byte in text.utf8 { add(byte) }
        add(UInt8(0))
    }
}
