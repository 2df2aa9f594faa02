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
}

/// Reads and validates job files.
public enum JobLoader {
    /// Parses `text`, applies `overrides` (`key=value`), validates against the kind's schema
    /// and its cross-key checks for `ranks` ranks. Throws one ``JobFileError`` listing every problem.
    public static func load(text: String, path: String, overrides: [String], ranks: Int) throws -> LoadedJob {
        var document = try TOMLParsing.parse(text, source: path)
        var problems: [ConfigProblem] = []
        for item in overrides {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                problems.append(ConfigProblem(path: nil, message: "--set \(item) is not key=value",
                                              fix: "write --set section.key=value"))
                continue
            }
            let key = item[..<eq].trimmingCharacters(in: .whitespaces)
            let value = String(item[item.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
            document = document.setting(TOMLParsing.parseOverrideValue(value), at: key)
        }
        guard case .string(let kindName)? = document.value(at: "kind") else {
            let fix = "add `kind = \"…\"` at the top; known kinds: " + JobRegistry.names.joined(separator: ", ")
            throw JobFileError(file: path, problems: problems + [ConfigProblem(path: "kind",
                message: document.value(at: "kind") == nil ? "is required but missing" : "must be a string", fix: fix)])
        }
        guard let kind = JobRegistry.kind(named: kindName) else {
            let hint = nearest(kindName, among: JobRegistry.names).map { "did you mean \"\($0)\"? " } ?? ""
            throw JobFileError(file: path, problems: problems + [ConfigProblem(path: "kind",
                message: "\"\(kindName)\" is not a job kind", fix: hint + "known kinds: " + JobRegistry.names.joined(separator: ", "))])
        }
        let config: JobConfig
        do {
            config = try kind.schema.resolve(document, file: path)
        } catch let error as JobFileError {
            throw JobFileError(file: path, problems: problems + error.problems)
        }
        problems += kind.problems(in: config, ranks: ranks)
        if !problems.isEmpty { throw JobFileError(file: path, problems: problems) }
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return LoadedJob(kind: kind, config: config, name: config.name(fallback: stem), path: path)
    }

    /// Rank 0 reads the file and broadcasts its text, so every rank validates the same
    /// bytes even on file systems that lag; then every rank validates (cheap) and all
    /// agree on the outcome without further messages.
    public static func load(path: String, overrides: [String], communicator: Communicator) throws -> LoadedJob {
        var text = ""
        var readError = ""
        if communicator.isRoot {
            if let data = FileManager.default.contents(atPath: path) {
                if let s = String(data: data, encoding: .utf8) { text = s } else { readError = "is not UTF-8 text" }
            } else {
                readError = FileManager.default.fileExists(atPath: path) ? "cannot be read (permissions?)" : "does not exist"
            }
        }
        readError = try communicator.broadcast(readError)
        if !readError.isEmpty {
            throw JobFileError(file: path, problems: [ConfigProblem(path: nil, message: "the file \(readError)",
                                                                    fix: "pass the path of a .toml job file, e.g. jobs/selftest.toml")])
        }
        text = try communicator.broadcast(text)
        return try load(text: text, path: path, overrides: overrides, ranks: communicator.size)
    }
}
