import CFFTW
import CMPI
import Foundation
import Parallel

/// How much time FFTW's planner may spend looking for a fast plan.
public enum PlanningEffort: String, Sendable, CaseIterable {
    /// Heuristic plan, made at once (FFTW_ESTIMATE).
    case estimate
    /// Times candidate plans (FFTW_MEASURE): seconds to plan, faster transforms.
    case measure
    /// Times more candidates (FFTW_PATIENT).
    case patient

    var flag: UInt32 {
        switch self {
        case .estimate: return cfftw_estimate()
        case .measure: return cfftw_measure()
        case .patient: return cfftw_patient()
        }
    }
}

/// Scaling convention of a plan.
public enum FFTNormalization: String, Sendable {
    /// forward: ĉ_k = Σ_x f_x e^{−2πi k·x/N}; backward: f_x = (1/N) Σ_k ĉ_k e^{+2πi k·x/N}
    /// (N = number of grid points), so backward(forward(f)) = f, as numpy.fft.
    case backward
    /// Both directions unscaled (FFTW's convention): backward(forward(f)) = N·f.
    case none
}

/// An error in making an FFT plan.
public struct FFTError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// One-time FFTW-MPI set-up; `fftw_mpi_init` must follow MPI_Init and precede any plan.
private let fftwMPIReady: Bool = {
    _ = MPIEnvironment.shared
    fftw_mpi_init()
    return true
}()

/// FFTW wisdom shared by the plans of a run: read before planning, written (atomically) after.
enum FFTWisdom {
    /// Rank 0 imports `file` if it exists; every rank gets its wisdom (collective).
    static func load(_ file: String, _ communicator: Communicator) {
        if communicator.isRoot && FileManager.default.fileExists(atPath: file) {
            _ = fftw_import_wisdom_from_filename(file)
        }
        fftw_mpi_broadcast_wisdom(communicator.handle)
    }

    /// Gathers every rank's wisdom and rank 0 writes it to `file` via a temporary (collective).
    static func save(_ file: String, _ communicator: Communicator) {
        fftw_mpi_gather_wisdom(communicator.handle)
        if communicator.isRoot {
            let temp = file + ".tmp-\(getpid())"
            if fftw_export_wisdom_to_filename(temp) != 0 { rename(temp, file) }
        }
    }
}

/// The FFTW library version string.
public var fftwVersion: String { String(cString: cfftw_version()) }

/// A distributed real-to-complex FFT in 2D or 3D over FFTW-MPI, with slab decomposition.
///
/// **Real space** (`realBuffer`) is split along axis 0: this rank owns rows `localRealRange`.
/// Its local array has shape `[localRealRange.count, n1]` (2D) or `[localRealRange.count, n1, n2]`
/// (3D), stored with the last axis PADDED to `paddedLastDimension = 2·(n_last/2 + 1)` doubles, as
/// FFTW-MPI requires; use ``realIndex(_:)`` or ``loadReal(_:)`` / ``realSlab()``.
///
/// **Spectral space** (`spectralBuffer`, interleaved re/im pairs) is stored TRANSPOSED
/// (FFTW_MPI_TRANSPOSED_OUT), which saves one global transpose per transform pair, and is split
/// along axis 1: this rank owns axis-1 indices `localSpectralRange`. Local storage order:
/// 2D `[j ∈ localSpectralRange, i ∈ 0..<n0]` with j the halved axis (0...n1/2);
/// 3D `[j ∈ localSpectralRange, i ∈ 0..<n0, k ∈ 0...n2/2]`. ``spectralAxes`` names the logical
/// axis of each storage dimension; ``wavenumbers(axis:)`` gives the integer wavenumbers.
///
/// Buffers are allocated once by the plan (aligned for SIMD); ``forward()`` and ``backward()``
/// allocate nothing. FFTW's c2r overwrites its input: after ``backward()`` the spectral buffer
/// holds garbage.
public final class RealFFTPlan {
    /// Global real-space shape.
    public let shape: [Int]
    /// Scaling convention.
    public let normalization: FFTNormalization
    /// Planning effort used.
    public let effort: PlanningEffort
    /// Axis-0 rows of real space owned by this rank.
    public let localRealRange: Range<Int>
    /// Axis-1 indices of (transposed) spectral space owned by this rank.
    public let localSpectralRange: Range<Int>
    /// Doubles per padded real row: 2·(n_last/2 + 1).
    public let paddedLastDimension: Int
    /// Complex elements allocated per buffer (≥ what this rank stores).
    public let allocatedCount: Int
    /// The padded local real array.
    public let realBuffer: UnsafeMutableBufferPointer<Double>
    /// The local spectral array: complex numbers as (re, im) pairs of doubles.
    public let spectralBuffer: UnsafeMutableBufferPointer<Double>

    private let forwardPlan: OpaquePointer
    private let backwardPlan: OpaquePointer
    private let communicator: Communicator

    /// Makes the plans (collective). Any size ≥ 2 per axis works; ranks beyond the split get
    /// empty slabs. With `wisdomFile`, rank 0 imports FFTW wisdom from it (if present) before
    /// planning and saves the updated wisdom after (atomically).
    public init(shape: [Int], communicator: Communicator, effort: PlanningEffort = .estimate,
                wisdomFile: String? = nil, normalization: FFTNormalization = .backward) throws {
        guard shape.count == 2 || shape.count == 3 else {
            throw FFTError(description: "RealFFTPlan supports 2D and 3D grids; got shape \(shape)")
        }
        guard shape.allSatisfy({ $0 >= 2 }) else {
            throw FFTError(description: "every FFT dimension must be at least 2; got shape \(shape)")
        }
        _ = fftwMPIReady
        self.shape = shape
        self.effort = effort
        self.normalization = normalization
        self.communicator = communicator
        let d = shape.count
        let halved = shape[d - 1] / 2 + 1
        paddedLastDimension = 2 * halved
        var complexDims = shape.map { Int($0) }
        complexDims[d - 1] = halved
        var n0 = 0, start0 = 0, n1 = 0, start1 = 0
        let alloc = complexDims.withUnsafeBufferPointer { dims in
            fftw_mpi_local_size_transposed(Int32(d), dims.baseAddress, communicator.handle, &n0, &start0, &n1, &start1)
        }
        localRealRange = start0 ..< start0 + n0
        localSpectralRange = start1 ..< start1 + n1
        allocatedCount = max(alloc, 1)
        realBuffer = UnsafeMutableBufferPointer(start: fftw_alloc_real(2 * allocatedCount), count: 2 * allocatedCount)
        let complexPointer = UnsafeMutableRawPointer(fftw_alloc_complex(allocatedCount)!)
        spectralBuffer = UnsafeMutableBufferPointer(start: complexPointer.assumingMemoryBound(to: Double.self),
                                                    count: 2 * allocatedCount)
        realBuffer.initialize(repeating: 0)
        spectralBuffer.initialize(repeating: 0)

        if let wisdomFile { FFTWisdom.load(wisdomFile, communicator) }
        let dims = shape.map { Int($0) }
        let cplx = OpaquePointer(complexPointer)
        let realPointer = realBuffer.baseAddress
        let commHandle = communicator.handle
        let fwd = dims.withUnsafeBufferPointer {
            fftw_mpi_plan_dft_r2c(Int32(d), $0.baseAddress, realPointer, UnsafeMutablePointer(cplx),
                                  commHandle, effort.flag | cfftw_mpi_transposed_out())
        }
        let bwd = dims.withUnsafeBufferPointer {
            fftw_mpi_plan_dft_c2r(Int32(d), $0.baseAddress, UnsafeMutablePointer(cplx), realPointer,
                                  commHandle, effort.flag | cfftw_mpi_transposed_in())
        }
        guard let fwd, let bwd else {
            throw FFTError(description: "FFTW could not plan a \(shape) real transform on \(communicator.size) ranks")
        }
        forwardPlan = fwd
        backwardPlan = bwd
        // Planning with measure/patient scribbles on the buffers.
        realBuffer.update(repeating: 0)
        spectralBuffer.update(repeating: 0)
        if let wisdomFile { FFTWisdom.save(wisdomFile, communicator) }
    }

    deinit {
        fftw_destroy_plan(forwardPlan)
        fftw_destroy_plan(backwardPlan)
        fftw_free(realBuffer.baseAddress)
        fftw_free(spectralBuffer.baseAddress)
    }

    /// Total number of grid points N.
    public var pointCount: Int { shape.reduce(1, *) }

    /// Logical axis of each spectral storage dimension: 2D `[1, 0]`, 3D `[1, 0, 2]`.
    public var spectralAxes: [Int] { shape.count == 2 ? [1, 0] : [1, 0, 2] }

    /// Local spectral storage shape (complex elements), in storage order.
    public var localSpectralShape: [Int] {
        shape.count == 2 ? [localSpectralRange.count, shape[0]]
                         : [localSpectralRange.count, shape[0], shape[2] / 2 + 1]
    }

    /// Local real shape (logical, unpadded).
    public var localRealShape: [Int] { [localRealRange.count] + shape.dropFirst() }

    /// Complex elements stored on this rank.
    public var localSpectralCount: Int { localSpectralShape.reduce(1, *) }

    /// Integer wavenumbers along logical `axis` for this rank's spectral storage: the owned range
    /// for axis 1, 0…n/2 for the halved last axis, and 0, 1, …, −1 (FFT order) for full axes.
    public func wavenumbers(axis: Int) -> [Int] {
        let n = shape[axis]
        let signed: (Int) -> Int = { $0 <= n / 2 ? $0 : $0 - n }
        if axis == shape.count - 1 {
            return axis == 1 ? localSpectralRange.map { $0 } : Array(0 ... n / 2)
        }
        if axis == 1 { return localSpectralRange.map(signed) }
        return (0 ..< n).map(signed)
    }

    /// Physical wavenumbers 2π·m/L along `axis` for a box of length `boxLength`.
    public func physicalWavenumbers(axis: Int, boxLength: Double = 2 * .pi) -> [Double] {
        wavenumbers(axis: axis).map { 2 * .pi * Double($0) / boxLength }
    }

    /// Offset in `realBuffer` of the local real element at local index `[i, j(, k)]` (i relative to localRealRange).
    @inlinable
    public func realIndex(_ index: [Int]) -> Int {
        shape.count == 2 ? index[0] * paddedLastDimension + index[1]
                         : (index[0] * shape[1] + index[1]) * paddedLastDimension + index[2]
    }

    /// Number of padded real rows (all axes but the last) stored locally.
    var localRealRows: Int { localRealRange.count * (shape.count == 3 ? shape[1] : 1) }

    /// Copies an unpadded local slab (shape ``localRealShape``, row-major) into the padded buffer.
    public func loadReal(_ slab: [Double]) {
        let n = shape[shape.count - 1]
        precondition(slab.count == localRealRows * n, "loadReal needs \(localRealRows * n) values, got \(slab.count)")
        slab.withUnsafeBufferPointer { src in
            for r in 0 ..< localRealRows {
                (realBuffer.baseAddress! + r * paddedLastDimension).update(from: src.baseAddress! + r * n, count: n)
            }
        }
    }

    /// The local real slab without padding (shape ``localRealShape``, row-major).
    public func realSlab() -> [Double] {
        let n = shape[shape.count - 1]
        var out = [Double](repeating: 0, count: localRealRows * n)
        out.withUnsafeMutableBufferPointer { dst in
            for r in 0 ..< localRealRows {
                (dst.baseAddress! + r * n).update(from: realBuffer.baseAddress! + r * paddedLastDimension, count: n)
            }
        }
        return out
    }

    /// Real → spectral (collective). Allocates nothing.
    public func forward() {
        fftw_mpi_execute_dft_r2c(forwardPlan, realBuffer.baseAddress,
                                 UnsafeMutablePointer(OpaquePointer(spectralBuffer.baseAddress!)))
    }

    /// Spectral → real (collective); scales by 1/N under `.backward` normalisation. Destroys the spectral input.
    public func backward() {
        fftw_mpi_execute_dft_c2r(backwardPlan, UnsafeMutablePointer(OpaquePointer(spectralBuffer.baseAddress!)),
                                 realBuffer.baseAddress)
        scaleBackward(realBuffer.baseAddress!)
    }

    /// Real → spectral on arrays made by ``makeRealArray()`` / ``makeSpectralArray()`` of this
    /// plan (FFTW's new-array execute: same layout and alignment as the plan's own buffers).
    /// Collective; allocates nothing. Lets a solver keep many fields without copying them
    /// through ``realBuffer``/``spectralBuffer``.
    public func forward(_ real: FFTArray, _ spectral: FFTArray) {
        precondition(real.count >= 2 * allocatedCount && spectral.count >= 2 * allocatedCount,
                     "forward(_:_:) needs arrays made by this plan")
        fftw_mpi_execute_dft_r2c(forwardPlan, real.pointer, UnsafeMutablePointer(OpaquePointer(spectral.pointer)))
    }

    /// Spectral → real on arrays of this plan; destroys `spectral` (FFTW's c2r overwrites its
    /// input). Scales by 1/N under `.backward` normalisation. Collective; allocates nothing.
    public func backward(_ spectral: FFTArray, _ real: FFTArray) {
        precondition(real.count >= 2 * allocatedCount && spectral.count >= 2 * allocatedCount,
                     "backward(_:_:) needs arrays made by this plan")
        fftw_mpi_execute_dft_c2r(backwardPlan, UnsafeMutablePointer(OpaquePointer(spectral.pointer)), real.pointer)
        scaleBackward(real.pointer)
    }

    /// A zeroed real-space array with the padded local layout of ``realBuffer``.
    public func makeRealArray() -> FFTArray { FFTArray(count: 2 * allocatedCount) }

    /// A zeroed spectral array with the layout of ``spectralBuffer`` ((re, im) pairs).
    public func makeSpectralArray() -> FFTArray { FFTArray(count: 2 * allocatedCount) }

    private func scaleBackward(_ base: UnsafeMutablePointer<Double>) {
        guard normalization == .backward else { return }
        let scale = 1 / Double(pointCount)
        let n = shape[shape.count - 1]
        for r in 0 ..< localRealRows {
            let row = base + r * paddedLastDimension
            for k in 0 ..< n { row[k] *= scale }
        }
    }

    /// One line for logs: shapes, this rank's share, effort.
    public var summary: String {
        "real FFT \(shape.map(String.init).joined(separator: "×")) on \(communicator.size) rank(s): rank \(communicator.rank) owns rows \(localRealRange) (real), \(localSpectralRange) of axis 1 (spectral); effort \(effort.rawValue)"
    }
}

extension RealFFTPlan {
    /// The spectral coefficient at global logical indices (i0, i1[, i2]) if this rank stores it
    /// (axis 1 in ``localSpectralRange``; the last axis within 0...n/2), else nil.
    public func coefficient(_ index: [Int]) -> (re: Double, im: Double)? {
        guard localSpectralRange.contains(index[1]) else { return nil }
        let j = index[1] - localSpectralRange.lowerBound
        let offset = shape.count == 2 ? j * shape[0] + index[0]
                                      : (j * shape[0] + index[0]) * (shape[2] / 2 + 1) + index[2]
        return (spectralBuffer[2 * offset], spectralBuffer[2 * offset + 1])
    }

    /// Σ over the full complex spectrum of |ĉ|² (each stored coefficient of the halved axis
    /// counted twice except k = 0 and k = n/2), summed over ranks: N·Σ|f|² by Parseval.
    public func spectralEnergy() throws -> Double {
        let halved = shape[shape.count - 1] / 2 + 1
        let nLast = shape[shape.count - 1]
        var sum = 0.0
        for e in 0 ..< localSpectralCount {
            let k: Int
            if shape.count == 2 { k = localSpectralRange.lowerBound + e / shape[0] } else { k = e % halved }
            let w = (k == 0 || (nLast % 2 == 0 && k == nLast / 2)) ? 1.0 : 2.0
            sum += w * (spectralBuffer[2 * e] * spectralBuffer[2 * e] + spectralBuffer[2 * e + 1] * spectralBuffer[2 * e + 1])
        }
        return try communicator.allreduce(sum, .sum)
    }
}

/// Doubles allocated with FFTW's SIMD alignment, freed with the object: the arrays a plan's
/// new-array execution (``RealFFTPlan/forward(_:_:)``, ``RealFFTPlan/backward(_:_:)``) works on.
public final class FFTArray {
    /// The first double.
    public let pointer: UnsafeMutablePointer<Double>
    /// Number of doubles.
    public let count: Int

    /// `count` zeroed doubles. Arrays of 4 MiB and more are aligned to 2 MiB and backed by
    /// transparent huge pages where the kernel allows it (`madvise`): the solvers sweep them with
    /// large strides, and 4 KiB pages would make every sweep a stream of TLB misses.
    public init(count: Int) {
        self.count = max(count, 2)
        let bytes = self.count * MemoryLayout<Double>.stride
        if bytes >= FFTArray.hugeThreshold {
            let huge = 2 << 20
            let length = (bytes + huge - 1) / huge * huge
            var raw: UnsafeMutableRawPointer?
            guard posix_memalign(&raw, huge, length) == 0, let raw else { fatalError("FFTArray: out of memory (\(bytes) bytes)") }
            _ = madvise(raw, length, MADV_HUGEPAGE)
            pointer = raw.bindMemory(to: Double.self, capacity: self.count)
            isPosixAllocated = true
        } else {
            pointer = fftw_alloc_real(self.count)!
            isPosixAllocated = false
        }
        pointer.initialize(repeating: 0, count: self.count)
    }

    private static let hugeThreshold = 4 << 20
    private let isPosixAllocated: Bool

    deinit {
        if isPosixAllocated { free(pointer) } else { fftw_free(pointer) }
    }

    /// The doubles as a buffer.
    public var buffer: UnsafeMutableBufferPointer<Double> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    /// Sets every double to zero.
    public func zero() { pointer.update(repeating: 0, count: count) }

    /// Copies all doubles of `other` (same count).
    public func copy(from other: FFTArray) {
        precondition(other.count == count, "FFTArray.copy needs equal sizes")
        pointer.update(from: other.pointer, count: count)
    }
}
