import Foundation
#if canImport(Glibc)
import Glibc
#endif

// A file another program is still writing reads as if complete, with zeros where its data
// has not landed yet. HDF5 (1.10+) says so in two places, and both are checked because
// either can be missing: writers hold a lock with flock() (unless HDF5_USE_FILE_LOCKING=FALSE,
// or the file system ignores locks), and they set "open for writing" flags in the superblock
// until they close the file (left set if the writer crashed). Cascade's own MPI-IO opens do
// not take the lock, so the check is done here, on rank 0, before H5Fopen.
extension H5File {
    static func requireNotBeingWritten(_ path: String) throws {
        let fd = Glibc.open(path, O_RDONLY)
        guard fd >= 0 else { return }  // unreadable files get H5Fopen's own error
        defer { _ = Glibc.close(fd) }
        var why: String? = nil
        if flock(fd, LOCK_SH | LOCK_NB) != 0 {
            if errno == EWOULDBLOCK { why = "another program holds HDF5's write lock on it" }
        } else {
            _ = flock(fd, LOCK_UN)
        }
        if why == nil, superblockSaysOpenForWriting(fd) { why = "HDF5 marks it open for writing" }
        guard let why else { return }
        throw StorageError(file: path, kind: .beingWritten,
                           "is still being written by another program (\(why)); wait until it is closed, or if the writer crashed run `h5clear -s \(path)`")
    }

    /// Whether the superblock's file consistency flags have "write access" or "SWMR write"
    /// set. The superblock starts at 0, 512, 1024, 2048, … (a user block may precede it).
    private static func superblockSaysOpenForWriting(_ fd: Int32) -> Bool {
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]
        var offset: off_t = 0
        var bytes = [UInt8](repeating: 0, count: 24)
        while true {
            guard pread(fd, &bytes, bytes.count, offset) == bytes.count else { return false }
            if Array(bytes[0 ..< 8]) == signature { break }
            offset = offset == 0 ? 512 : offset * 2
            if offset > 1 << 40 { return false }
        }
        // Versions 0 and 1 keep 4 bytes of flags at byte 20; versions 2 and 3 one byte at 11.
        let flags: UInt32 = bytes[8] <= 1
            ? UInt32(bytes[20]) | UInt32(bytes[21]) << 8 | UInt32(bytes[22]) << 16 | UInt32(bytes[23]) << 24
            : UInt32(bytes[11])
        let writeAccess: UInt32 = 0x1, swmrWrite: UInt32 = 0x4
        return flags & (writeAccess | swmrWrite) != 0
    }
}
