import Foundation
import Turbulence

/// Ensemble statistics of every input and the distances between them (identical on every rank).
struct CompareAnalysis {
    /// One input's ensemble.
    struct Input {
        var input: CompareInput
        var fieldCount: Int
        var spectrum: [Double]
        var spectrumError: [Double]
        /// [order p = 2…6][separation].
        var structureAbsolute: [[Double]]
        var structureSigned: [[Double]]
        var zeta: [Double]
        var zetaError: [Double]
        var thirdOrder: [Double]
        var plateau: Double
        var plateauError: Double
        var velocityPDF: [Double]
        var vorticityPDF: [Double]
        var velocityCounts: [Double]
        var vorticityCounts: [Double]
        /// [box][q − 1].
        var dissipationMoments: [[Double]]
        var meanDissipation: Double
        var energy: Double
        var enstrophy: Double
        var nearest: [NearestField]
        var noveltyMedian: Double
    }

    var inputs: [Input]
    var separations: [Int]
    var shellK: [Double]
    var velocityBins: HistogramBins
    var vorticityBins: HistogramBins
    var boxSizes: [Int]
    var epsilon: Double
    var fitRange: ClosedRange<Double>
    /// The novelty reference set.
    var reference: CompareInput
    /// [input][shell]: (E_i − E_0)/E_0 (NaN where E_0 = 0).
    var spectrumRelativeDifference: [[Double]]
    /// [input][input] distances of the PDFs.
    var velocityJS: [[Double]], velocityKS: [[Double]], vorticityJS: [[Double]], vorticityKS: [[Double]]
    /// [input][order]: (ζ_i − ζ_0)/√(σ_i² + σ_0²).
    var zetaDifferenceSigma: [[Double]]

    init(_ results: [InputResult], parameters p: CompareParameters, separations: [Int], n: Int, boxLength: Double,
         velocityBins: HistogramBins, vorticityBins: HistogramBins, boxSizes: [Int], reference: CompareInput) {
        self.separations = separations
        self.velocityBins = velocityBins
        self.vorticityBins = vorticityBins
        self.boxSizes = boxSizes
        let dk = 2 * Double.pi / boxLength
        shellK = (0 ... n / 2).map { Double($0) * dk }
        fitRange = Double(p.fitRange[0]) ... Double(p.fitRange[1])
        self.reference = reference
        let baselineDissipation = results[0].fields.reduce(0) { $0 + $1.meanDissipation } / Double(results[0].fields.count)
        epsilon = p.epsilon > 0 ? p.epsilon : baselineDissipation
        let r = separations.map(Double.init), rPhysical = separations.map { Double($0) * boxLength / Double(n) }
        let fit = fitRange, eps = epsilon, seed = UInt64(p.seed), repeats = p.repeats
        func exponents(_ fields: [FieldStatistics], _ indices: [Int]?) -> [Double] {
            (0 ..< FieldStatistics.orders.count).map { q in
                EnsembleStatistics.logLogSlope(x: r, y: EnsembleStatistics.mean(fields.map { $0.structureAbsolute[q] }, indices: indices), range: fit)
            }
        }
        func thirdOrder(_ fields: [FieldStatistics], _ indices: [Int]?) -> [Double] {
            let s3 = EnsembleStatistics.mean(fields.map { $0.structureSigned[1] }, indices: indices)
            return zip(s3, rPhysical).map { $0 / (eps * $1) }
        }
        func plateau(_ curve: [Double]) -> Double {
            let inRange = zip(r, curve).filter { fit.contains($0.0) }.map(\.1)
            return inRange.reduce(0, +) / Double(inRange.count)
        }
        inputs = results.map { result in
            let fields = result.fields, m = fields.count
            let spectra = fields.map(\.energySpectrum)
            let spectrum = EnsembleStatistics.mean(spectra)
            let spectrumError = (0 ..< spectrum.count).map { s in
                m > 1 ? EnsembleStatistics.standardDeviation(spectra.map { $0[s] }) / Double(m).squareRoot() : .nan
            }
            let curve = thirdOrder(fields, nil)
            var zetaDraws: [[Double]] = [], plateauDraws: [Double] = []
            for b in 0 ..< repeats {
                let idx = EnsembleStatistics.bootstrapIndices(count: m, repeatIndex: b, seed: seed, block: p.block)
                zetaDraws.append(exponents(fields, idx))
                plateauDraws.append(plateau(thirdOrder(fields, idx)))
            }
            let velocityCounts = EnsembleStatistics.mean(fields.map(\.velocityCounts)).map { $0 * Double(m) }
            let vorticityCounts = EnsembleStatistics.mean(fields.map(\.vorticityCounts)).map { $0 * Double(m) }
            func density(_ counts: [Double], _ bins: HistogramBins) -> [Double] {
                let total = counts.reduce(0, +)
                return counts.map { $0 / (total * bins.width) }
            }
            let moments = (0 ..< boxSizes.count).map { b in EnsembleStatistics.mean(fields.map { $0.dissipationMoments[b] }) }
            let distances = result.nearest.map(\.distance).filter { !$0.isNaN }.sorted()
            let median = distances.isEmpty ? Double.nan
                : distances.count % 2 == 1 ? distances[distances.count / 2]
                : 0.5 * (distances[distances.count / 2 - 1] + distances[distances.count / 2])
            return Input(input: result.input, fieldCount: m, spectrum: spectrum, spectrumError: spectrumError,
                         structureAbsolute: (0 ..< FieldStatistics.orders.count).map { q in EnsembleStatistics.mean(fields.map { $0.structureAbsolute[q] }) },
                         structureSigned: (0 ..< FieldStatistics.orders.count).map { q in EnsembleStatistics.mean(fields.map { $0.structureSigned[q] }) },
                         zeta: exponents(fields, nil),
                         // One field has no spread to resample: its errors are unknown (NaN), not 0.
                         zetaError: (0 ..< FieldStatistics.orders.count).map { q in m > 1 ? EnsembleStatistics.standardDeviation(zetaDraws.map { $0[q] }) : .nan },
                         thirdOrder: curve, plateau: plateau(curve), plateauError: m > 1 ? EnsembleStatistics.standardDeviation(plateauDraws) : .nan,
                         velocityPDF: density(velocityCounts, velocityBins), vorticityPDF: density(vorticityCounts, vorticityBins),
                         velocityCounts: velocityCounts, vorticityCounts: vorticityCounts,
                         dissipationMoments: moments,
                         meanDissipation: fields.reduce(0) { $0 + $1.meanDissipation } / Double(m),
                         energy: fields.reduce(0) { $0 + $1.energy } / Double(m),
                         enstrophy: fields.reduce(0) { $0 + $1.enstrophy } / Double(m),
                         nearest: result.nearest, noveltyMedian: median)
        }
        let base = inputs[0]
        spectrumRelativeDifference = inputs.map { a in zip(a.spectrum, base.spectrum).map { $1 > 0 ? ($0 - $1) / $1 : .nan } }
        let all = inputs
        func matrix(_ f: (Input, Input) -> Double) -> [[Double]] { all.map { a in all.map { b in f(a, b) } } }
        velocityJS = matrix { EnsembleStatistics.jensenShannon($0.velocityCounts, $1.velocityCounts) }
        velocityKS = matrix { EnsembleStatistics.kolmogorovSmirnov($0.velocityCounts, $1.velocityCounts) }
        vorticityJS = matrix { EnsembleStatistics.jensenShannon($0.vorticityCounts, $1.vorticityCounts) }
        vorticityKS = matrix { EnsembleStatistics.kolmogorovSmirnov($0.vorticityCounts, $1.vorticityCounts) }
        func sigmas(_ a: Input) -> [Double] {
            (0 ..< a.zeta.count).map { q -> Double in
                let variance: Double = a.zetaError[q] * a.zetaError[q] + base.zetaError[q] * base.zetaError[q]
                return (a.zeta[q] - base.zeta[q]) / variance.squareRoot()
            }
        }
        zetaDifferenceSigma = inputs.map(sigmas)
    }
}
