import CMPI
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The process-wide MPI runtime.
///
/// MPI may be initialised once per process and never again after it is finalised.
/// `MPIEnvironment.shared` initialises it on first use (also without `mpirun`, as a
/// singleton of one rank) and registers an exit hook that finalises it, so tests,
/// tools and jobs can all just ask for `MPIEnvironment.shared.world`.
public final class MPIEnvironment: @unchecked Sendable {
    /// The one environment of this process. The first access calls `MPI_Init_thread`.
    public static let shared = MPIEnvironment()

    /// All ranks of the job (`MPI_COMM_WORLD`), set to return errors rather than abort.
    public let world: Communicator

    /// The thread level MPI granted (we ask for `MPI_THREAD_FUNNELED`).
    public let threadLevel: Int32

    private init() {
        var initialised: Int32 = 0
        MPI_Initialized(&initialised)
        var provided: Int32 = 0
        if initialised == 0 {
            // Open MPI 4.1's own MPI-IO (ompio) opens a shared-file-pointer component with
            // every file; `sm` and `lockedfile` build names from the path in fixed buffers and
            // abort inside MPI_File_open once it is long (a 233-byte name, or a few hundred
            // bytes of directories), and `individual` creates two extra files per rank next to
            // each file. ROMIO, the MPI-IO of MPICH and of HDF5's own testing, has neither
            // problem; "^ompio" picks it on Open MPI 4 and 5 alike. Read at MPI_Init; a value
            // the user set wins; other MPI libraries ignore OMPI_ variables.
            setenv("OMPI_MCA_io", "^ompio", 0)
            let rc = MPI_Init_thread(nil, nil, cmpi_thread_funneled(), &provided)
            if rc != cmpi_success() {
                Console.error("cascade: MPI_Init_thread failed with code \(rc)\n")
                exit(1)
            }
            atexit { MPIEnvironment.finalizeIfNeeded() }
        } else {
            MPI_Query_thread(&provided)
        }
        threadLevel = provided
        MPI_Comm_set_errhandler(cmpi_comm_world(), cmpi_errors_return())
        world = Communicator(borrowing: cmpi_comm_world())
    }

    /// Whether MPI has been finalised already (then no MPI call may follow).
    public static var isFinalized: Bool {
        var flag: Int32 = 0
        MPI_Finalized(&flag)
        return flag != 0
    }

    /// Finalises MPI if it was initialised and not finalised yet. Called at exit.
    public static func finalizeIfNeeded() {
        var initialised: Int32 = 0
        MPI_Initialized(&initialised)
        if initialised != 0 && !isFinalized {
            Console.flush()
            MPI_Finalize()
        }
    }

    /// The MPI library's version string (`MPI_Get_library_version`), first line only.
    public var libraryVersion: String {
        var buffer = [CChar](repeating: 0, count: 8192)
        var length: Int32 = 0
        MPI_Get_library_version(&buffer, &length)
        // The reported length may include the terminating NUL; keep the first line only.
        let bytes = buffer.prefix(Int(length)).prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let text = String(decoding: bytes, as: UTF8.self)
        return (text.split(separator: "\n").first.map(String.init) ?? text).trimmingCharacters(in: .whitespaces)
    }

    /// The host this rank runs on (`MPI_Get_processor_name`).
    public var processorName: String {
        var buffer = [CChar](repeating: 0, count: 512)
        var length: Int32 = 0
        MPI_Get_processor_name(&buffer, &length)
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Wall-clock seconds (`MPI_Wtime`).
    public static func wtime() -> Double { MPI_Wtime() }

    /// Stops the whole job after printing `message` with this rank's number.
    ///
    /// Use for unrecoverable errors on one rank: the other ranks would otherwise wait
    /// forever in their next collective. Calls `MPI_Abort` on the world communicator.
    public func abort(_ message: String, code: Int32 = 1) -> Never {
        Console.flush()
        Console.error("cascade: fatal error on rank \(world.rank) of \(world.size): \(message)\n")
        Console.flush()
        MPI_Abort(cmpi_comm_world(), code)
        exit(code)
    }
}
