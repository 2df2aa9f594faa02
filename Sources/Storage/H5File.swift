import CHDF5
import CMPI
import Foundation
import Parallel

/// An HDF5 file opened by every rank of a communicator through MPI-IO (parallel HDF5).
///
/// **Collective rules.** Every method is collective: all ranks of the communicator call
/// it, in the same order, with the same path and (for metadata such as attributes and
/// dataset shapes) the same arguments. Only the hyperslab and its data differ per rank.
/// A rank with nothing to write or read still calls, with a zero in `count`.
///
/// **Atomic outputs.** ``create(_:communicator:overwrite:)`` writes into a hidden
/// temporary sibling (`.<start of name>.tmp-<job>-<random>` in the same directory) and ``close()``
/// renames it onto the final path, so a reader or a restarted job never sees a
/// half-written file. If the object goes away without `close()` (an error was thrown),
/// the temporary is deleted and the final path is untouched. Drop it on every rank:
/// closing an MPI-IO file is itself collective.
///
/// **Errors** are ``StorageError``s naming the file and the dataset or attribute. Argument
/// problems (missing dataset, wrong element type or rank, hyperslab out of bounds) are
/// checked before HDF5 is called, and agreed between ranks, so that all ranks throw
/// together instead of some waiting forever in a collective. Metadata calls (create, extend,
/// attributes) also check that every rank makes the same call with the same arguments.
public final class H5File {
    /// How ``open(_:mode:communicator:)`` opens an existing file.
    public enum Mode: Sendable {
        /// Reading only.
        case readOnly
        /// Reading and writing in place. Not atomic: a crash can leave the file half-updated;
        /// use ``H5File/openForUpdate(_:communicator:)`` when that matters.
        case readWrite
    }

    /// The file's final path (what the caller asked for).
    public let path: String
    /// The ranks that share the file.
    public let communicator: Communicator
    /// Whether datasets and attributes may be written.
    public let isWritable: Bool

    /// The path HDF5 actually has open: a temporary sibling for atomic files, else ``path``.
    let workingPath: String
    /// Whether ``close()`` renames ``workingPath`` onto ``path``.
    let renamesOnClose: Bool
    /// Set once a write failed on some rank: the file is then abandoned, never flushed.
    var failed = false
    /// Start addresses of the file ranges (datasets, chunks) this rank has reserved on disk.
    var reservedRanges: Set<Int> = []
    let fileID: hid_t
    /// Dataset transfer property list: collective MPI-IO.
    let collectiveTransfer: Handle
    private var isOpen = true

    private init(path: String, workingPath: String, renamesOnClose: Bool, isWritable: Bool,
                 fileID: hid_t, communicator: Communicator) throws {
        self.path = path
        self.workingPath = workingPath
        self.renamesOnClose = renamesOnClose
        self.isWritable = isWritable
        self.fileID = fileID
        self.communicator = communicator
        let dxpl = H5Pcreate(ch5_p_dataset_xfer())
        collectiveTransfer = Handle(dxpl, close: Close.plist)
        if dxpl < 0 || H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE) < 0 {
            throw StorageError(file: path, "cannot set up collective transfers", detail: lastHDF5Error())
        }
    }

    deinit {
        guard isOpen else { return }
        // Dropped without close(): an error was thrown. An unfinished temporary is thrown
        // away (abandon() empties it first, so the collective close cannot run out of space);
        // a file opened in place is closed as it is (skipped if MPI is already gone).
        if renamesOnClose || failed {
            abandon()
        } else if !MPIEnvironment.isFinalized {
            _ = H5Fclose(fileID)
        }
    }

    // MARK: Opening

    /// Creates a new file at `path`, written atomically: under a temporary name until ``close()``.
    ///
    /// - Parameters:
    ///   - path: The final path. Its directory must exist.
    ///   - communicator: The ranks that write the file; all of them call this.
    ///   - overwrite: Whether an existing file at `path` may be replaced (on ``close()``).
    public static func create(_ path: String, communicator: Communicator = .world,
                              overwrite: Bool = true) throws -> H5File {
        ch5_silence_errors()
        let temp = try communicator.rootDecides(file: path) { () throws -> String in
            try PathLimits.check(path)
            let url = URL(fileURLWithPath: path)
            let directory = url.deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw StorageError(file: path, "directory \(directory) does not exist; create it first")
            }
            if !overwrite && FileManager.default.fileExists(atPath: path) {
                throw StorageError(file: path, "file exists and overwrite is false; remove it or pass overwrite: true")
            }
            return PathLimits.temporarySibling(of: path, tag: jobTag())
        }
        let fapl = try fileAccess(communicator, file: path)
        let id = H5Fcreate(temp, ch5_acc_trunc(), ch5_p_default(), fapl.id)
        guard id >= 0 else {
            let detail = lastHDF5Error()
            if communicator.isRoot { unlink(temp) }
            throw StorageError(file: path, "cannot create the file (as \(temp))", detail: detail)
        }
        return try H5File(path: path, workingPath: temp, renamesOnClose: true, isWritable: true,
                          fileID: id, communicator: communicator)
    }

    /// Opens an existing file in place.
    ///
    /// `.readWrite` appends to the file directly: not atomic (a crash mid-write leaves it
    /// partly updated). ``openForUpdate(_:communicator:)`` is the atomic alternative.
    public static func open(_ path: String, mode: Mode = .readOnly,
                            communicator: Communicator = .world) throws -> H5File {
        ch5_silence_errors()
        try communicator.rootDecides(file: path) { () throws -> Void in
            try PathLimits.check(path)
            try requireExistingFile(path)
            try requireNotBeingWritten(path)
        }
        let fapl = try fileAccess(communicator, file: path)
        let id = H5Fopen(path, mode == .readOnly ? ch5_acc_rdonly() : ch5_acc_rdwr(), fapl.id)
        guard id >= 0 else {
            throw StorageError(file: path, "cannot open the file (is it HDF5?)", detail: lastHDF5Error())
        }
        return try H5File(path: path, workingPath: path, renamesOnClose: false, isWritable: mode == .readWrite,
                          fileID: id, communicator: communicator)
    }

    /// Opens a copy of an existing file for writing; ``close()`` renames the copy onto `path`.
    ///
    /// Atomic like ``create(_:communicator:overwrite:)``: the original stays intact until
    /// close, and is left untouched if the object is dropped after an error. Costs one copy
    /// of the file (rank 0 copies it before anyone opens it).
    public static func openForUpdate(_ path: String, communicator: Communicator = .world) throws -> H5File {
        ch5_silence_errors()
        let temp = try communicator.rootDecides(file: path) { () throws -> String in
            try PathLimits.check(path)
            try requireExistingFile(path)
            try requireNotBeingWritten(path)
            let temp = PathLimits.temporarySibling(of: path, tag: jobTag())
            do {
                try FileManager.default.copyItem(atPath: path, toPath: temp)
            } catch {
                throw StorageError(file: path, "cannot copy the file to \(temp) for updating: \(error)")
            }
            return temp
        }
        let fapl = try fileAccess(communicator, file: path)
        let id = H5Fopen(temp, ch5_acc_rdwr(), fapl.id)
        guard id >= 0 else {
            let detail = lastHDF5Error()
            if communicator.isRoot { unlink(temp) }
            throw StorageError(file: path, "cannot open the file for updating (is it HDF5?)", detail: detail)
        }
        return try H5File(path: path, workingPath: temp, renamesOnClose: true, isWritable: true,
                          fileID: id, communicator: communicator)
    }

    // MARK: Closing

    /// Writes everything buffered to the working file. Collective.
    public func flush() throws {
        try requireOpen(nil)
        let flushed = H5Fflush(fileID, H5F_SCOPE_GLOBAL) >= 0
        let flushErrno = errno
        if try !communicator.allAgree(flushed) {
            throw try ioFailure(nil, "flush failed", bytes: 0, savedErrno: flushErrno)
        }
    }

    /// Flushes and closes the file; for atomic files rank 0 then renames the temporary onto
    /// ``path``. Collective; returns on every rank only once the final file is in place.
    /// Calling it again does nothing.
    public func close() throws {
        guard isOpen else { return }
        isOpen = false
        if failed {
            abandon()
            throw StorageError(file: path, "an earlier write failed; the file was abandoned, not written")
        }
        // Flushed and agreed before H5Fclose: a close whose flush fails cannot be undone.
        let flushed = H5Fflush(fileID, H5F_SCOPE_GLOBAL) >= 0
        let flushErrno = errno
        guard try communicator.allAgree(flushed) else {
            let error = try ioFailure(nil, "writing the file's buffered data failed on at least one rank", bytes: 0,
                                      savedErrno: flushErrno)
            abandon()
            throw error
        }
        let closed = H5Fclose(fileID) >= 0
        let detail = closed ? "" : lastHDF5Error()
        let allClosed = try communicator.allAgree(closed)
        guard allClosed else {
            if renamesOnClose && communicator.isRoot { unlink(workingPath) }
            throw StorageError(file: path, "closing failed on at least one rank; the file was not written",
                               detail: detail)
        }
        guard renamesOnClose else { return }
        try communicator.rootDecides(file: path) { () throws -> Void in
            if rename(workingPath, path) != 0 {
                let reason = String(cString: strerror(errno))
                unlink(workingPath)
                throw StorageError(file: path, "cannot rename \(workingPath) onto the final path: \(reason)")
            }
        }
    }

    // MARK: Shared helpers

    /// Throws unless the file is still open (and, if `writing`, writable).
    func requireOpen(_ object: String?, writing: Bool = false) throws {
        guard isOpen else { throw StorageError(file: path, object: object, "the file is already closed") }
        if failed && writing {
            throw StorageError(file: path, object: object, "an earlier write to the file failed; it is being abandoned")
        }
        if writing && !isWritable {
            throw StorageError(file: path, object: object, "the file is open read-only; open it with mode .readWrite")
        }
    }

    /// An error for `object` carrying HDF5's innermost message.
    func hdf5Error(_ object: String?, _ message: String) -> StorageError {
        StorageError(file: path, object: object, message, detail: lastHDF5Error())
    }

    private static func fileAccess(_ communicator: Communicator, file: String) throws -> Handle {
        let fapl = Handle(H5Pcreate(ch5_p_file_access()), close: Close.plist)
        guard fapl.id >= 0, H5Pset_fapl_mpio(fapl.id, communicator.handle, cmpi_info_null()) >= 0,
              // Large objects start on 1 MiB boundaries: parallel file systems stripe in MiB units.
              H5Pset_alignment(fapl.id, 1 << 20, 1 << 20) >= 0,
              // Metadata is written collectively at flush/close instead of by rank 0 alone.
              H5Pset_coll_metadata_write(fapl.id, true) >= 0 else {
            throw StorageError(file: file, "cannot set up MPI-IO file access", detail: lastHDF5Error())
        }
        return fapl
    }

    private static func requireExistingFile(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw StorageError(file: path, "no such file; check the path (relative paths are from \(FileManager.default.currentDirectoryPath))")
        }
        if isDirectory.boolValue { throw StorageError(file: path, "is a directory, not an HDF5 file") }
    }

    /// A tag for temporary names: the Slurm job id when there is one, the pid, and randomness.
    private static func jobTag() -> String {
        let environment = ProcessInfo.processInfo.environment
        let job = environment["SLURM_JOB_ID"] ?? "p\(getpid())"
        return "\(job)-\(String(UInt32.random(in: 0 ... UInt32.max), radix: 16))"
    }
}
