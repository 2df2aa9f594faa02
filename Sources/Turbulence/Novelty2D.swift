import DistributedFFT
import Foundation

/// The symmetries of the doubly periodic square: the 8 rotations and reflections (D4), which
/// act on a vorticity field with a sign flip under reflections (ω is a pseudo-scalar).
///
/// Element g maps index (i, j) (row, column, mod N) to ``source(_:_:_:n:)``; (g f)(i, j) =
/// σ_g f(source). Because every element is an orthogonal integer matrix, the same map acts on
/// Fourier indices: the FFT of g f is σ_g f̂(source(k)).
public enum BoxSymmetry {
    /// Elements 0–3: rotations by 0°, 90°, 180°, 270°; 4–7: reflections (x → −x, y → −y, the
    /// diagonal, the anti-diagonal).
    public static let count = 8

    /// The index that element `g` reads from, for target index (i, j).
    @inlinable public static func source(_ g: Int, _ i: Int, _ j: Int, n: Int) -> (Int, Int) {
        let mi = (n - i) % n, mj = (n - j) % n
        switch g {
        case 0: return (i, j)
        case 1: return (j, mi)
        case 2: return (mi, mj)
        case 3: return (mj, i)
        case 4: return (i, mj)
        case 5: return (mi, j)
        case 6: return (j, i)
        default: return (mj, mi)
        }
    }

    /// The inverse element: the quarter turns 1 and 3 swap, every other element is its own inverse.
    @inlinable public static func inverse(_ g: Int) -> Int { g == 1 ? 3 : g == 3 ? 1 : g }

    /// σ_g: +1 for rotations, −1 for reflections.
    @inlinable public static func sign(_ g: Int) -> Double { g < 4 ? 1 : -1 }

    /// g f for an N×N field (row-major).
    public static func apply(_ g: Int, to field: [Double], n: Int) -> [Double] {
        var out = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n {
            for j in 0 ..< n {
                let (si, sj) = source(g, i, j, n: n)
                out[i * n + j] = sign(g) * field[si * n + sj]
            }
        }
        return out
    }

    /// f translated by (dy, dx) grid points: out(i, j) = f(i − dy, j − dx).
    public static func translate(_ field: [Double], by dy: Int, _ dx: Int, n: Int) -> [Double] {
        var out = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n {
            for j in 0 ..< n {
                out[i * n + j] = field[((i - dy) % n + n) % n * n + ((j - dx) % n + n) % n]
            }
        }
        return out
    }
}

/// The nearest field of a reference set under the box symmetries.
public struct NearestField: Sendable, Equatable {
    /// min over references b, symmetries g and translations T of ‖a − T g b‖ / ‖a‖.
    public var distance: Double
    /// Index of the nearest reference field (−1 if there was none to compare with).
    public var reference: Int
    /// The ``BoxSymmetry`` element of the minimum.
    public var symmetry: Int

    public init(distance: Double, reference: Int, symmetry: Int) {
        self.distance = distance
        self.reference = reference
        self.symmetry = symmetry
    }
}

/// Distance of fields to their nearest reference field, minimised over every periodic translation
/// (through FFT cross-correlation, ‖a − T b‖² = ‖a‖² + ‖b‖² − 2 max_T ⟨a, T b⟩) and the 8
/// ``BoxSymmetry`` elements. Holds the references' Fourier transforms (2N² doubles each); no MPI.
public final class NoveltySearch2D {
    public let n: Int
    private var spectra: [[Double]] = []
    private var squaredNorms: [Double] = []
    private let work: SerialComplexFFT

    public init(n: Int) throws {
        self.n = n
        work = try SerialComplexFFT(shape: [n, n])
    }

    /// Reference fields so far.
    public var referenceCount: Int { spectra.count }

    /// Adds a reference field (N² values, row-major).
    public func addReference(_ field: [Double]) {
        spectra.append(transform(field))
        squaredNorms.append(field.reduce(0) { $0 + $1 * $1 })
    }

    private func transform(_ field: [Double]) -> [Double] {
        precondition(field.count == n * n, "a field has N² = \(n * n) values, got \(field.count)")
        let b = work.buffer
        for p in 0 ..< n * n { b[2 * p] = field[p]; b[2 * p + 1] = 0 }
        work.forward()
        return Array(b)
    }

    /// The nearest reference of `field`, skipping reference `excluded` (the field itself when it is
    /// one of the references). The distance is 0 for a field that is a translated, rotated or
    /// reflected reference (to round-off, ~1e-8 after the square root).
    ///
    /// ‖a − T g b‖ = ‖g⁻¹a − T′ b‖ (g is orthogonal and g⁻¹T g = T′ is a translation), so the
    /// 8 images g⁻¹a of the query are transformed once and each reference is correlated with them
    /// as it is stored: no reference is permuted.
    public func nearest(to field: [Double], excluding excluded: Int? = nil) -> NearestField {
        let normA = field.reduce(0) { $0 + $1 * $1 }
        guard normA > 0 else { return NearestField(distance: .nan, reference: -1, symmetry: 0) }
        let a = transform(field), points = n * n
        // FFT of g⁻¹a is σ f̂(source_{g⁻¹}(k)) (the element's index map acts on wavenumbers too).
        let images: [[Double]] = (0 ..< BoxSymmetry.count).map { g in
            let h = BoxSymmetry.inverse(g), sigma = BoxSymmetry.sign(h)
            var out = [Double](repeating: 0, count: 2 * points)
            for i in 0 ..< n {
                for j in 0 ..< n {
                    let (si, sj) = BoxSymmetry.source(h, i, j, n: n)
                    out[2 * (i * n + j)] = sigma * a[2 * (si * n + sj)]
                    out[2 * (i * n + j) + 1] = sigma * a[2 * (si * n + sj) + 1]
                }
            }
            return out
        }
        var best = NearestField(distance: .infinity, reference: -1, symmetry: 0)
        let b = work.buffer, scale = 1 / Double(points)
        for (r, f) in spectra.enumerated() where r != excluded {
            for g in 0 ..< BoxSymmetry.count {
                // Â_g(k)·conj(F̂(k)), backward/N²: ⟨g⁻¹a, T_s b⟩ for every shift s.
                images[g].withUnsafeBufferPointer { x in
                    f.withUnsafeBufferPointer { y in
                        for p in 0 ..< points {
                            let xr = x[2 * p], xi = x[2 * p + 1], yr = y[2 * p], yi = y[2 * p + 1]
                            b[2 * p] = xr * yr + xi * yi
                            b[2 * p + 1] = xi * yr - xr * yi
                        }
                    }
                }
                work.backward()
                var peak = -Double.infinity
                for p in 0 ..< points { peak = max(peak, b[2 * p]) }
                let squared = normA + squaredNorms[r] - 2 * peak * scale
                let d = max(squared, 0).squareRoot() / normA.squareRoot()
                if d < best.distance { best = NearestField(distance: d, reference: r, symmetry: g) }
            }
        }
        return best.reference < 0 ? NearestField(distance: .nan, reference: -1, symmetry: 0) : best
    }
}
