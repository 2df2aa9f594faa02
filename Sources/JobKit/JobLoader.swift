import Foundation
import Parallel

/// A job file read, validated and ready to run.
public struct LoadedJob {
    /// The kind that will run.
    public let kind: any JobKind.Type
    /// The validated configuration with defaults and overrides applied.
    public let config: JobConfig
    /// The run's name.
    public let name: String
    /// The job file's path as given.
    public let path: String
    /// The files the job will write into its output directory.
    public let outputs: [String]
}

/// Reads and validates job files against the kinds of a catalog.
public enum JobLoader {
    /// Largest job file read (a job file is a few kilobytes; this bounds a hostile one).
    public static let maximumFileBytes = 1 << 20
    /// Deepest dotted key accepted (`a.b.c` has depth 3; Cascade's keys have at most 3).
    public static let maximumKeyDepth = 8

    /// Parses `text`, applies `overrides` (`key=value`), validates against the kind's schema
    /// and its cross-key checks for `ranks` ranks (`ranksPerNode` of them sharing a node's
    /// memory). Throws one ``JobFileError`` listing every problem.
    public static func load(text: String, path: String, overrides: [String], ranks: Int, ranksPerNode: Int? = nil,
                            kinds: [any JobKind.Type]) throws -> LoadedJob {
        let names = kinds.map { $0.name }
        guard text.utf8.count <= maximumFileBytes else {
            throw JobFileError(file: path, problems: [ConfigProblem(path: nil, message: "is \(text.utf8.count) bytes long, more than a job file can be (\(maximumFileBytes))",
                                                                    fix: "pass a job file (TOML, a few kB)")])
        }
        if let deep = deepKey(in: text) {
            throw JobFileError(file: path, problems: [ConfigProblem(path: nil, message: "line \(deep) has a key with more than \(maximumKeyDepth) dotted parts",
                                                                    fix: "job keys look like `section.key`; see `cascade describe`")])
        }
        var document = try TOMLParsing.parse(text, source: path)
        var problems: [ConfigProblem] = []
        for item in overrides {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                problems.append(ConfigProblem(path: nil, message: "--set \(item.prefix(80)) is not key=value",
                                              fix: "write --set section.key=value"))
                continue
            }
            let key = item[..<eq].trimmingCharacters(in: .whitespaces)
            guard key.split(separator: ".", omittingEmptySubsequences: false).count <= maximumKeyDepth,
                  !key.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) else {
                problems.append(ConfigProblem(path: nil, message: "--set key \(key.prefix(80)) is not a key of a job file",
                                              fix: "write --set section.key=value"))
                continue
            }
            let value = String(item[item.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
            document = document.setting(TOMLParsing.parseOverrideValue(value), at: key)
        }
        guard case .string(let kindName)? = document.value(at: "kind") else {
            let fix = "add `kind = \"…\"` at the top; known kinds: " + names.joined(separator: ", ")
            var found = problems + [ConfigProblem(path: "kind",
                message: document.value(at: "kind") == nil ? "is required but missing" : "must be a string", fix: fix)]
            // `kind` under a table (`[job]` then `kind = …`) is the usual way to lose it.
            if case .table(let top) = document {
                for (section, value) in top.sorted(by: { $0.key < $1.key }) {
                    if case .table(let inner) = value, inner["kind"] != nil {
                        found.append(ConfigProblem(path: "\(section).kind", message: "`kind` sits under the table [\(section)], so it is `\(section).kind`",
                                                   fix: "move `kind = …` (and the other top-level keys) above the first [table] line"))
                    }
                }
            }
            throw JobFileError(file: path, problems: found)
        }
        guard let kind = kinds.first(where: { $0.name == kindName }) else {
            let hint = nearest(kindName, among: names).map { "did you mean \"\($0)\"? " } ?? ""
            throw JobFileError(file: path, problems: problems + [ConfigProblem(path: "kind",
                message: "\"\(kindName.prefix(80))\" is not a job kind", fix: hint + "known kinds: " + names.joined(separator: ", "))])
        }
        let config: JobConfig
        do {
            config = try kind.schema.resolve(document, file: path)
        } catch let error as JobFileError {
            throw JobFileError(file: path, problems: problems + error.problems)
        }
        problems += kind.checkedProblems(config, ranks: ranks)
        if problems.isEmpty {
            let perNode = ranksPerNode ?? ranks
            problems += kind.estimatedMemory(config, ranks: ranks)
                .problems(available: MemoryEstimate.available(ranksPerNode: perNode), ranksPerNode: perNode)
        }
        if !problems.isEmpty { throw JobFileError(file: path, problems: problems) }
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return LoadedJob(kind: kind, config: config, name: config.name(fallback: stem), path: path,
                         outputs: kind.declaredOutputs(config))
    }

    /// The first line number holding a key deeper than ``maximumKeyDepth`` (a cheap scan before
    /// the TOML parser, whose recursion a key of 50 000 parts would overflow).
    static func deepKey(in text: String) -> Int? {
        var line = 1, dots = 0, inString = false, quote: UInt8 = 0, inKey = true
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\n"): line += 1; dots = 0; inKey = true; inString = false
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                if inString && byte == quote { inString = false } else if !inString { inString = true; quote = byte }
            case UInt8(ascii: "="): if !inString { inKey = false }
            case UInt8(ascii: "."):
                if inKey && !inString {
                    dots += 1
                    if dots >= maximumKeyDepth { return line }
                }
            default: break
            }
        }
        return nil
    }

    /// Rank 0 reads the file and broadcasts its text, so every rank validates the same
    /// bytes even on file systems that lag; then every rank validates (cheap) and all
    /// agree on the outcome without further messages.
    public static func load(path: String, overrides: [String], communicator: Communicator, ranksPerNode: Int? = nil,
                            kinds: [any JobKind.Type]) throws -> LoadedJob {
        var text = ""
        var readError = ""
        if communicator.isRoot { (text, readError) = read(path) }
        readError = try communicator.broadcast(readError)
        if !readError.isEmpty {
            throw JobFileError(file: path, problems: [ConfigProblem(path: nil, message: readError,
                                                                    fix: "pass the path of a .toml job file, e.g. jobs/selftest.toml")])
        }
        text = try communicator.broadcast(text)
        return try load(text: text, path: path, overrides: overrides, ranks: communicator.size, ranksPerNode: ranksPerNode,
                        kinds: kinds)
    }

    /// The text of a job file, or what is wrong with it.
    public static func read(_ path: String) -> (text: String, problem: String) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return ("", "the file does not exist") }
        if isDirectory.boolValue { return ("", "is a directory, not a job file") }
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > maximumFileBytes {
            return ("", "is \(size) bytes long, more than a job file can be (\(maximumFileBytes))")
        }
        guard let data = FileManager.default.contents(atPath: path) else { return ("", "cannot be read: \(String(cString: strerror(errno)))") }
        guard let s = String(data: data, encoding: .utf8) else { return ("", "is not UTF-8 text") }
        return (s, "")
    }
}
