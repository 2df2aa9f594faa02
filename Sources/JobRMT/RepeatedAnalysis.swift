import Covariance
import Datasets
import Foundation
import Linalg
import Parallel
import Spectra

/// The scalar statistics (the sweep's columns) of repeated surrogates or resamples of the data.
struct RepeatedScalars {
    /// Column names, ``SpectralAnalysis/scalarNames(lengths:)``.
    let columns: [String]
    /// One row of scalars per repeat.
    let rows: [[Double]]

    /// Mean and sample standard deviation (ddof 1) of column `c` over the repeats where it is finite (NaN if fewer than 2).
    func meanStd(_ c: Int) -> (mean: Double, std: Double) {
        let v = rows.map { $0[c] }.filter(\.isFinite)
        guard v.count >= 2 else { return (v.first ?? .nan, .nan) }
        let mean = v.reduce(0, +) / Double(v.count)
        return (mean, (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count - 1)).squareRoot())
    }

    /// Collective: for each repeat k, the samples `make(k)` (this rank's block), their matrix on rank 0, its
    /// eigenvalues and the scalars of their analysis. The rows on rank 0; nil elsewhere.
    static func run(repeats: Int, matrix: MatrixType, standardize: Bool, options: AnalysisOptions, communicator comm: Communicator,
                    make: (Int) throws -> SampleBlock) throws -> RepeatedScalars? {
        var rows: [[Double]] = []
        for k in 0 ..< repeats {
            let block = try make(k)
            let (m, _) = try matrix.compute(.memory(block), standardize: standardize, root: 0, communicator: comm)
            if comm.isRoot, let m {
                let levels = try SymmetricEigen(m, vectors: false).values
                rows.append(SpectralAnalysis(levels: levels, options: options).scalars)
            }
        }
        return comm.isRoot ? RepeatedScalars(columns: SpectralAnalysis.scalarNames(lengths: options.lengths), rows: rows) : nil
    }
}

/// The statistics compared between the data and each null model, and the rule that compares them.
struct NullComparison {
    /// One statistic: the data's value and standard error, the null's mean and standard deviation over repeats.
    struct Row {
        var column: String
        var data, dataStderr, nullMean, nullStd: Double
        /// |data − null mean| / √(se_data² + sd_null²).
        var z: Double { abs(data - nullMean) / (dataStderr * dataStderr + nullStd * nullStd).squareRoot() }
        /// Whether the data differ from the null beyond the error bars: z > 2 (false when z is NaN).
        var differs: Bool { z > NullComparison.threshold }
    }

    /// The rule's threshold in combined standard deviations.
    static let threshold = 2.0
    static let rule = "differs when |data - null_mean| > 2 sqrt(data_stderr^2 + null_std^2); data_stderr is the bootstrap standard error (0 without statistics.bootstrap)"

    /// The compared columns: ⟨r̃⟩, α, entropy, effective rank, Brody β, KS to GOE, the count of levels above the
    /// Tracy–Widom noise threshold of the Marchenko–Pastur fit (the signal count), and Σ², Δ₃ at the error length.
    static func columns(errorLengthIndex i: Int, lengths: [Double]) -> [String] {
        let names = SpectralAnalysis.scalarNames(lengths: lengths)
        let sigma = names.filter { $0.hasPrefix("sigma2_L") }, delta = names.filter { $0.hasPrefix("delta3_L") }
        return ["mean_gap_ratio", "alpha", "entropy", "effective_rank", "brody_beta", "ks_goe", "mp_significant", sigma[i], delta[i]]
    }

    /// The index of the `lengths` value nearest to `length` (0: the last, L_max).
    static func lengthIndex(_ length: Double, in lengths: [Double]) -> Int {
        guard length > 0 else { return lengths.count - 1 }
        return lengths.indices.min { abs(lengths[$0] - length) < abs(lengths[$1] - length) }!
    }

    var rows: [Row]

    init(data: [Double], stderr: [Double]?, null: RepeatedScalars, columns: [String]) {
        rows = columns.map { name in
            let c = null.columns.firstIndex(of: name)!
            let (m, s) = null.meanStd(c)
            return Row(column: name, data: data[c], dataStderr: stderr?[c] ?? 0, nullMean: m, nullStd: s)
        }
    }
}
