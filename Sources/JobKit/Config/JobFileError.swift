/// One thing wrong with a job file or a `--set` override.
public struct ConfigProblem: Equatable, Sendable, CustomStringConvertible {
    /// The dotted key path concerned (`fft.shape`), or nil for the document as a whole.
    public var path: String?
    /// What is wrong.
    public var message: String
    /// How to fix it.
    public var fix: String

    public init(path: String?, message: String, fix: String) {
        self.path = path
        self.message = message
        self.fix = fix
    }

    /// A problem with the key `field` (from a parameter's projected value, `p.$n`).
    public init(_ field: ConfigField, _ message: String, fix: String) {
        self.init(path: field.path, message: message, fix: fix)
    }

    public var description: String {
        (path.map { "`\($0)`: " } ?? "") + message + (fix.isEmpty ? "" : " (fix: \(fix))")
    }
}

/// A job file that cannot run, with every problem found in it.
///
/// Raised before any rank starts heavy work; rank 0 prints it once and the job exits
/// non-zero without writing anything.
public struct JobFileError: Error, CustomStringConvertible, Sendable {
    /// The job file (or `--set`) the problems are in.
    public var file: String
    /// Everything found wrong, in key order.
    public var problems: [ConfigProblem]

    public init(file: String, problems: [ConfigProblem]) {
        self.file = file
        self.problems = problems
    }

    public var description: String {
        if problems.count == 1 { return "job file \(file): \(problems[0])" }
        return "job file \(file) has \(problems.count) problems:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

/// Levenshtein distance, for "did you mean" suggestions on misspelt keys.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0 ... b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1 ... a.count {
        current[0] = i
        for j in 1 ... b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}

/// The candidate nearest to `word`, if it is near enough to be a plausible typo.
func nearest(_ word: String, among candidates: [String]) -> String? {
    let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    return best.1 <= max(2, word.count / 3) ? best.0 : nil
}

/// The candidate nearest to `word`, if it is near enough to be a plausible typo: the "did you
/// mean" of the validator, for kinds that check structured values themselves (a model's layers).
public func nearestSpelling(of word: String, among candidates: [String]) -> String? {
    nearest(word, among: candidates)
}
