import Foundation
import Parallel

/// One multi-rank check: runs on every rank of the world communicator.
///
/// A check passes when no rank reports a failure. Values passed to
/// ``CheckContext/record(_:_:tolerance:)`` must be the same on every rank count; the
/// driver writes them per rank count and `--compare` checks they agree.
struct MPICheck: Sendable {
    let name: String
    let body: @Sendable (Communicator, CheckContext) throws -> Void

    init(_ name: String, _ body: @escaping @Sendable (Communicator, CheckContext) throws -> Void) {
        self.name = name
        self.body = body
    }
}

/// Collects failures and rank-count-independent results of one check on one rank.
final class CheckContext {
    private(set) var failures: [String] = []
    /// Results keyed by name, with the relative tolerance to use when comparing rank counts.
    private(set) var records: [(key: String, values: [Double], tolerance: Double)] = []
    let checkName: String

    init(checkName: String) { self.checkName = checkName }

    /// Records a failure unless `condition` holds.
    func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { failures.append(message()) }
    }

    /// Records a failure unless `|a - b| <= rel * max(|a|, |b|, floor)`.
    func expectClose(_ a: Double, _ b: Double, rel: Double, floor: Double = 1e-300,
                     _ message: @autoclosure () -> String) {
        let scale = max(abs(a), abs(b), floor)
        if !(abs(a - b) <= rel * scale) { failures.append("\(message()): \(a) vs \(b) (rel tol \(rel))") }
    }

    /// Records a failure unless every element agrees to `rel` relative to the largest magnitude in `expected`.
    func expectAllClose(_ actual: [Double], _ expected: [Double], rel: Double, _ message: @autoclosure () -> String) {
        guard actual.count == expected.count else {
            failures.append("\(message()): lengths \(actual.count) vs \(expected.count)")
            return
        }
        let scale = max(expected.map(abs).max() ?? 0, 1e-300)
        var worst = 0.0
        for (x, y) in zip(actual, expected) { worst = max(worst, abs(x - y) / scale) }
        if !(worst <= rel) { failures.append("\(message()): max relative difference \(worst) > \(rel)") }
    }

    /// Stores `values` (which must be identical on every rank) for the cross-rank-count comparison.
    func record(_ key: String, _ values: [Double], tolerance: Double = 1e-12) {
        records.append((key: "\(checkName)/\(key)", values: values, tolerance: tolerance))
    }
}
