import CFFTW
import Foundation
import Parallel

/// A pseudo-spectral product of band-limited 2D fields: several spectral inputs go to real
/// space, a caller's kernel combines them point by point, and one result comes back to spectral
/// space — without ever storing a real-space field.
///
/// It computes exactly what `inputs` backward transforms of a ``RealFFTPlan`` of the same shape,
/// a pointwise product and one forward transform compute (same unnormalised conventions: the
/// backward transform has e^{+ik·x}, the forward e^{−ik·x}), but exploits what dealiasing
/// guarantees: only the spectral rows kx ≤ `keptX` can be non-zero. Per direction it
///
/// 1. transforms along y only the kept kx rows (out of place, so the inputs keep their zeros),
/// 2. transposes only those rows across ranks (FFTW-MPI, `keptX + 1` rows instead of n1/2 + 1;
///    on one rank the y transform itself writes the transposed [y][kx] layout),
/// 3. works on real space a block of y rows at a time, sized to stay in the L2 cache: a 1D c2r
///    per row and field, the caller's kernel, a 1D r2c, and keeps only kx ≤ `keptX`,
/// 4. transposes back and transforms along y into ``output``.
///
/// At 2/3 dealiasing this skips a third of the y transforms and of the transposed volume, and
/// the real-space fields never travel through main memory. Buffers and FFTW plans are made once
/// here; ``execute(_:)`` allocates nothing.
///
/// **Layouts.** Input field `f` is ``input(_:)``: the first ``keptRows`` rows of the transposed
/// spectral layout of ``RealFFTPlan`` (`[j ∈ kept local kx rows][ky index 0..<n0]`, complex as
/// (re, im) pairs), so the local mode index `e = row·n0 + i` is the plan's. The caller writes the
/// modes it keeps and must leave every other entry of these rows zero; the plan never writes them.
/// ``output`` has the same layout.
public final class DealiasedProductPlan {
    /// Global real shape [n0 (y, rows), n1 (x, columns)].
    public let shape: [Int]
    /// Largest kx index that may be non-zero.
    public let keptX: Int
    /// Number of input fields.
    public let inputs: Int
    /// Local kx rows that hold kept modes (the first `keptRows` rows of this rank's spectral slab).
    public let keptRows: Int
    /// Global kx index of the first local row.
    public let firstKeptRow: Int
    /// Real-space rows (y) of this rank.
    public let realRows: Range<Int>
    /// Real rows handled per block in ``execute(_:)``.
    public let blockRows: Int
    /// The raw (unnormalised) forward transform of the kernel's field 0, kept rows only.
    public let output: FFTArray

    private let inputArray: FFTArray
    /// Doubles from one input field to the next in `inputArray`.
    private let inputStride: Int
    /// On one rank, the y-transformed fields stay in `sendBuffer` ([kept kx][y], all inputs) and
    /// the row blocks gather from it directly: no transpose. On several ranks `sendBuffer` holds
    /// one field at a time on its way to `receiveBuffer` ([y][kept kx], all inputs).
    private let distributed: Bool
    private let sendBuffer: FFTArray, receiveBuffer: FFTArray?
    /// Doubles between fields of the staged buffers (layout [y local][kx 0...keptX]).
    private let fieldStride: Int
    /// Row block: `inputs` fields × `blockRows` rows × `rowStride` doubles.
    private let block: FFTArray
    /// Doubles per padded real row (≥ n1 + 2, a multiple of 4 so every row keeps SIMD alignment).
    public let rowStride: Int
    private let yBackward: OpaquePointer?, yForward: OpaquePointer?
    /// Row transforms of a full block and of the last, shorter one (nil if there is none).
    private let rowsC2R: OpaquePointer, rowsR2C: OpaquePointer
    private let tailC2R: OpaquePointer?, tailR2C: OpaquePointer?
    private let toReal: OpaquePointer?, toSpectral: OpaquePointer?

    /// Plans everything (collective). `plan` fixes the shape and the distribution over ranks;
    /// `keptX` < n1/2 is the largest kx index the inputs may hold; `inputs` fields are
    /// transformed to real space per product. With `wisdomFile`, FFTW wisdom is read from it
    /// before planning and written back after, as ``RealFFTPlan`` does (so a resumed run plans the
    /// same algorithms).
    public init(plan: RealFFTPlan, keptX: Int, inputs: Int, communicator: Communicator,
                effort: PlanningEffort = .estimate, wisdomFile: String? = nil) throws {
        guard plan.shape.count == 2 else { throw FFTError(description: "DealiasedProductPlan is 2D; got shape \(plan.shape)") }
        let n0 = plan.shape[0], n1 = plan.shape[1], halved = n1 / 2 + 1
        guard keptX >= 0 && keptX < halved - 1 else {
            throw FFTError(description: "DealiasedProductPlan: keptX must be in 0..<\(halved - 1); got \(keptX)")
        }
        guard inputs >= 1 else { throw FFTError(description: "DealiasedProductPlan needs at least one input") }
        shape = plan.shape
        self.keptX = keptX
        self.inputs = inputs
        realRows = plan.localRealRange
        firstKeptRow = plan.localSpectralRange.lowerBound
        keptRows = max(0, min(plan.localSpectralRange.count, keptX + 1 - firstKeptRow))
        distributed = communicator.size > 1
        let kept = keptX + 1

        // The kept rows must be distributed as the plan distributes all kx rows (FFTW's default
        // block sizes), so that the kept transposes meet the plan's slabs.
        let size = communicator.size
        let spectralBlock = (halved + size - 1) / size, realBlock = (n0 + size - 1) / size
        var transposeAlloc = 0
        if distributed {
            var local0 = 0, start0 = 0, local1 = 0, start1 = 0
            let dims = [kept, n0]
            transposeAlloc = dims.withUnsafeBufferPointer {
                fftw_mpi_local_size_many_transposed(2, $0.baseAddress, 2, spectralBlock, realBlock,
                                                    communicator.handle, &local0, &start0, &local1, &start1)
            }
            guard local0 == keptRows, keptRows == 0 || start0 == firstKeptRow,
                  local1 == realRows.count, realRows.isEmpty || start1 == realRows.lowerBound else {
                throw FFTError(description: "DealiasedProductPlan: FFTW's distribution of the kept rows (\(start0)+\(local0), \(start1)+\(local1)) does not match the plan's slabs (\(firstKeptRow)+\(keptRows), \(realRows))")
            }
        }

        rowStride = (n1 + 2 + 3) & ~3
        blockRows = max(1, min(max(realRows.count, 1), (512 * 1024 / 8) / (inputs * rowStride)))
        inputStride = max(keptRows * n0 * 2, 4)
        inputArray = FFTArray(count: inputs * inputStride)
        output = FFTArray(count: inputStride)
        if distributed {
            fieldStride = (max(transposeAlloc, 2 * keptRows * n0, 2 * realRows.count * kept, 2) + 3) & ~3
            sendBuffer = FFTArray(count: fieldStride)
            receiveBuffer = FFTArray(count: inputs * fieldStride)
        } else {
            fieldStride = max(2 * n0 * kept, 4)
            sendBuffer = FFTArray(count: inputs * fieldStride)
            receiveBuffer = nil
        }
        block = FFTArray(count: inputs * blockRows * rowStride)

        if let wisdomFile { FFTWisdom.load(wisdomFile, communicator) }
        let flags = effort.flag
        let cplx: (UnsafeMutablePointer<Double>) -> UnsafeMutablePointer<fftw_complex> = {
            UnsafeMutablePointer(OpaquePointer($0))
        }
        var length = [Int32(n0)]
        // y transforms of one field: `keptRows` contiguous rows of n0 complex numbers (out of place).
        // On one rank the backward y transform writes straight into the [y][kx] layout of the row
        // blocks (FFTW transposes while transforming) and the forward one reads from it.
        let (outStride, outDist) = distributed ? (Int32(1), Int32(n0)) : (Int32(kept), Int32(1))
        if keptRows > 0 {
            yBackward = fftw_plan_many_dft(1, &length, Int32(keptRows), cplx(inputArray.pointer), nil, 1, Int32(n0),
                                           cplx(sendBuffer.pointer), nil, outStride, outDist, cfftw_backward(), flags)
            yForward = fftw_plan_many_dft(1, &length, Int32(keptRows), cplx(sendBuffer.pointer), nil, outStride, outDist,
                                          cplx(output.pointer), nil, 1, Int32(n0), cfftw_forward(), flags)
            guard yBackward != nil, yForward != nil else { throw FFTError(description: "FFTW could not plan the y transforms") }
        } else {
            yBackward = nil; yForward = nil
        }
        // x transforms: `rows` padded rows in place.
        let row = block.pointer, stride = Int32(rowStride)
        func rowPlans(_ rows: Int) -> (OpaquePointer, OpaquePointer)? {
            var lengthX = [Int32(n1)]
            guard let c2r = fftw_plan_many_dft_c2r(1, &lengthX, Int32(rows), cplx(row), nil, 1, stride / 2, row, nil, 1, stride, flags),
                  let r2c = fftw_plan_many_dft_r2c(1, &lengthX, Int32(rows), row, nil, 1, stride, cplx(row), nil, 1, stride / 2, flags)
            else { return nil }
            return (c2r, r2c)
        }
        let tailRows = realRows.count % blockRows
        guard let full = rowPlans(blockRows) else {
            throw FFTError(description: "FFTW could not plan the row transforms of length \(n1)")
        }
        (rowsC2R, rowsR2C) = full
        if tailRows > 0 {
            guard let tail = rowPlans(tailRows) else {
                throw FFTError(description: "FFTW could not plan the row transforms of length \(n1)")
            }
            (tailC2R, tailR2C) = (tail.0, tail.1)
        } else {
            (tailC2R, tailR2C) = (nil, nil)
        }
        // Transposes of one field: [kept kx][y] ↔ [y][kept kx], complex = 2 doubles.
        if let receiveBuffer {
            guard let t1 = fftw_mpi_plan_many_transpose(kept, n0, 2, spectralBlock, realBlock,
                                                         sendBuffer.pointer, receiveBuffer.pointer, communicator.handle, flags),
                  let t2 = fftw_mpi_plan_many_transpose(n0, kept, 2, realBlock, spectralBlock,
                                                         receiveBuffer.pointer, sendBuffer.pointer, communicator.handle, flags)
            else { throw FFTError(description: "FFTW could not plan the kept-row transposes") }
            toReal = t1; toSpectral = t2
        } else {
            toReal = nil; toSpectral = nil
        }
        if let wisdomFile { FFTWisdom.save(wisdomFile, communicator) }
        // Planning with measure/patient scribbles on the arrays.
        for a in [inputArray, output, sendBuffer, block] { a.zero() }
        receiveBuffer?.zero()
    }

    deinit {
        for p in [yBackward, yForward, rowsC2R, rowsR2C, tailC2R, tailR2C, toReal, toSpectral] {
            if let p { fftw_destroy_plan(p) }
        }
    }

    /// Input field `f`: kept rows of the spectral layout, (re, im) pairs; see the type's docs.
    public func input(_ f: Int) -> UnsafeMutablePointer<Double> { inputArray.pointer + f * inputStride }

    /// One block of real-space rows handed to the kernel of ``execute(_:)``.
    public struct RowBlock {
        /// Global y index of the first row.
        public let firstRow: Int
        /// Rows in the block.
        public let rows: Int
        /// Points per row (n1).
        public let columns: Int
        /// Doubles from one row to the next.
        public let rowStride: Int
        let base: UnsafeMutablePointer<Double>
        let fieldStride: Int

        /// Row `r` (0..<rows) of field `f`: `columns` real values, unnormalised (N times the
        /// values of the normalised inverse transform). The kernel writes its result into field 0.
        @inline(__always)
        public func row(_ f: Int, _ r: Int) -> UnsafeMutablePointer<Double> {
            base + f * fieldStride + r * rowStride
        }
    }

    /// Runs the product (collective): inputs → real space, `kernel` on each block of rows,
    /// field 0 → ``output``. The inputs are preserved. Allocates nothing.
    public func execute(_ kernel: (RowBlock) -> Void) {
        let cplx: (UnsafeMutablePointer<Double>) -> UnsafeMutablePointer<fftw_complex> = {
            UnsafeMutablePointer(OpaquePointer($0))
        }
        for f in 0 ..< inputs {
            let staged = sendBuffer.pointer + (distributed ? 0 : f * fieldStride)
            if let yBackward { fftw_execute_dft(yBackward, cplx(input(f)), cplx(staged)) }
            if let toReal, let receiveBuffer {
                fftw_mpi_execute_r2r(toReal, staged, receiveBuffer.pointer + f * fieldStride)
            }
        }
        let staged = receiveBuffer?.pointer ?? sendBuffer.pointer
        let n1 = shape[1], halved = n1 / 2 + 1, kept = keptX + 1
        let fieldBlock = blockRows * rowStride, sy = 2 * kept
        var start = 0
        while start < realRows.count {
            let rows = min(blockRows, realRows.count - start)
            let (c2r, r2c) = rows == blockRows ? (rowsC2R, rowsR2C) : (tailC2R!, tailR2C!)
            for f in 0 ..< inputs {
                // Copy kx 0...keptX of these rows into the block, zero the rest up to n1/2.
                let source = staged + f * fieldStride + start * sy, rowsBase = block.pointer + f * fieldBlock
                for r in 0 ..< rows { (rowsBase + r * rowStride).update(from: source + r * sy, count: 2 * kept) }
                for r in 0 ..< rows {
                    (rowsBase + r * rowStride + 2 * kept).update(repeating: 0, count: 2 * (halved - kept))
                }
                fftw_execute_dft_c2r(c2r, cplx(rowsBase), rowsBase)
            }
            kernel(RowBlock(firstRow: realRows.lowerBound + start, rows: rows, columns: n1, rowStride: rowStride,
                            base: block.pointer, fieldStride: fieldBlock))
            // Field 0's rows of this block have been read: their slots take the kept coefficients.
            fftw_execute_dft_r2c(r2c, block.pointer, cplx(block.pointer))
            let target = staged + start * sy
            for r in 0 ..< rows { (target + r * sy).update(from: block.pointer + r * rowStride, count: 2 * kept) }
            start += rows
        }
        if let toSpectral, let receiveBuffer { fftw_mpi_execute_r2r(toSpectral, receiveBuffer.pointer, sendBuffer.pointer) }
        if let yForward { fftw_execute_dft(yForward, cplx(sendBuffer.pointer), cplx(output.pointer)) }
    }
}
