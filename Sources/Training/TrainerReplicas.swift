import Learning
import Parallel

/// Keeping every rank's copy of the model the same: rank 0's parameters are broadcast at the
/// start, and checksums prove the copies agree (at the start, after a restore, or on request).
extension DataParallelTrainer {
    /// Broadcasts rank 0's parameters after checking every rank built the same layout. Collective.
    func synchronizeReplicas() throws {
        // Layout first: a broadcast between buffers of different lengths would fail inside MPI.
        let layout = [parameterCountForSync, Int(bitPattern: UInt(Self.layoutFingerprint(model.store.views)))]
        let low = try communicator.allreduce(layout, .min), high = try communicator.allreduce(layout, .max)
        guard low == high else {
            throw TrainingError.replicasDiffer(low[0] != high[0]
                ? "parameter counts range from \(low[0]) to \(high[0]); build the same model on every rank"
                : "the layer layouts (tensor names and shapes) differ; build the same model on every rank")
        }
        if communicator.size > 1 {
            try model.store.withUnsafeMutableValues { try communicator.broadcast($0, root: 0) }
        }
        try verifyReplicas()
    }

    /// Throws `.replicasDiffer` on every rank unless all ranks hold bit-identical parameters
    /// (a 64-bit checksum of the parameter bits compared by a min/max reduction). Collective.
    public func verifyReplicas() throws {
        let sum = model.store.withUnsafeValues { Self.checksum($0) }
        let mine = [Int(bitPattern: UInt(sum))]
        let low = try communicator.allreduce(mine, .min), high = try communicator.allreduce(mine, .max)
        guard low == high else {
            throw TrainingError.replicasDiffer("parameter checksums differ between ranks (rank \(communicator.rank): "
                + "\(String(sum, radix: 16))); every rank must start from rank 0's parameters")
        }
    }

    private var parameterCountForSync: Int { model.store.count }

    /// FNV-1a over the parameters' bit patterns, in order.
    static func checksum(_ values: UnsafeBufferPointer<Float>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for x in values { h = (h ^ UInt64(x.bitPattern)) &* 0x100_0000_01b3 }
        return h
    }

    /// FNV-1a over the tensors' names, shapes and offsets.
    static func layoutFingerprint(_ views: [ParameterView]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ v: UInt64) { h = (h ^ v) &* 0x100_0000_01b3 }
        for v in views {
            for byte in v.name.utf8 { mix(UInt64(byte)) }
            for d in v.shape { mix(UInt64(UInt(bitPattern: d))) }
            mix(UInt64(UInt(bitPattern: v.offset)))
        }
        return h
    }
}
