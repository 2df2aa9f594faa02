import Foundation
import JobKit
import Storage

/// covariance: the eigenvalue rank plot with the fitted power law, spacing and gap-ratio
/// histograms and Σ², Δ₃ beside the Poisson/GOE/GUE references (docs/rmt.md lists rmt.h5).
enum CovarianceSection {
    static func render(_ directory: URL, _ record: RunRecord, on page: ReportPage) throws {
        let name = outputName(record, default: "rmt.h5")
        let f = try OutputFile(name, in: directory)
        let st = "/statistics"
        page.heading("Eigen-spectrum and random-matrix statistics (\(name))")
        page.html("<div class=\"grid\">")
        if let ranked = f.doubles("\(st)/rank_ordered") {
            let ranks = (1 ... max(ranked.count, 1)).map(Double.init)
            var series = [Series("λ_i", x: ranks, y: ranked)]
            for ref in ["poisson", "goe"] {
                if let y = f.doubles("\(st)/rank_ordered_reference/\(ref)") { series.append(Series("\(ref.uppercased() == "POISSON" ? "Poisson" : "GOE") reference", x: ranks, y: y, style: .dashed)) }
            }
            var note = "Eigenvalues in descending order against their rank (log–log)."
            if let alpha = f.number("power_law_alpha", of: st), let c = f.number("power_law_prefactor", of: st),
               let lo = f.number("power_law_first_rank", of: st), let hi = f.number("power_law_last_rank", of: st), lo >= 1, hi >= lo {
                let xs = Array(stride(from: lo, through: hi, by: max(1, (hi - lo) / 200)))
                series.append(Series("fit c·i^−(1+α), α = \(fmt(alpha, 4))", x: xs, y: xs.map { c * pow($0, -(1 + alpha)) }, style: .dashed))
                note += " Fit λ_i = c·i^−(1+α) over ranks \(Int(lo))…\(Int(hi)): α = \(fmt(alpha, 4)), c = \(fmt(c, 4))"
                if let r2 = f.number("power_law_r2", of: st) { note += ", R² = \(fmt(r2, 5))" }
                note += "."
            }
            page.chart(Chart(title: "Rank plot of the eigenvalues", x: "rank i", y: "eigenvalue λ_i", logX: true, logY: true, series: series, note: note))
        }
        histogram(f, "\(st)/spacing", x: "s", title: "Nearest-neighbour spacing distribution P(s)", xLabel: "unfolded spacing s (mean 1)",
                  extra: ["brody": "Brody fit"], on: page)
        histogram(f, "\(st)/gap_ratio", x: "r", title: "Gap-ratio distribution P(r)", xLabel: "gap ratio r = min(s_i, s_{i+1}) / max(s_i, s_{i+1})", extra: [:], on: page,
                  note: f.number("mean", of: "\(st)/gap_ratio").map { "⟨r⟩ = \(fmt($0, 4)) (Poisson 0.3863, GOE 0.5307, GUE 0.5996)" })
        curves(f, "\(st)/number_variance", measured: "sigma2", title: "Number variance Σ²(L)", y: "Σ²(L)", symbol: "Σ²", on: page)
        curves(f, "\(st)/rigidity", measured: "delta3", title: "Spectral rigidity Δ₃(L)", y: "Δ₃(L)", symbol: "Δ₃", on: page)
        page.html("</div>")
        let keys = ["levels", "kept", "zeros_dropped", "unfolding", "entropy", "effective_rank", "participation_ratio"]
        let attrs = f.attributes(st)
        let rows = keys.compactMap { k in attrs[k].map { [k, describe($0)] } }
        if !rows.isEmpty { page.table(["statistic", "value"], rows) }
        if let warnings = f.text("warnings", of: st), !warnings.isEmpty { page.html("<p class=\"notice\">\(escapeHTML(warnings))</p>") }
    }

    static func describe(_ v: AttributeValue) -> String {
        if let x = v.doubleValue { return v.intValue.map(String.init) ?? fmt(x, 6) }
        return v.stringValue ?? v.description
    }

    /// The output file a record lists with the given extension, or `fallback`.
    static func outputName(_ record: RunRecord, default fallback: String) -> String {
        record.outputs?.first { $0.hasSuffix(".h5") && $0 != "checkpoint.h5" } ?? record.plannedOutputs.first { $0.hasSuffix(".h5") && $0 != "checkpoint.h5" } ?? fallback
    }

    /// A measured histogram (density on bin centres `x`) as steps, with the reference curves.
    static func histogram(_ f: OutputFile, _ group: String, x: String, title: String, xLabel: String, extra: [String: String],
                          on page: ReportPage, note: String? = nil) {
        guard let centres = f.doubles("\(group)/\(x)"), let density = f.doubles("\(group)/density") else { return }
        var series = [Series("measured", x: centres, y: density, style: .step)]
        for (ref, label) in [("poisson", "Poisson"), ("goe", "GOE"), ("gue", "GUE")] + extra.sorted(by: { $0.key < $1.key }).map({ ($0.key, $0.value) }) {
            if let y = f.doubles("\(group)/\(ref)") { series.append(Series(label, x: centres, y: y, style: .dashed)) }
        }
        page.chart(Chart(title: title, x: xLabel, y: "probability density", series: series, note: note))
    }

    static func curves(_ f: OutputFile, _ group: String, measured: String, title: String, y: String, symbol: String, on page: ReportPage) {
        guard let l = f.doubles("\(group)/L"), let m = f.doubles("\(group)/\(measured)") else { return }
        var series = [Series("\(symbol) measured", x: l, y: m)]
        for (ref, label) in [("poisson", "Poisson"), ("goe", "GOE"), ("gue", "GUE")] {
            if let v = f.doubles("\(group)/\(ref)") { series.append(Series(label, x: l, y: v, style: .dashed)) }
        }
        page.chart(Chart(title: title, x: "interval length L (unfolded levels)", y: y, series: series))
    }
}
