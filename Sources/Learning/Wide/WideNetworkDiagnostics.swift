/// The four lazy-training diagnostics of one trained network (see `Linearization` and
/// `EmpiricalNTK` for the definitions and norms), plus the training loss at start and end.
public struct WideNetworkDiagnostics: Sendable, Equatable, Codable {
    /// ‖θ_T − θ₀‖ / ‖θ₀‖.
    public var relativeWeightChange: Double
    /// ‖f(θ_T) − f_lin(θ_T)‖ / ‖f(θ_T) − f(θ₀)‖ on the probes.
    public var linearizationGap: Double
    /// ‖Θ_T − Θ₀‖_F / ‖Θ₀‖_F on the probes.
    public var ntkChange: Double
    /// ‖½·Δθᵀ·H·Δθ‖ / ‖J·Δθ‖ on the probes.
    public var secondOrderRatio: Double
    /// Training loss before the first step (NaN if the training closure reports none).
    public var initialLoss: Double
    /// Training loss of the last step.
    public var finalLoss: Double

    /// The four diagnostics in the order of the wide-sweep outputs (relative weight change,
    /// linearisation gap, NTK change, second-order ratio).
    public var values: [Double] { [relativeWeightChange, linearizationGap, ntkChange, secondOrderRatio] }

    /// Names matching `values`, as the wide-sweep job writes them.
    public static let names = ["relative_weight_change", "linearization_gap", "ntk_change", "second_order_ratio"]
}

/// Measures the diagnostics around any training procedure: the caller builds the model and
/// trains it; this records θ₀ and Θ₀ before and compares after. No MPI here: a data-parallel
/// trainer can run inside `train` (every rank then computes the same diagnostics).
public enum WideNetworkStudy {
    /// Records θ₀ and Θ₀ of `model` on the probes, calls `train(model)` (which must leave the
    /// trained parameters in `model.store.values` and return the (initial, final) training loss),
    /// then measures the linearisation and the kernel change at θ_T. Throws before training if a
    /// layer has no forward-mode derivative, or whatever `train` throws.
    public static func measure(model: Sequential, probes: [Float], probeCount: Int,
                               ntkMemoryBudget: Int = EmpiricalNTK.defaultMemoryBudget,
                               train: (Sequential) throws -> (initial: Double, final: Double)) throws -> WideNetworkDiagnostics {
        let linearization = try Linearization(model: model, probes: probes, probeCount: probeCount)
        let ntk0 = EmpiricalNTK(model: model, probes: probes, probeCount: probeCount, memoryBudget: ntkMemoryBudget)
        let losses = try train(model)
        let m = linearization.measure()
        let ntkT = EmpiricalNTK(model: model, probes: probes, probeCount: probeCount, memoryBudget: ntkMemoryBudget)
        return WideNetworkDiagnostics(relativeWeightChange: m.relativeWeightChange, linearizationGap: m.linearizationGap,
                                      ntkChange: ntkT.relativeChange(from: ntk0), secondOrderRatio: m.secondOrderRatio,
                                      initialLoss: losses.initial, finalLoss: losses.final)
    }

    /// One (width, seed) run of the built-in lazy-training experiment (`LazyTrainingRun`):
    /// validates the configuration, builds the teacher task and the NTK-parameterised student,
    /// trains it by SGD and returns the diagnostics.
    public static func run(_ config: LazyTrainingRun) throws -> WideNetworkDiagnostics {
        try config.validate()
        let task = TeacherStudentTask(config)
        let model = try config.makeStudent()
        return try measure(model: model, probes: task.probeInputs, probeCount: config.probeSamples,
                           ntkMemoryBudget: config.ntkMemoryBudget) { model in
            try SGDRegression.train(model, task: task, config: config)
        }
    }
}

extension WideNetworkStudy {
    /// Log–log fits of each diagnostic against width, in the order of `WideNetworkDiagnostics.names`.
    /// `runs[i]` holds the runs (one per seed) of `widths[i]`; every (width, seed) is one point of
    /// the fit, so the seeds' scatter enters the standard error (see `PowerLawFit`).
    public static func fits(widths: [Int], runs: [[WideNetworkDiagnostics]]) throws -> [PowerLawFit] {
        precondition(widths.count == runs.count, "fits: \(widths.count) widths but \(runs.count) rows of runs")
        var x: [Double] = []
        var y = [[Double]](repeating: [], count: WideNetworkDiagnostics.names.count)
        for (w, row) in zip(widths, runs) {
            for d in row {
                x.append(Double(w))
                for (k, v) in d.values.enumerated() { y[k].append(v) }
            }
        }
        return try y.map { try PowerLawFit(x: x, y: $0) }
    }
}
