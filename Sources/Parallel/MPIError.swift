import CMPI

/// An error reported by an MPI call, carrying MPI's own error string.
public struct MPIError: Error, CustomStringConvertible, Sendable {
    /// The MPI error code returned by the call.
    public let code: Int32
    /// The MPI function that failed, for example `MPI_Allreduce`.
    public let function: String
    /// The text MPI gives for `code` (`MPI_Error_string`).
    public let message: String

    public var description: String { "\(function) failed: \(message) (MPI error \(code))" }

    init(code: Int32, function: String) {
        self.code = code
        self.function = function
        var buffer = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
        var length: Int32 = 0
        if MPI_Error_string(code, &buffer, &length) == cmpi_success() {
            self.message = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        } else {
            self.message = "unknown MPI error"
        }
    }
}

/// Throws an ``MPIError`` when an MPI call did not return `MPI_SUCCESS`.
///
/// Communicators are created with `MPI_ERRORS_RETURN`, so failures come back here
/// instead of aborting inside the library.
@inline(__always)
func mpiCheck(_ code: Int32, _ function: @autoclosure () -> String) throws {
    if code != 0 { throw MPIError(code: code, function: function()) }
}
