import Foundation
import Logging
import JobKit
import Parallel

/// A second log handler for a stage: rank 0's lines (and warnings and errors) appended to
/// `OUT/<stage>/cascade.log`, beside the console.
struct StageLogFileHandler: LogHandler {
    /// The open log file, shared by the copies swift-log makes of the handler.
    final class Sink: @unchecked Sendable {
        private let lock = NSLock()
        private var fd: Int32

        /// Opens (creating; truncating unless `append`) the file at `path`; nil if it cannot.
        init?(path: String, append: Bool) {
            fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0o644)
            if fd < 0 { return nil }
        }

        func write(_ text: String) {
            lock.lock()
            defer { lock.unlock() }
            guard fd >= 0 else { return }
            _ = text.withCString { Foundation.write(fd, $0, strlen($0)) }
        }

        func close() {
            lock.lock()
            defer { lock.unlock() }
            if fd >= 0 { _ = Foundation.close(fd) }
            fd = -1
        }

        deinit { close() }
    }

    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level
    let sink: Sink
    let rank: Int
    let size: Int

    init(sink: Sink, rank: Int, size: Int, level: Logger.Level) {
        self.sink = sink
        self.rank = rank
        self.size = size
        self.logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let level = event.level
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        f.locale = Locale(identifier: "en_US_POSIX")
        let tag = level == .info ? "" : "\(level): "
        sink.write("\(f.string(from: Date())) [rank \(rank)/\(size)] \(tag)\(event.message)\n")
    }
}

/// The logger a stage runs with: the console (as the pipeline's) and, on rank 0, its log file.
func stageLogger(console level: Logger.Level, sink: StageLogFileHandler.Sink?, communicator: Communicator) -> Logger {
    let rank = communicator.rank, size = communicator.size
    return Logger(label: "cascade") { _ in
        var handlers: [any LogHandler] = [RankLogHandler(rank: rank, size: size, level: level)]
        if let sink { handlers.append(StageLogFileHandler(sink: sink, rank: rank, size: size, level: level)) }
        return MultiplexLogHandler(handlers)
    }
}
