import Foundation
import Logging
import Parallel

/// A swift-log handler that prefixes every line with the time and the rank.
///
/// By default only rank 0 prints below `warning`, so a 512-rank job does not print every
/// line 512 times; warnings and errors print on every rank, since they may be rank-local.
public struct RankLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let rank: Int
    let size: Int
    let allRanks: Bool

    /// - Parameters:
    ///   - rank: this process's rank; `size`: the rank count.
    ///   - allRanks: print info and debug lines on every rank, not only rank 0.
    public init(rank: Int, size: Int, level: Logger.Level = .info, allRanks: Bool = false) {
        self.rank = rank
        self.size = size
        self.logLevel = level
        self.allRanks = allRanks
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let level = event.level, message = event.message
        guard rank == 0 || allRanks || level >= .warning else { return }
        let stamp = RankLogHandler.timeFormatter.string(from: Date())
        let tag = level == .info ? "" : "\(level): "
        let text = "\(stamp) [rank \(rank)/\(size)] \(tag)\(message)\n"
        // Warnings and errors go to stderr; both streams are flushed at once so lines
        // from mpirun's forwarding stay whole and in order.
        if level >= .warning { Console.error(text) } else { Console.out(text) }
    }

    static let timeFormatter: DateFormatter = {
        let f = DateFormatter()
        f.dateFormat = "HH:mm:ss"
        f.locale = Locale(identifier: "en_US_POSIX")
        return f
    }()
}
