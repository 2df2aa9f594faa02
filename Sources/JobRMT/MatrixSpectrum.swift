import Covariance
import JobKit
import Datasets
import Linalg
import Parallel
import Spectra

/// Which matrix of the samples is diagonalised.
enum MatrixType: String, ParameterChoice {
    case covariance, correlation, gram

    /// The matrix, on rank `root` only (nil on the others: only the root uses it), and the feature means
    /// (every rank). Collective.
    /// A file is streamed block by block (one pass for a covariance; see ``ShardedCovariance`` for the Gram).
    func compute(_ data: SampleData, standardize: Bool, root: Int, communicator comm: Communicator) throws -> (matrix: Matrix?, mean: [Double]) {
        switch (self, data) {
        case (.covariance, _), (.correlation, _):
            let (mean, c): ([Double], Matrix?)
            switch data {
            case .stream(let s): (mean, c) = try ShardedCovariance.covariance(s, root: root, communicator: comm)
            case .memory(let b): (mean, c) = try ShardedCovariance.covariance(b, root: root, communicator: comm)
            }
            return (c.map { self == .correlation || standardize ? ShardedCovariance.correlation(fromCovariance: $0) : $0 }, mean)
        case (.gram, .stream(let s)):
            let (moments, g) = try ShardedCovariance.gram(streaming: s, standardize: standardize, root: root, communicator: comm)
            return (g, moments.mean)
        case (.gram, .memory(let b)):
            let (moments, g) = try ShardedCovariance.gram(b, standardize: standardize, root: root, communicator: comm)
            return (g, moments.mean)
        }
    }

    /// The white-Wishart null of this matrix of n samples and d features (Marchenko–Pastur fit, Tracy–Widom
    /// test): covariance and correlation (a correlation is the covariance of standardised features, σ² ≈ 1)
    /// l/(n − 1), Gram l/d, with n − 1 degrees of freedom (the data are centred).
    func wishartShape(samples n: Int, features d: Int) -> WishartShape {
        self == .gram ? .gram(samples: n, features: d) : .covariance(samples: n, features: d)
    }

    /// The Marchenko–Pastur aspect ratio min/max of (features, samples − 1): the nonzero part of the spectrum.
    static func aspectRatio(samples n: Int, features d: Int) -> Double {
        let a = Double(min(d, n - 1)), b = Double(max(d, n - 1))
        return b > 0 ? a / b : 1
    }
}

extension EigenSolver {
    /// The job-file names of the solvers.
    static let names = ["divide-and-conquer": EigenSolver.divideAndConquer, "mrrr": EigenSolver.relativelyRobust]
}
