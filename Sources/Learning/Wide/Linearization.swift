/// The network against its linearisation around the start of training, on a probe set.
///
/// Records θ₀ (a copy of the model's parameters) and the probes when created; `measure()` then
/// compares the model's current parameters θ_t with
///
///     f_lin(θ_t) = f(θ₀) + J(θ₀)·Δθ,   Δθ = θ_t − θ₀,
///
/// where J(θ₀)·Δθ is the exact Jacobian–vector product of a forward-mode pass at θ₀ (no finite
/// differences). The same pass gives Δθᵀ·H(θ₀)·Δθ per output, the second-order Taylor term.
/// All norms are Euclidean over every probe and every output (probes × outputs numbers):
///
/// - relative weight change ‖θ_t − θ₀‖ / ‖θ₀‖ (over all parameters);
/// - linearisation gap ‖f(θ_t) − f_lin(θ_t)‖ / ‖f(θ_t) − f(θ₀)‖: the part of the function's change
///   that the linear model misses, relative to the change itself (0 for a linear model, about 1 when
///   the linear model explains nothing; normalising by the change, not by ‖f‖, makes it independent
///   of the output's scale and of the size of f(θ₀));
/// - second-order ratio ‖½·Δθᵀ·H·Δθ‖ / ‖J·Δθ‖: the size of the next Taylor term relative to the
///   first (for small Δθ it equals the gap to leading order).
///
/// `measure()` swaps θ₀ into the store for the tangent pass and puts θ_t back before it returns;
/// it must not be called between a forward and its backward. Its buffers are allocated here, once.
public final class Linearization {
    /// The model, whose `store.values` are θ_t at each `measure()`.
    public let model: Sequential
    /// θ₀: the parameters when this was created.
    public let initialParameters: [Float]
    /// Probe inputs, probeCount × model.inputFeatures.
    public let probes: [Float]
    /// Number of probe samples.
    public let probeCount: Int
    /// ‖θ₀‖₂.
    public let initialParameterNorm: Double

    private var delta: [Float]
    private var current: [Float]
    private var initialOutputs: [Float]
    private var firstOrder: [Float]
    private var secondOrder: [Float]
    private var currentOutputs: [Float]

    /// Records θ₀ from `model` and copies the probes (probeCount rows of the model's input width;
    /// any number of rows: they go through the model `model.batch` at a time). Throws
    /// `TangentUnsupportedError` if a layer has no forward-mode derivative, so that is known before
    /// any training.
    public init(model: Sequential, probes: [Float], probeCount: Int) throws {
        precondition(probeCount > 0 && probes.count == probeCount * model.inputFeatures,
                     "Linearization: \(probes.count) probe values for \(probeCount) probes of \(model.inputFeatures)")
        _ = try model.tangentLayers()
        self.model = model
        self.initialParameters = model.store.values
        self.probes = probes
        self.probeCount = probeCount
        initialParameterNorm = VectorNorms.norm(initialParameters)
        let n = model.store.count, outputs = probeCount * model.outputFeatures
        delta = [Float](repeating: 0, count: n)
        current = [Float](repeating: 0, count: n)
        initialOutputs = [Float](repeating: 0, count: outputs)
        firstOrder = initialOutputs
        secondOrder = initialOutputs
        currentOutputs = initialOutputs
    }

    /// ‖θ_t − θ₀‖ / ‖θ₀‖ for the model's current parameters (0 if θ₀ = 0 and nothing moved).
    public func relativeWeightChange() -> Double {
        VectorNorms.ratio(VectorNorms.distance(model.store.values, initialParameters), initialParameterNorm)
    }

    /// The three diagnostics at the model's current parameters θ_t (see the type's documentation).
    public func measure() -> LinearizationMeasurement {
        let store = model.store, n = store.count
        let weightChange = relativeWeightChange()
        // Δθ = θ_t − θ₀, keep θ_t, and evaluate the Taylor pass at θ₀.
        store.withUnsafeValues { v in
            initialParameters.withUnsafeBufferPointer { p in
                current.withUnsafeMutableBufferPointer { c in c.baseAddress!.update(from: v.baseAddress!, count: n) }
                delta.withUnsafeMutableBufferPointer { d in for i in 0 ..< n { d[i] = v[i] - p[i] } }
            }
        }
        copyIntoStore(initialParameters)
        let features = model.inputFeatures, out = model.outputFeatures
        forEachProbeChunk { start, rows in
            probes.withUnsafeBufferPointer { x in
                delta.withUnsafeBufferPointer { d in
                    let chunk = UnsafeBufferPointer(rebasing: x[start * features ..< (start + rows) * features])
                    let t = model.taylor(x: chunk, direction: d, rows: rows, secondOrder: true)
                    let range = start * out ..< (start + rows) * out
                    copy(t.value, into: &initialOutputs, range)
                    copy(t.first, into: &firstOrder, range)
                    copy(t.second!, into: &secondOrder, range)
                }
            }
        }
        copyIntoStore(current)
        forEachProbeChunk { start, rows in
            probes.withUnsafeBufferPointer { x in
                let chunk = UnsafeBufferPointer(rebasing: x[start * features ..< (start + rows) * features])
                copy(model.forward(chunk, rows: rows), into: &currentOutputs, start * out ..< (start + rows) * out)
            }
        }
        var change = 0.0, miss = 0.0, first = 0.0, second = 0.0
        for i in 0 ..< initialOutputs.count {
            let df = Double(currentOutputs[i]) - Double(initialOutputs[i])
            let lin = Double(firstOrder[i]), quad = 0.5 * Double(secondOrder[i])
            change += df * df
            miss += (df - lin) * (df - lin)
            first += lin * lin
            second += quad * quad
        }
        return LinearizationMeasurement(
            relativeWeightChange: weightChange,
            linearizationGap: VectorNorms.ratio(miss.squareRoot(), change.squareRoot()),
            secondOrderRatio: VectorNorms.ratio(second.squareRoot(), first.squareRoot()),
            outputChange: change.squareRoot(), firstOrderNorm: first.squareRoot())
    }

    private func forEachProbeChunk(_ body: (_ start: Int, _ rows: Int) -> Void) {
        var start = 0
        while start < probeCount {
            let rows = min(model.batch, probeCount - start)
            body(start, rows)
            start += rows
        }
    }

    private func copy(_ source: UnsafeBufferPointer<Float>, into target: inout [Float], _ range: Range<Int>) {
        target.withUnsafeMutableBufferPointer { t in
            for (k, i) in range.enumerated() { t[i] = source[k] }
        }
    }

    private func copyIntoStore(_ parameters: [Float]) {
        parameters.withUnsafeBufferPointer { p in
            model.store.withUnsafeMutableValues { $0.baseAddress!.update(from: p.baseAddress!, count: p.count) }
        }
    }
}

/// What `Linearization.measure()` returns (norms over probes × outputs; see `Linearization`).
public struct LinearizationMeasurement: Sendable, Equatable, Codable {
    /// ‖θ_t − θ₀‖ / ‖θ₀‖.
    public var relativeWeightChange: Double
    /// ‖f(θ_t) − f(θ₀) − J·Δθ‖ / ‖f(θ_t) − f(θ₀)‖.
    public var linearizationGap: Double
    /// ‖½·Δθᵀ·H·Δθ‖ / ‖J·Δθ‖.
    public var secondOrderRatio: Double
    /// ‖f(θ_t) − f(θ₀)‖, the gap's denominator.
    public var outputChange: Double
    /// ‖J·Δθ‖, the ratio's denominator.
    public var firstOrderNorm: Double
}
