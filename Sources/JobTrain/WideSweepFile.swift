import Foundation
import JobKit
import Learning
import Parallel
import Storage

/// The diagnostics of one (width, seed) run of a wide sweep. NaN marks a quantity not measured.
public struct WideRunResult: Equatable, Sendable {
    public var width: Int
    public var seed: Int
    /// ‖θ_T − θ_0‖ / ‖θ_0‖.
    public var relativeWeightChange: Double
    /// ‖f(θ_T) − f_lin(θ_T)‖ / ‖f(θ_T) − f(θ_0)‖ on the probe set, f_lin(θ) = f(θ_0) + J(θ_0)(θ − θ_0).
    public var linearizationGap: Double
    /// ‖Θ_T − Θ_0‖_F / ‖Θ_0‖_F of the empirical NTK Θ = J Jᵀ on the probe set.
    public var ntkChange: Double
    /// ‖½ Δθᵀ H Δθ‖ / ‖J Δθ‖ on the probe set (second- against first-order Taylor term).
    public var secondOrderRatio: Double
    /// Training loss after the last step.
    public var finalLoss: Double
    /// Parameters of the network.
    public var parameters: Int

    public init(width: Int, seed: Int, relativeWeightChange: Double, linearizationGap: Double, ntkChange: Double,
                secondOrderRatio: Double, finalLoss: Double, parameters: Int) {
        self.width = width
        self.seed = seed
        self.relativeWeightChange = relativeWeightChange
        self.linearizationGap = linearizationGap
        self.ntkChange = ntkChange
        self.secondOrderRatio = secondOrderRatio
        self.finalLoss = finalLoss
        self.parameters = parameters
    }

    /// The values in a fixed order, for gathering over ranks.
    var packed: [Double] {
        [Double(width), Double(seed), relativeWeightChange, linearizationGap, ntkChange, secondOrderRatio, finalLoss, Double(parameters)]
    }

    static let packedCount = 8

    init(packed p: ArraySlice<Double>) {
        let v = Array(p)
        self.init(width: Int(v[0]), seed: Int(v[1]), relativeWeightChange: v[2], linearizationGap: v[3], ntkChange: v[4],
                  secondOrderRatio: v[5], finalLoss: v[6], parameters: Int(v[7]))
    }
}

/// `wide_sweep.h5` (layout in docs/training.md): `/widths` [W], `/seeds` [S], and widths × seeds
/// arrays `/relative_weight_change`, `/linearization_gap`, `/ntk_change`, `/second_order_ratio`,
/// each with `slope` and `slope_stderr` attributes (``slope(widths:values:)``, a `PowerLawFit`), plus `/final_loss` and
/// `/parameters` [W]. Written atomically; takes plain values so any diagnostics can feed it.
public enum WideSweepFile {
    /// The four quantities against width, with their dataset names.
    public static let quantities: [(name: String, value: @Sendable (WideRunResult) -> Double, doc: String)] = [
        ("relative_weight_change", \.relativeWeightChange, "‖θ_T − θ_0‖ / ‖θ_0‖"),
        ("linearization_gap", \.linearizationGap, "‖f(θ_T) − f_lin(θ_T)‖ / ‖f(θ_T) − f(θ_0)‖ on the probe set, f_lin the linearisation at θ_0"),
        ("ntk_change", \.ntkChange, "‖Θ_T − Θ_0‖_F / ‖Θ_0‖_F of the empirical NTK on the probe set"),
        ("second_order_ratio", \.secondOrderRatio, "‖½ Δθᵀ H Δθ‖ / ‖J Δθ‖ on the probe set"),
    ]

    /// The log–log slope of `values` against `widths` (one point per (width, seed)) and its
    /// standard error by `PowerLawFit`, over the finite positive values only (a diverged run is
    /// NaN); NaN slope and error when fewer than 3 such points or a single width remain.
    public static func slope(widths: [Int], values: [Double]) -> (slope: Double, standardError: Double, points: Int) {
        let kept = zip(widths, values).filter { $0.0 > 0 && $0.1 > 0 && $0.1.isFinite }
        guard let fit = try? PowerLawFit(x: kept.map { Double($0.0) }, y: kept.map(\.1)) else { return (.nan, .nan, kept.count) }
        return (fit.slope, fit.slopeStandardError, fit.points)
    }

    /// Writes the results of every (width, seed) of `widths` × `seeds` (a missing run is NaN).
    /// Collective; rank 0's values are written.
    public static func write(path: String, widths: [Int], seeds: [Int], results: [WideRunResult],
                             attributes: [String: AttributeValue], communicator: Communicator) throws {
        let file = try H5File.create(path, communicator: communicator)
        try file.setAttribute("cascade_version", .string(CascadeVersion.current))
        for key in attributes.keys.sorted() { try file.setAttribute(key, attributes[key]!) }
        try ResultWriter.array(file, "/widths", widths, shape: [widths.count])
        try ResultWriter.array(file, "/seeds", seeds, shape: [seeds.count])
        var byRun: [[Int]: WideRunResult] = [:]
        for r in results { byRun[[r.width, r.seed]] = r }
        func grid(_ value: (WideRunResult) -> Double) -> [Double] {
            widths.flatMap { w in seeds.map { s in byRun[[w, s]].map(value) ?? .nan } }
        }
        let axisWidths = widths.flatMap { w in seeds.map { _ in w } }
        for q in quantities {
            let values = grid(q.value)
            let path = "/" + q.name
            try ResultWriter.array(file, path, values, shape: [widths.count, seeds.count])
            let fit = slope(widths: axisWidths, values: values)
            try file.setAttribute("slope", .double(fit.slope), on: path)
            try file.setAttribute("slope_stderr", .double(fit.standardError), on: path)
            try file.setAttribute("slope_points", .int(fit.points), on: path)
            try file.setAttribute("description", .string(q.doc + "; widths × seeds, slope of log value against log width"), on: path)
        }
        try ResultWriter.array(file, "/final_loss", grid(\.finalLoss), shape: [widths.count, seeds.count])
        try file.setAttribute("description", .string("training loss after the last step; widths × seeds"), on: "/final_loss")
        let parameters = widths.map { w in results.first { $0.width == w }?.parameters ?? 0 }
        try ResultWriter.array(file, "/parameters", parameters, shape: [widths.count])
        try file.close()
    }
}
