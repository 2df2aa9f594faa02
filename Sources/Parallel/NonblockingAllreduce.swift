import CMPI

/// A reduction in flight, started by ``Communicator/startAllreduce(inPlace:_:)`` (or another
/// nonblocking collective of this module: `startReduceScatter`, `startAllgather`).
///
/// Overlap computation with communication (as data-parallel training overlaps gradient
/// averaging with the backward pass): start the reduction, work, then ``wait()``.
/// The buffer must stay alive and untouched until `wait()` or a successful `test()`.
/// Dropping an unfinished request waits for it, so no transfer outlives its buffer.
public final class AllreduceRequest: @unchecked Sendable {
    fileprivate var request: MPI_Request?
    fileprivate var done = false

    init(request: MPI_Request?) { self.request = request }

    /// A request with nothing in flight, for ``Communicator/startAllreduce(inPlace:_:reusing:)``:
    /// a loop that reduces every step reuses one request per buffer and allocates nothing.
    public init() {
        request = cmpi_request_null()
        done = true
    }

    /// Whether nothing is in flight (finished, or never started).
    public var isFinished: Bool { done }

    /// Blocks until the reduction has finished; the buffer then holds the result.
    public func wait() throws {
        guard !done else { return }
        try mpiCheck(MPI_Wait(&request, cmpi_status_ignore()), "MPI_Wait")
        done = true
    }

    /// Returns whether the reduction has finished, without blocking.
    public func test() throws -> Bool {
        guard !done else { return true }
        var flag: Int32 = 0
        try mpiCheck(MPI_Test(&request, &flag, cmpi_status_ignore()), "MPI_Test")
        done = flag != 0
        return done
    }

    /// Runs `body` to start a nonblocking collective into this finished request's handle.
    func start(_ body: (inout MPI_Request?) throws -> Void) throws {
        precondition(done, "a nonblocking collective reusing a request still in flight")
        try body(&request)
        done = false
    }

    deinit {
        if !done && !MPIEnvironment.isFinalized { _ = try? wait() }
    }
}

extension Communicator {
    /// Starts an element-wise reduction of `buffer` across ranks (`MPI_Iallreduce`, in place).
    public func startAllreduce<T: MPIScalar>(inPlace buffer: UnsafeMutableBufferPointer<T>,
                                             _ op: ReductionOp) throws -> AllreduceRequest {
        let n = try mpiCount(buffer.count, "MPI_Iallreduce")
        var request: MPI_Request? = cmpi_request_null()
        try mpiCheck(MPI_Iallreduce(cmpi_in_place(), buffer.baseAddress, n, T.mpiDatatype, op.handle, handle, &request),
                     "MPI_Iallreduce")
        return AllreduceRequest(request: request)
    }

    /// Starts a reduction like ``startAllreduce(inPlace:_:)`` into an existing, finished `request`
    /// (no allocation). Wait for or test it as usual.
    public func startAllreduce<T: MPIScalar>(inPlace buffer: UnsafeMutableBufferPointer<T>, _ op: ReductionOp,
                                             reusing request: AllreduceRequest) throws {
        precondition(request.done, "startAllreduce(reusing:): the request is still in flight")
        let n = try mpiCount(buffer.count, "MPI_Iallreduce")
        try mpiCheck(MPI_Iallreduce(cmpi_in_place(), buffer.baseAddress, n, T.mpiDatatype, op.handle, handle, &request.request),
                     "MPI_Iallreduce")
        request.done = false
    }
}
