import CMPI

/// A Swift number type with a matching MPI datatype, usable in typed collectives.
public protocol MPIScalar: Numeric, Sendable {
    /// The MPI datatype with the same memory layout.
    static var mpiDatatype: MPI_Datatype { get }
}

extension Double: MPIScalar { public static var mpiDatatype: MPI_Datatype { cmpi_double() } }
extension Float: MPIScalar { public static var mpiDatatype: MPI_Datatype { cmpi_float() } }
extension Int: MPIScalar {
    // Swift's Int is 64 bits on every platform MPI jobs run on.
    public static var mpiDatatype: MPI_Datatype { cmpi_int64() }
}
extension Int64: MPIScalar { public static var mpiDatatype: MPI_Datatype { cmpi_int64() } }
extension Int32: MPIScalar { public static var mpiDatatype: MPI_Datatype { cmpi_int32() } }
extension UInt8: MPIScalar { public static var mpiDatatype: MPI_Datatype { cmpi_uint8() } }

/// The reduction applied by ``Communicator/allreduce(_:_:)`` and friends.
public enum ReductionOp: Sendable, CaseIterable {
    case sum, min, max

    var handle: MPI_Op {
        switch self {
        case .sum: return cmpi_op_sum()
        case .min: return cmpi_op_min()
        case .max: return cmpi_op_max()
        }
    }
}

/// MPI counts are 32-bit; larger messages must be split by the caller.
@inline(__always)
func mpiCount(_ n: Int, _ function: String) throws -> Int32 {
    guard n <= Int(Int32.max) else {
        throw MPIError.tooLarge(count: n, function: function)
    }
    return Int32(n)
}

extension MPIError {
    static func tooLarge(count: Int, function: String) -> MPIError {
        MPIError(code: -1, function: function, message: "count \(count) exceeds the 32-bit MPI limit; split the message")
    }

    init(code: Int32, function: String, message: String) {
        self.code = code
        self.function = function
        self.message = message
    }
}
