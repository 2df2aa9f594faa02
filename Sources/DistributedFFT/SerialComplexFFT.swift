import CFFTW

/// A serial (one-process) complex FFT of any rank, in place on its own buffer: for per-sample
/// transforms (surrogate data), where each rank transforms whole samples it holds and no
/// transform is split over ranks.
///
/// Unnormalised in both directions (``forward()`` then ``backward()`` multiplies by ``pointCount``).
/// Plans are made with FFTW_ESTIMATE, so planning does not overwrite a buffer already filled.
public final class SerialComplexFFT {
    /// The grid shape (row-major, last axis fastest).
    public let shape: [Int]
    /// `pointCount` complex numbers as interleaved (re, im) doubles.
    public let buffer: UnsafeMutableBufferPointer<Double>
    private let forwardPlan: OpaquePointer
    private let backwardPlan: OpaquePointer

    /// Plans the transforms of `shape` (every axis ≥ 1).
    public init(shape: [Int]) throws {
        guard !shape.isEmpty, shape.allSatisfy({ $0 >= 1 }) else {
            throw FFTError(description: "a serial FFT needs a non-empty shape with every axis ≥ 1; got \(shape)")
        }
        self.shape = shape
        let n = shape.reduce(1, *)
        let pointer = UnsafeMutableRawPointer(fftw_alloc_complex(n)!)
        buffer = UnsafeMutableBufferPointer(start: pointer.assumingMemoryBound(to: Double.self), count: 2 * n)
        buffer.initialize(repeating: 0)
        let dims = shape.map { Int32($0) }
        let complex = UnsafeMutablePointer<fftw_complex>(OpaquePointer(pointer))
        let fwd = dims.withUnsafeBufferPointer { fftw_plan_dft(Int32(shape.count), $0.baseAddress, complex, complex, cfftw_forward(), cfftw_estimate()) }
        let bwd = dims.withUnsafeBufferPointer { fftw_plan_dft(Int32(shape.count), $0.baseAddress, complex, complex, cfftw_backward(), cfftw_estimate()) }
        guard let fwd, let bwd else { throw FFTError(description: "FFTW could not plan a serial \(shape) complex transform") }
        forwardPlan = fwd
        backwardPlan = bwd
    }

    deinit {
        fftw_destroy_plan(forwardPlan)
        fftw_destroy_plan(backwardPlan)
        fftw_free(buffer.baseAddress)
    }

    /// Grid points.
    public var pointCount: Int { buffer.count / 2 }

    /// X_k = Σ_x f(x) e^{−2πi k·x/N}, in place.
    public func forward() { fftw_execute(forwardPlan) }

    /// f(x) = Σ_k X_k e^{+2πi k·x/N} (no 1/N), in place.
    public func backward() { fftw_execute(backwardPlan) }
}
