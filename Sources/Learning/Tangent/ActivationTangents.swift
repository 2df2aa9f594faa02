import CLearningKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An element-wise activation with its first two derivatives: y = σ(x) gives, along an input
/// path x + εẋ + ½ε²ẍ, ẏ = σ'(x)·ẋ and ÿ = σ''(x)·ẋ² + σ'(x)·ẍ (no parameters, so the direction
/// does not enter).
protocol ElementwiseTangent: ElementwiseActivation, TangentLayer {
    /// σ(x), σ'(x) and σ''(x) at one point.
    static func taylorCoefficients(_ x: Float) -> (value: Float, first: Float, second: Float)
    /// Overwrites y with the layer's own forward values when they come from a C kernel, so the
    /// tangent pass's y equals `forward` bit for bit (default: keep the coefficients' value).
    static func forwardValues(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int)
}

extension ElementwiseTangent {
    static func forwardValues(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {}
}

extension ElementwiseTangent {
    /// y = σ(x), ẏ = σ'(x)·ẋ, and with ẍ given ÿ = σ''(x)·ẋ² + σ'(x)·ẍ, into the layer's tangent
    /// buffers (the training buffers and the saved forward input are left alone).
    public func tangentForward(_ x: UnsafePointer<Float>, _ dx: UnsafePointer<Float>, _ ddx: UnsafePointer<Float>?,
                               direction: UnsafePointer<Float>, rows: Int)
        -> (y: UnsafePointer<Float>, dy: UnsafePointer<Float>, ddy: UnsafePointer<Float>?) {
        precondition(s.built && rows <= s.batch, "\(summary).tangentForward: \(rows) rows, built for \(s.batch)")
        let out = s.tangent.prepare(count: s.batch * s.width, secondOrder: ddx != nil)
        let n = rows * s.width
        if let ddx, let ddy = out.ddy {
            for i in 0 ..< n {
                let c = Self.taylorCoefficients(x[i]), t = dx[i]
                out.y[i] = c.value
                out.dy[i] = c.first * t
                ddy[i] = c.second * t * t + c.first * ddx[i]
            }
        } else {
            for i in 0 ..< n {
                let c = Self.taylorCoefficients(x[i])
                out.y[i] = c.value
                out.dy[i] = c.first * dx[i]
            }
        }
        Self.forwardValues(x, into: out.y, count: n)
        return (UnsafePointer(out.y), UnsafePointer(out.dy), out.ddy.map { UnsafePointer($0) })
    }
}

extension ReLU: ElementwiseTangent {
    /// max(0, x), 1 for x > 0 else 0 (the kink's derivative is 0 as in backward), σ'' = 0.
    @inline(__always)
    static func taylorCoefficients(_ x: Float) -> (value: Float, first: Float, second: Float) {
        x > 0 ? (x, 1, 0) : (0, 0, 0)
    }
}

extension Tanh: ElementwiseTangent {
    /// t = tanh x, σ' = 1 − t², σ'' = −2t·(1 − t²).
    @inline(__always)
    static func taylorCoefficients(_ x: Float) -> (value: Float, first: Float, second: Float) {
        let t = tanhf(x), d = 1 - t * t
        return (t, d, -2 * t * d)
    }
}

extension GELU: ElementwiseTangent {
    /// y = ½x(1 + t), t = tanh u, u = c(x + a x³), u' = c(1 + 3a x²), u'' = 6ac·x:
    /// σ' = ½(1 + t) + ½x(1 − t²)u', σ'' = (1 − t²)·(u' + ½x·(u'' − 2t·u'²)).
    @inline(__always)
    static func taylorCoefficients(_ x: Float) -> (value: Float, first: Float, second: Float) {
        let u = c * (x + a * x * x * x), t = tanhf(u), sech2 = 1 - t * t
        let u1 = c * (1 + 3 * a * x * x), u2 = 6 * a * c * x
        let first = 0.5 * (1 + t) + 0.5 * x * sech2 * u1
        let second = sech2 * (u1 + 0.5 * x * (u2 - 2 * t * u1 * u1))
        return (0.5 * x * (1 + t), first, second)
    }
}

extension GELU {
    static func forwardValues(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        cl_gelu_forward(x, y, count)
    }
}

extension SiLU {
    static func forwardValues(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        cl_silu_forward(x, y, count)
    }
}

extension SiLU: ElementwiseTangent {
    /// g = σ(x) (overflow-free), y = x·g, σ' = g(1 + x(1 − g)), σ'' = g(1 − g)(2 + x(1 − 2g)).
    @inline(__always)
    static func taylorCoefficients(_ x: Float) -> (value: Float, first: Float, second: Float) {
        let g = stableSigmoid(x), h = g * (1 - g)
        return (x * g, g * (1 + x * (1 - g)), h * (2 + x * (1 - 2 * g)))
    }
}
