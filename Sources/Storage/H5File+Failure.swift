import CHDF5
import Foundation
import Parallel
#if canImport(Glibc)
import Glibc
#endif

// What happens to a file after a write fails (typically a full disk).
//
// HDF5 1.10 cannot close such a file safely: a collective write that failed on some ranks
// only leaves their metadata caches different, so the close's flush puts the ranks in
// different collectives (a hang), and a close whose flush fails leaves the file half torn
// down, to crash in HDF5's close callback inside MPI_Finalize. So a failed file is
// abandoned: its temporary is emptied first, which gives the close's few metadata writes
// the space they need on every rank, then closed and deleted.
//
// Better still, the failure is made to happen outside HDF5: a full disk fails the write
// of whichever rank's bytes no longer fit, and HDF5 1.10's collective I/O then has some
// ranks return while others go on to the next collective (a hang inside H5Dwrite). So
// before each collective write, every rank reserves (posix_fallocate) the file range its
// hyperslab will land in: the whole contiguous dataset, or the chunks it touches. A full
// disk fails the reservation with ENOSPC and all ranks throw the same error before HDF5
// writes anything. (H5Fget_eoa would give one range for all, but MPI-IO does not support it.)
extension H5File {
    /// Reserves disk space for this rank's hyperslab of `dataset`, and throws a
    /// ``StorageError/Kind/diskFull`` error on every rank if the disk is full. Collective.
    func reserveSpace(_ dataset: Handle, _ path: String, offset: [Int], count: [Int], _ what: String) throws {
        var code: Int32 = 0
        let fd = Glibc.open(workingPath, O_WRONLY)
        if fd >= 0 {
            for (start, length) in unreservedRanges(dataset, path, offset: offset, count: count) where code == 0 {
                // Only ranges HDF5 has not written yet, while no rank writes (they wait below):
                // posix_fallocate may emulate by writing zero bytes where it reads zeros.
                code = posix_fallocate(fd, off_t(start), off_t(length))
                if code == 0 { reservedRanges.insert(start) }
            }
            _ = Glibc.close(fd)
        }
        // File systems without reservations (EOPNOTSUPP, EINVAL) are written unprotected.
        let full = code == ENOSPC || code == EDQUOT
        if try !communicator.allAgree(!full) {
            failed = true
            throw diskFullError(path, what)
        }
    }

    /// File ranges (start, length) holding this rank's hyperslab that are not reserved yet.
    private func unreservedRanges(_ dataset: Handle, _ path: String, offset: [Int], count: [Int]) -> [(Int, Int)] {
        guard !count.contains(0) else { return [] }
        let dcpl = Handle(H5Dget_create_plist(dataset.id), close: Close.plist)
        guard dcpl.id >= 0 else { return [] }
        let undefined = haddr_t.max
        switch H5Pget_layout(dcpl.id) {
        case H5D_CONTIGUOUS:
            let address = H5Dget_offset(dataset.id)
            let size = Int(H5Dget_storage_size(dataset.id))
            guard address != undefined, size > 0, !reservedRanges.contains(Int(address)) else { return [] }
            return [(Int(address), size)]
        case H5D_CHUNKED:
            var chunk = [hsize_t](repeating: 0, count: count.count)
            guard H5Pget_chunk(dcpl.id, Int32(chunk.count), &chunk) == Int32(chunk.count) else { return [] }
            let first = zip(offset, chunk).map { $0 / Int($1) }
            let last = zip(zip(offset, count), chunk).map { ($0.0 + $0.1 - 1) / Int($1) }
            let total = zip(first, last).reduce(1) { $0 * ($1.1 - $1.0 + 1) }
            guard total <= 4096 else { return [] }  // reserving would cost more than it saves
            var ranges: [(Int, Int)] = []
            var index = first
            while true {
                var mask: UInt32 = 0, address: haddr_t = undefined, size: hsize_t = 0
                let coordinates = zip(index, chunk).map { hsize_t($0) * $1 }
                if H5Dget_chunk_info_by_coord(dataset.id, coordinates, &mask, &address, &size) >= 0,
                   address != undefined, size > 0, !reservedRanges.contains(Int(address)) {
                    ranges.append((Int(address), Int(size)))
                }
                var axis = index.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    if index[axis] <= last[axis] { break }
                    index[axis] = first[axis]
                    axis -= 1
                }
                if axis < 0 { return ranges }
            }
        default:
            return []
        }
    }

    private func diskFullError(_ object: String?, _ what: String, detail: String? = nil) -> StorageError {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return StorageError(file: path, object: object, kind: .diskFull,
                            "\(what): the disk is full (ENOSPC, no space left on device on the file system of \(directory)); the file was not written: free some space there or write to another file system",
                            detail: detail)
    }

    /// The error to throw after an I/O failure that all ranks agreed on; marks the file
    /// failed. It says "the disk is full" on every rank when any rank's file system is out
    /// of space. Collective. `savedErrno` is errno right after the failing HDF5 call.
    func ioFailure(_ object: String?, _ message: String, bytes: Int, savedErrno: Int32) throws -> StorageError {
        let detail = lastHDF5Error()
        failed = true
        let localFull = savedErrno == ENOSPC || savedErrno == EDQUOT || H5File.spaceIsShort(near: workingPath, bytes: bytes)
        let full = try !communicator.allAgree(!localFull)
        guard full else { return StorageError(file: path, object: object, message, detail: detail) }
        return diskFullError(object, message, detail: detail)
    }

    /// Whether the file system holding `path` has too little room left for `bytes` more
    /// (with 1 MiB to spare): MPI-IO reports a full disk only as MPI_ERR_IO.
    static func spaceIsShort(near path: String, bytes: Int) -> Bool {
        var info = statvfs()
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard statvfs(directory, &info) == 0 else { return false }
        let free = Int(info.f_bavail) &* Int(info.f_frsize)
        return free < bytes + (1 << 20)
    }

    /// Closes and deletes a file whose writes failed (see above). Collective; nothing is
    /// thrown: the caller is already reporting the failure.
    func abandon() {
        guard !MPIEnvironment.isFinalized else { return }
        if renamesOnClose && communicator.isRoot { _ = truncate(workingPath, 0) }
        // Every rank waits for the space to be freed before the close writes anything.
        _ = try? communicator.allAgree(true)
        _ = H5Fclose(fileID)
        if renamesOnClose && communicator.isRoot { unlink(workingPath) }
    }
}
