#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A least-squares fit of y = a·x^s on log–log axes: log y = log a + s·log x.
///
/// Every (x, y) pair is one point; for a sweep over widths with several seeds, pass all
/// widths × seeds points (repeated x values), so the seeds' scatter enters the residuals and thus
/// the standard error. The standard error is the ordinary least-squares one,
/// sqrt(Σ r² / (n − 2) / Σ (log x − mean log x)²), which treats the points as independent with
/// equal scatter in log y.
public struct PowerLawFit: Sendable, Equatable, Codable {
    /// The exponent s.
    public let slope: Double
    /// Its standard error (0 when the points lie exactly on a line).
    public let slopeStandardError: Double
    /// The prefactor a.
    public let prefactor: Double
    /// Number of points fitted.
    public let points: Int

    /// Fits `y` against `x` (same length, at least 3 points, all positive, at least two distinct x).
    public init(x: [Double], y: [Double]) throws {
        guard x.count == y.count else { throw PowerLawFitError.lengthMismatch(x: x.count, y: y.count) }
        guard x.count >= 3 else { throw PowerLawFitError.tooFewPoints(x.count) }
        for (xi, yi) in zip(x, y) where !(xi > 0 && yi > 0 && xi.isFinite && yi.isFinite) {
            throw PowerLawFitError.notPositive(x: xi, y: yi)
        }
        let lx = x.map { log($0) }, ly = y.map { log($0) }, n = Double(x.count)
        let mx = lx.reduce(0, +) / n, my = ly.reduce(0, +) / n
        var sxx = 0.0, sxy = 0.0
        for i in 0 ..< x.count {
            sxx += (lx[i] - mx) * (lx[i] - mx)
            sxy += (lx[i] - mx) * (ly[i] - my)
        }
        guard sxx > 0 else { throw PowerLawFitError.singleAbscissa(x[0]) }
        let s = sxy / sxx, intercept = my - s * mx
        var ssr = 0.0
        for i in 0 ..< x.count {
            let r = ly[i] - intercept - s * lx[i]
            ssr += r * r
        }
        slope = s
        slopeStandardError = (ssr / (n - 2) / sxx).squareRoot()
        prefactor = exp(intercept)
        points = x.count
    }
}

/// Why a power-law fit was refused.
public enum PowerLawFitError: Error, Equatable, CustomStringConvertible {
    /// x and y differ in length.
    case lengthMismatch(x: Int, y: Int)
    /// Fewer than three points (a slope's standard error needs n − 2 > 0).
    case tooFewPoints(Int)
    /// A point with x ≤ 0, y ≤ 0 or a non-finite value has no logarithm.
    case notPositive(x: Double, y: Double)
    /// Every x is the same: no slope.
    case singleAbscissa(Double)

    /// One line saying what is wrong.
    public var description: String {
        switch self {
        case let .lengthMismatch(x, y): "power-law fit: \(x) x values but \(y) y values"
        case let .tooFewPoints(n): "power-law fit: \(n) points, need at least 3 for a slope and its standard error"
        case let .notPositive(x, y): "power-law fit: point (\(x), \(y)) is not positive and finite, so it has no logarithm"
        case let .singleAbscissa(x): "power-law fit: every x equals \(x), so there is no slope"
        }
    }
}
