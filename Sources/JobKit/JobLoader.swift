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
    /// Legal settings that are probably not meant (see ``JobKind/warnings(in:)``).
    public let warnings: [String]
    /// The kinds the job was validated against; a kind that runs other jobs gets them at run
    /// time as ``RunContext/kinds``.
    public let kinds: [any JobKind.Type]
    /// The stages to run (`--only`/`--from`), for kinds with stages.
    public let stageSelection: StageSelection
    /// What `cascade validate` prints after the configuration (``JobKind/resolvedSummary(_:validation:)``).
    public let summary: [String]
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
    /// `stageSelection` (`cascade run --only/--from`) is refused for kinds without stages.
    public static func load(text: String, path: String, overrides: [String], ranks: Int, ranksPerNode: Int? = nil,
                            kinds: [any JobKind.Type], stageSelection: StageSelection = .all) throws -> LoadedJob {
        let names = kinds.map { $0.name }
        guard text.utf8.count <= maximumFileBytes else {
            throw JobFileError(file: path, problems: [ConfigProblem(path: nil, message: "is \(text.utf8.count) bytes long, more than a job file can be (\(maximumFileBytes))",
                                                                    fix: "pass a job file (TOML, a few kB)")])
        }
        if let found = structureProblem(in: text) {
            throw JobFileError(file: path, problems: [found.problem])
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
            if let found = structureProblem(in: "v = " + value.replacingOccurrences(of: "\n", with: " ")) {
                problems.append(ConfigProblem(path: nil, message: "--set \(key.prefix(80)): the value " + found.problem.message.replacingOccurrences(of: "line 1 ", with: ""),
                                              fix: found.problem.fix))
                continue
            }
            document = document.setting(TOMLParsing.parseOverrideValue(value), at: key)
        }
        guard case .string(let kindName)? = document.value(at: "kind") else {
            let fix = "add `kind = \"…\"` at the top; known kinds: " + names.joined(separator: ", ")
            var found = problems + [ConfigProblem(path: "kind",
                message: document.value(at: "kind") == nil ? "is required but missing" : "must be a string", fix: fix)]
            // `kind` under a table (`[job]` then `kind = …`) is the usual way to lose it; any table
            // that no kind declares is reported too, since its keys would all be unknown.
            let sections = Set(kinds.flatMap { $0.schema.allFields.compactMap { $0.path.split(separator: ".").first.map(String.init) } })
            if case .table(let top) = document {
                for (section, value) in top.sorted(by: { $0.key < $1.key }) {
                    guard case .table(let inner) = value else { continue }
                    if inner["kind"] != nil {
                        found.append(ConfigProblem(path: "\(section).kind", message: "`kind` sits under the table [\(section)], which no job kind has, so it is `\(section).kind`",
                                                   fix: "move `kind = …` (and the other top-level keys such as `name`) to the top of the file, above the first [table] line"))
                    } else if !sections.contains(section) {
                        found.append(ConfigProblem(path: String(section.prefix(80)), message: "[\(section.prefix(80))] is not a table of any job kind",
                                                   fix: "remove it, or rename it to a table of the kind; `cascade describe KIND` lists them"))
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
        if stageSelection != .all && !kind.runsStages {
            problems.append(ConfigProblem(path: "kind", message: "\(stageSelection) selects stages, but a \(kind.name) job has no stages",
                                          fix: "use --only/--from with a pipeline job (kind = \"pipeline\"), or drop the flag"))
        }
        let validation = ValidationContext(ranks: ranks, ranksPerNode: ranksPerNode, jobFile: path, kinds: kinds,
                                           stageSelection: stageSelection)
        problems += kind.checkedProblems(config, validation: validation)
        if problems.isEmpty {
            let perNode = ranksPerNode ?? ranks
            problems += kind.estimatedMemory(config, ranks: ranks)
                .problems(available: MemoryEstimate.available(ranksPerNode: perNode), ranksPerNode: perNode)
        }
        if !problems.isEmpty { throw JobFileError(file: path, problems: problems) }
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return LoadedJob(kind: kind, config: config, name: config.name(fallback: stem), path: path,
                         outputs: kind.declaredOutputs(config), warnings: kind.declaredWarnings(config),
                         kinds: kinds, stageSelection: stageSelection, summary: kind.declaredSummary(config, validation: validation))
    }

    /// Deepest nesting of arrays and inline tables accepted (Cascade's values nest at most 2).
    public static let maximumNesting = 16

    /// What a cheap scan before the TOML parser found: the parser recurses per dotted part and per
    /// nesting level, so a key of 50 000 parts or `[[[[…]]]]` 50 000 deep would overflow its stack.
    enum StructureProblem: Equatable {
        case deepKey(line: Int)
        case deepNesting(line: Int)

        var problem: ConfigProblem {
            switch self {
            case .deepKey(let line):
                return ConfigProblem(path: nil, message: "line \(line) has a key with more than \(JobLoader.maximumKeyDepth) dotted parts",
                                     fix: "job keys look like `section.key`; see `cascade describe`")
            case .deepNesting(let line):
                return ConfigProblem(path: nil, message: "line \(line) nests arrays or inline tables more than \(JobLoader.maximumNesting) deep",
                                     fix: "job values are numbers, strings or flat arrays such as [1, 2]; see `cascade describe`")
            }
        }
    }

    /// The first key deeper than ``maximumKeyDepth`` or value nested deeper than ``maximumNesting``.
    /// Skips comments and strings (also multi-line ones); a multi-line array's lines are values.
    static func structureProblem(in text: String) -> StructureProblem? {
        let bytes = Array(text.utf8)
        let quote2 = UInt8(ascii: "\""), quote1 = UInt8(ascii: "'")
        var line = 1, keyDots = 0, valueDots = 0, depth = 0
        var inKey = true, inComment = false
        var quote: UInt8? = nil, multiline = false
        var i = 0
        func triple(_ q: UInt8, at j: Int) -> Bool { j + 2 < bytes.count && bytes[j] == q && bytes[j + 1] == q && bytes[j + 2] == q }
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\n") {
                line += 1
                inComment = false
                if quote != nil && !multiline { quote = nil }
                if quote == nil && depth == 0 { inKey = true; keyDots = 0 }
                valueDots = 0
                i += 1
                continue
            }
            if inComment { i += 1; continue }
            if let q = quote {
                if q == quote2 && byte == UInt8(ascii: "\\") { i += 2; continue }
                if byte == q {
                    if !multiline { quote = nil } else if triple(q, at: i) { quote = nil; i += 3; continue }
                }
                i += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "#"): inComment = true
            case quote2, quote1:
                quote = byte
                multiline = triple(byte, at: i)
                if multiline { i += 3; continue }
            case UInt8(ascii: "="):
                if inKey && depth == 0 { inKey = false } else { valueDots = 0 }
            case UInt8(ascii: "."):
                if inKey {
                    keyDots += 1
                    if keyDots >= maximumKeyDepth { return .deepKey(line: line) }
                } else {
                    valueDots += 1
                    if valueDots >= maximumKeyDepth { return .deepKey(line: line) }
                }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                if !inKey {
                    depth += 1
                    valueDots = 0
                    if depth > maximumNesting { return .deepNesting(line: line) }
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if !inKey && depth > 0 { depth -= 1 }
                valueDots = 0
            case UInt8(ascii: ","): valueDots = 0
            default: break
            }
            i += 1
        }
        return nil
    }

    /// Rank 0 reads the file and broadcasts its text, so every rank validates the same
    /// bytes even on file systems that lag; then every rank validates (cheap) and all
    /// agree on the outcome without further messages.
    public static func load(path: String, overrides: [String], communicator: Communicator, ranksPerNode: Int? = nil,
                            kinds: [any JobKind.Type], stageSelection: StageSelection = .all) throws -> LoadedJob {
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
                        kinds: kinds, stageSelection: stageSelection)
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
