import Foundation
import JobKit

/// train: loss and accuracy against step (training batches and held-out evaluations), and for
/// Gaussian-mixture data the comparison with the Bayes-optimal classifier (docs/training.md).
enum TrainSection {
    static func render(_ directory: URL, _ record: RunRecord, on page: ReportPage) throws {
        let f = try OutputFile("training.h5", in: directory)
        page.heading("Training curves (training.h5)")
        page.html("<div class=\"grid\">")
        let step = f.doubles("/metrics/step"), evalStep = f.doubles("/eval/step")
        func curves(_ name: String) -> [Series] {
            var s: [Series] = []
            if let step, let y = f.doubles("/metrics/\(name)") { s.append(Series("train (batch)", x: step, y: y)) }
            if let evalStep, let y = f.doubles("/eval/\(name)") { s.append(Series("eval (held out)", x: evalStep, y: y)) }
            return s
        }
        let loss = f.text("loss") ?? "loss"
        page.chart(Chart(title: "Loss", x: "optimizer step", y: "loss", logY: true, series: curves("loss"), note: "Loss: \(loss); train values are the logged batches, eval the held-out set."))
        page.chart(Chart(title: "Accuracy", x: "optimizer step", y: "accuracy (fraction correct)", series: curves("accuracy")))
        if let step, let lr = f.doubles("/metrics/learning_rate") {
            page.chart(Chart(title: "Learning rate", x: "optimizer step", y: "learning rate", logY: true, series: [Series("learning rate", x: step, y: lr)]))
        }
        page.html("</div>")
        if f.has("/bayes/network_accuracy") {
            page.heading("Bayes-optimal comparison (Gaussian mixture)")
            func v(_ n: String) -> String { f.doubles("/bayes/\(n)")?.first.map { fmt($0, 5) } ?? "–" }
            page.table(["quantity", "value"], [
                ["network accuracy", v("network_accuracy")],
                ["Bayes classifier accuracy (on the test samples)", v("bayes_accuracy") + " ± " + (f.doubles("/bayes/bayes_accuracy_stderr")?.first.map { fmt($0, 2) } ?? "–") + " (standard error)"],
                ["Bayes accuracy, closed form", v("bayes_accuracy_closed_form")],
                ["agreement (same label as Bayes)", v("agreement")],
                ["logit correlation with Bayes", v("logit_correlation")],
                ["test samples", f.number("samples", of: "/bayes").map { String(Int($0)) } ?? "–"],
            ])
        }
    }
}

/// wide-sweep: each lazy-training diagnostic against width (log–log), one point per seed, the
/// mean over seeds, and the stored log–log fit with its slope ± standard error.
enum WideSweepSection {
    static func render(_ directory: URL, _ record: RunRecord, on page: ReportPage) throws {
        let f = try OutputFile("wide_sweep.h5", in: directory)
        guard let widths = f.doubles("/widths"), !widths.isEmpty else {
            page.problem("\(f.url.path) has no /widths")
            return
        }
        page.heading("Against width (wide_sweep.h5)")
        page.html("<div class=\"grid\">")
        let quantities = [("relative_weight_change", "Relative weight change ‖θ−θ₀‖/‖θ₀‖"), ("linearization_gap", "Linearisation gap"),
                          ("ntk_change", "Relative NTK change"), ("second_order_ratio", "Second-order ratio"), ("final_loss", "Final training loss")]
        for (name, title) in quantities {
            guard let values = f.doubles("/\(name)"), let shape = f.shape("/\(name)"), shape.count == 2, shape[0] == widths.count else { continue }
            let seeds = shape[1]
            var series: [Series] = []
            var px: [Double] = [], py: [Double] = []
            for (i, w) in widths.enumerated() { for s in 0 ..< seeds { px.append(w); py.append(values[i * seeds + s]) } }
            // Several seeds share a width: nudge them apart (±3 %) so they stay visible as points.
            let offsets = (0 ..< seeds).map { seeds > 1 ? 1 + 0.06 * (Double($0) / Double(seeds - 1) - 0.5) : 1 }
            series.append(Series("seeds", x: px.enumerated().map { $0.element * offsets[$0.offset % seeds] }, y: py, style: .points))
            let means = widths.indices.map { i in (0 ..< seeds).map { values[i * seeds + $0] }.reduce(0, +) / Double(seeds) }
            series.append(Series("mean over seeds", x: widths, y: means))
            var note: String?
            if let slope = f.number("slope", of: "/\(name)") {
                let stderr = f.number("slope_stderr", of: "/\(name)") ?? .nan
                // Intercept of the stored slope through the points (the file keeps the slope only).
                let logs = zip(px, py).filter { $0.0 > 0 && $0.1 > 0 }.map { (log($0.0), log($0.1)) }
                if !logs.isEmpty {
                    let b = logs.map { $0.1 - slope * $0.0 }.reduce(0, +) / Double(logs.count)
                    series.append(Series("fit ∝ width^\(fmt(slope, 3))", x: widths, y: widths.map { exp(b + slope * log($0)) }, style: .dashed))
                }
                note = "Dimensionless; log–log slope \(fmt(slope, 4)) ± \(fmt(stderr, 3)) (standard error) over \(Int(f.number("slope_points", of: "/\(name)") ?? 0)) points."
            }
            page.chart(Chart(title: title, x: "width (hidden units)", y: name.replacingOccurrences(of: "_", with: " "),
                             logX: true, logY: true, series: series, note: note))
        }
        page.html("</div>")
    }
}
