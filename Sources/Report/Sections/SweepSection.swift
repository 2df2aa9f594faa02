import Foundation
import JobKit

/// rmt-sweep: each statistic against the number of samples M, one curve per dataset with ±1 sd
/// error bars over the repeats (log M), with the references where they are constants.
enum SweepSection {
    static func render(_ directory: URL, _ record: RunRecord, on page: ReportPage) throws {
        let name = CovarianceSection.outputName(record, default: "sweep.h5")
        let f = try OutputFile(name, in: directory)
        guard let columnsText = f.text("columns") else {
            page.problem("\(f.url.path) has no @columns attribute: not an rmt-sweep output this report can read")
            return
        }
        let columns = columnsText.split(separator: ",").map(String.init)
        let datasets = f.paths.filter { $0.split(separator: "/").count == 1 && f.has("\($0)/sizes") && f.has("\($0)/mean") }
        let lengths = f.doubles("/L") ?? []
        let lastL = lengths.last.map { Int($0) }
        var quantities: [(String, String, String)] = [
            ("mean_gap_ratio", "Mean gap ratio ⟨r⟩", "⟨r⟩"),
            ("alpha", "Power-law exponent α of the rank plot", "α"),
            ("brody_beta", "Brody parameter β", "β"),
        ]
        if let lastL {
            quantities.append(("sigma2_L\(lastL)", "Number variance Σ²(L = \(lastL))", "Σ²"))
            quantities.append(("delta3_L\(lastL)", "Spectral rigidity Δ₃(L = \(lastL))", "Δ₃"))
        }
        quantities.append(("ks_goe", "Kolmogorov–Smirnov distance of P(s) to GOE", "KS distance"))
        page.heading("Convergence with the number of samples (\(name))")
        page.html("<div class=\"grid\">")
        for (column, title, symbol) in quantities {
            guard let c = columns.firstIndex(of: column) else { continue }
            var series: [Series] = []
            for ds in datasets {
                guard let sizes = f.doubles("\(ds)/sizes"), let mean = f.doubles("\(ds)/mean"), let sd = f.doubles("\(ds)/std"),
                      mean.count == sizes.count * columns.count, sd.count == mean.count else { continue }
                series.append(Series(ds.trimmingCharacters(in: CharacterSet(charactersIn: "/")), x: sizes,
                                     y: sizes.indices.map { mean[$0 * columns.count + c] },
                                     sigma: sizes.indices.map { sd[$0 * columns.count + c] }))
            }
            if column == "mean_gap_ratio", let xs = series.flatMap(\.x).min(), let xe = series.flatMap(\.x).max() {
                for (ref, label) in [("poisson", "Poisson"), ("goe", "GOE"), ("gue", "GUE")] {
                    if let v = f.number("mean_gap_ratio_\(ref)", of: "/reference") {
                        series.append(Series(label, x: [xs, xe], y: [v, v], sigma: [0, 0], style: .dashed))
                    }
                }
            }
            page.chart(Chart(title: title, x: "samples M", y: symbol, logX: true, series: series,
                             note: "Mean over the repeats (nested subsets) with ±1 standard deviation."))
        }
        page.html("</div>")
    }
}
