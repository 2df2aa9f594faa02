import Foundation
import JobKit

/// ns2d: time series, spectra and fluxes, structure functions with fitted exponents, PDFs and
/// vorticity snapshots, from diagnostics.h5 and snapshots.h5 (docs/ns2d.md lists the layout).
enum NS2DSection {
    static let units = "simulation units (box 2π, dimensionless)"

    static func render(_ directory: URL, _ record: RunRecord, on page: ReportPage) throws {
        do {
            let d = try OutputFile("diagnostics.h5", in: directory)
            timeSeries(d, on: page)
            spectra(d, on: page)
            structureFunctions(d, on: page)
            pdfs(d, on: page)
        } catch {
            page.problem("\(error)")
        }
        do {
            snapshots(try OutputFile("snapshots.h5", in: directory), on: page)
        } catch {
            page.problem("\(error)")
        }
    }

    static func timeSeries(_ d: OutputFile, on page: ReportPage) {
        guard let t = d.doubles("/time_series/time") else { return }
        page.heading("Time series (\(units))")
        func s(_ name: String, _ label: String, _ style: Series.Style = .line) -> Series? {
            d.doubles("/time_series/\(name)").map { Series(label, x: t, y: $0, style: style) }
        }
        page.html("<div class=\"grid\">")
        page.chart(Chart(title: "Energy E = ½⟨|u|²⟩", x: "time t", y: "E", series: [s("energy", "E")].compactMap { $0 }))
        page.chart(Chart(title: "Enstrophy Z = ½⟨ω²⟩", x: "time t", y: "Z", series: [s("enstrophy", "Z")].compactMap { $0 }))
        page.chart(Chart(title: "Energy budget", x: "time t", y: "rate dE/dt contributions",
                         series: [s("injection_energy", "injection"), s("dissipation_energy_viscous", "viscous dissipation"),
                                  s("dissipation_energy_damping", "large-scale damping", .dashed)].compactMap { $0 }))
        page.chart(Chart(title: "Enstrophy budget", x: "time t", y: "rate dZ/dt contributions",
                         series: [s("injection_enstrophy", "injection"), s("dissipation_enstrophy_viscous", "viscous dissipation"),
                                  s("dissipation_enstrophy_damping", "large-scale damping", .dashed)].compactMap { $0 }))
        page.html("</div>")
    }

    /// A guide line c·k^p through the curve's value at the wavenumber `at` (a fraction of the way
    /// along the log-k range), shifted up by a factor 2 so it sits beside the curve, not on it.
    static func guide(k: [Double], e: [Double], power: Double, at fraction: Double, name: String) -> Series? {
        let points = zip(k, e).filter { $0.0 > 0 && $0.1 > 0 && $0.1.isFinite }
        guard points.count >= 3, let lo = points.first?.0, let hi = points.last?.0 else { return nil }
        let target = exp(log(lo) + fraction * (log(hi) - log(lo)))
        guard let anchor = points.min(by: { abs(log($0.0 / target)) < abs(log($1.0 / target)) }) else { return nil }
        let c = 2 * anchor.1 / pow(anchor.0, power)
        // Drawn over the part of the range around the anchor only, where that cascade would be.
        let half = exp(0.3 * (log(hi) - log(lo)))
        let ks = points.map(\.0).filter { $0 >= target / half && $0 <= target * half }
        return Series(name, x: ks, y: ks.map { c * pow($0, power) }, style: .dashed)
    }

    static func spectra(_ d: OutputFile, on page: ReportPage) {
        guard let k = d.doubles("/spectra/k") else { return }
        let records = d.shape("/spectra/energy")?.first ?? 0
        let averaged = Int(d.number("records_averaged_spectra") ?? 0)
        page.heading("Spectra and fluxes (\(units))")
        page.html("<div class=\"grid\">")
        var energy: [Series] = []
        if let avg = d.doubles("/time_average/spectra/energy"), averaged > 0 {
            energy.append(Series("E(k), time average of \(averaged)", x: k, y: avg))
        }
        if records > 0, let last = d.row("/spectra/energy", records - 1) {
            let t = d.doubles("/spectra/time")?.last.map { fmt($0, 4) } ?? "?"
            energy.append(Series("E(k) at t = \(t)", x: k, y: last))
        }
        if let ref = energy.first {
            energy += [guide(k: ref.x, e: ref.y, power: -5.0 / 3, at: 0.2, name: "k^−5/3"),
                       guide(k: ref.x, e: ref.y, power: -3, at: 0.55, name: "k^−3")].compactMap { $0 }
        }
        page.chart(Chart(title: "Energy spectrum E(k)", x: "wavenumber k", y: "E(k)", logX: true, logY: true, series: energy,
                         note: "Dashed: k^−5/3 (inverse energy cascade) and k^−3 (direct enstrophy cascade) guides, placed beside the curve over part of the range (not fitted)."))
        for (name, title, symbol) in [("flux_energy", "Energy flux Π_E(k)", "Π_E(k)"), ("flux_enstrophy", "Enstrophy flux Π_Z(k)", "Π_Z(k)")] {
            var s: [Series] = []
            if let avg = d.doubles("/time_average/spectra/\(name)"), averaged > 0 { s.append(Series("\(symbol), time average", x: k, y: avg)) }
            if records > 0, let last = d.row("/spectra/\(name)", records - 1) { s.append(Series("\(symbol), last record", x: k, y: last)) }
            page.chart(Chart(title: title, x: "wavenumber k", y: symbol, logX: true, series: s,
                             note: "\(symbol): flux through wavenumber k, positive towards small scales (large k)."))
        }
        page.html("</div>")
    }

    /// Least-squares slope of log S_p against log r over `range` of separations.
    static func exponent(r: [Double], s: [Double], range: ClosedRange<Double>) -> Double? {
        let pts = zip(r, s).filter { range.contains($0.0) && $0.0 > 0 && $0.1 > 0 && $0.1.isFinite }.map { (log($0.0), log($0.1)) }
        guard pts.count >= 2 else { return nil }
        let mx = pts.map(\.0).reduce(0, +) / Double(pts.count), my = pts.map(\.1).reduce(0, +) / Double(pts.count)
        let sxx = pts.map { ($0.0 - mx) * ($0.0 - mx) }.reduce(0, +)
        guard sxx > 0 else { return nil }
        return pts.map { ($0.0 - mx) * ($0.1 - my) }.reduce(0, +) / sxx
    }

    static func structureFunctions(_ d: OutputFile, on page: ReportPage) {
        guard let r = d.doubles("/statistics/separation_lengths"), let lx = d.doubles("/time_average/statistics/structure_functions/abs_longitudinal_x"),
              let ly = d.doubles("/time_average/statistics/structure_functions/abs_longitudinal_y"),
              let shape = d.shape("/time_average/statistics/structure_functions/abs_longitudinal_x"), shape.count == 2, shape[1] == r.count else { return }
        let tx = d.doubles("/time_average/statistics/structure_functions/abs_transverse_x")
        let ty = d.doubles("/time_average/statistics/structure_functions/abs_transverse_y")
        let orders = shape[0], n = r.count
        let boxLength = d.number("box_length") ?? 2 * Double.pi
        let grid = d.number("n") ?? 0
        let dx = grid > 0 ? boxLength / grid : (r.first ?? 0)
        // The inertial range of the fit: above two grid spacings (smoothed by dissipation and the
        // grid) and below a quarter of the box (periodicity makes S_p level off).
        let range = (2 * dx * 0.999) ... (boxLength / 4 * 1.001)
        func mean(_ a: [Double], _ b: [Double], _ p: Int) -> [Double] { (0 ..< n).map { (a[p * n + $0] + b[p * n + $0]) / 2 } }
        page.heading("Structure functions (\(units))")
        var series: [Series] = []
        var rows: [[String]] = []
        for p in 0 ..< orders {
            let sl = mean(lx, ly, p)
            if [1, 2, 3, 4].contains(p + 1) { series.append(Series("⟨|δu_L|^\(p + 1)⟩", x: r, y: sl)) }
            var row = ["\(p + 1)", exponent(r: r, s: sl, range: range).map { fmt($0, 3) } ?? "–"]
            if let tx, let ty, tx.count == lx.count, ty.count == lx.count {
                row.append(exponent(r: r, s: mean(tx, ty, p), range: range).map { fmt($0, 3) } ?? "–")
            }
            rows.append(row)
        }
        page.chart(Chart(title: "Structure functions S_p(r) = ⟨|δu_L|^p⟩", x: "separation r", y: "S_p(r)",
                         logX: true, logY: true, series: series,
                         note: "Time averages, mean of the x and y directions. Exponents ζ_p fitted over \(fmt(range.lowerBound, 3)) ≤ r ≤ \(fmt(range.upperBound, 3)) (two grid spacings to a quarter of the box)."))
        page.table(["order p", "ζ_p longitudinal", "ζ_p transverse"].prefix(rows.first?.count ?? 2).map { $0 }, rows)
    }

    static func pdfs(_ d: OutputFile, on page: ReportPage) {
        guard let bins = d.doubles("/statistics/pdf_bins") else { return }
        var series: [Series] = []
        for (name, label) in [("vorticity", "ω"), ("velocity_x", "u_x"), ("velocity_y", "u_y")] {
            if let p = d.doubles("/time_average/statistics/pdf/\(name)") { series.append(Series("PDF of \(label)/σ", x: bins, y: p)) }
        }
        guard !series.isEmpty else { return }
        // The Gaussian only down to a tenth of the smallest measured density: its far tails (10⁻¹⁴
        // at 8σ) would otherwise set the log axis and squash the measured curves.
        let floor = 0.1 * (series.flatMap(\.y).filter { $0 > 0 && $0.isFinite }.min() ?? 0)
        let gaussian = bins.map { exp(-$0 * $0 / 2) / (2 * Double.pi).squareRoot() }
        series.append(Series("Gaussian", x: bins, y: gaussian.map { $0 >= floor ? $0 : .nan }, style: .dashed))
        page.heading("Probability densities")
        page.chart(Chart(title: "PDFs of vorticity and velocity (time average)", x: "value / rms σ (dimensionless)", y: "probability density",
                         logY: true, series: series, note: "Each field scaled by its rms; the dashed curve is the unit Gaussian."))
    }

    /// At most 40 evenly spaced frames, block-averaged to at most 256² pixels.
    static func snapshots(_ s: OutputFile, on page: ReportPage) {
        guard let shape = s.shape("/vorticity"), shape.count == 3, shape[1] == shape[2] else { return }
        guard shape[0] > 0 else {
            page.paragraph("\(s.url.lastPathComponent) holds no vorticity frames yet.", className: "muted")
            return
        }
        let times = s.doubles("/time") ?? []
        let picked = Decimation.indices(count: shape[0], limit: 40)
        var frames: [[Double]] = []
        var labels: [String] = []
        for f in picked {
            guard let frame = s.doubles("/vorticity", offset: [f, 0, 0], count: [1, shape[1], shape[2]]) else { continue }
            frames.append(frame)
            labels.append("\(f + 1) of \(shape[0]), t = \(f < times.count ? fmt(times[f], 4) : "?")")
        }
        guard !frames.isEmpty else {
            page.problem("\(s.url.path): /vorticity (\(shape.map(String.init).joined(separator: " × "))) could not be read; if the run is still writing it, report again later")
            return
        }
        page.heading("Vorticity snapshots")
        let stack = ImageStack.make(title: "vorticity ω(x, y)", frames: frames, side: shape[1], labels: labels, unit: "ω (simulation units), one scale for all frames",
                                    note: "\(frames.count) of \(shape[0]) frames; \(shape[1])² grid\(shape[1] > 256 ? " shown block-averaged" : ""); x to the right, y up; red positive, blue negative.")
        page.imageStack(stack)
    }
}
