import Parallel

// Collective agreement: a check done on one rank (or with rank-local arguments) must end
// the same way on every rank, or the ranks that carry on wait forever in the next
// collective. These helpers turn a local outcome into a shared one.
extension Communicator {
    /// Whether `ok` holds on every rank. Collective (free on one rank).
    func allAgree(_ ok: Bool) throws -> Bool {
        if size == 1 { return ok }
        return try allreduce(ok ? 1 : 0, .min) == 1
    }

    /// Runs `body` on rank 0 only and returns its result on every rank, or throws its
    /// error (as a ``StorageError`` about `file`) on every rank. Collective.
    func rootDecides(file: String, _ body: () throws -> String) throws -> String {
        var result = ""
        var failure: StorageError? = nil
        if isRoot {
            do { result = try body() } catch let error as StorageError { failure = error } catch {
                failure = StorageError(file: file, "\(error)")
            }
        }
        if size > 1 {
            // An error travels as its fields, separated by a byte that paths do not contain.
            let separator: Character = "\u{1}"
            let encoded = failure.map {
                [$0.object ?? "", $0.message, $0.detail ?? "", $0.kind.rawValue].joined(separator: String(separator))
            }
            let received = try broadcast(encoded.map { "E" + $0 } ?? "R" + result)
            if received.first == "E" {
                let parts = received.dropFirst().split(separator: separator, omittingEmptySubsequences: false).map(String.init)
                failure = StorageError(file: file, object: parts[0].isEmpty ? nil : parts[0],
                                       kind: StorageError.Kind(rawValue: parts[3]) ?? .other, parts[1],
                                       detail: parts[2].isEmpty ? nil : parts[2])
            } else {
                result = String(received.dropFirst())
            }
        }
        if let failure { throw failure }
        return result
    }

    /// ``rootDecides(file:_:)`` for a body that only checks or acts.
    func rootDecides(file: String, _ body: () throws -> Void) throws {
        _ = try rootDecides(file: file) { () throws -> String in try body(); return "" }
    }

    /// Throws on every rank if `localError` is set on any rank: each failing rank its own
    /// error, the others one naming the first rank that failed. Collective.
    func agree(_ localError: StorageError?, file: String, object: String?) throws {
        guard try !allAgree(localError == nil) else { return }
        let messages = size == 1 ? [localError?.message ?? ""] : try allgather(localError?.message ?? "")
        if let localError { throw localError }
        let first = messages.firstIndex { !$0.isEmpty } ?? 0
        throw StorageError(file: file, object: object, "rank \(first) failed: \(messages[first])")
    }
}
