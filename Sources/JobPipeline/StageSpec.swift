import JobKit

/// One `[[stages]]` table as written: checked for its own keys, not yet loaded as a job.
struct StageSpec: Equatable {
    /// Where the stage's job comes from.
    enum Source: Equatable {
        /// `job = "path.toml"`, as written.
        case file(String)
        /// An inline `[stages.job]` table.
        case inline([String: ConfigValue])
    }

    /// One `[stages.inputs]` entry: `key` of the stage's job set to `producer`'s `file`. An entry
    /// whose value is an array (`"inputs.files" = ["sample:samples.h5", "simulate:snapshots.h5"]`)
    /// gives one `Input` per element, in order, with `list` set: the key is set to the array of paths.
    struct Input: Equatable {
        var key: String
        var producer: String
        var file: String
        var list = false
    }

    var index: Int
    var name: String
    var source: Source
    var overrides: [String]
    var inputs: [Input]
    /// The stages this one waits for: its producers and the explicit `depends_on`, in file order.
    var dependsOn: [String]
    /// Input keys given as an empty array (already a problem here): the stage's own check that the key
    /// is missing is not reported again.
    var emptyListInputs: [String] = []

    /// The key path of this stage's table in problems: `stages[1]` (`spectrum`).
    static func key(_ index: Int, _ name: String?) -> String {
        name.map { "stages[\(index)] (\($0))" } ?? "stages[\(index)]"
    }

    static let knownKeys = ["name", "job", "set", "inputs", "depends_on"]

    /// Names a stage folder may have: a letter or digit first, then letters, digits, `_`, `-`.
    static func isSafeName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, s.utf8.count <= 64 else { return false }
        func ok(_ c: Unicode.Scalar) -> Bool { (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") }
        return ok(first) && s.unicodeScalars.allSatisfy { ok($0) || $0 == "_" || $0 == "-" }
    }

    /// Parses every stage table, collecting every problem with the stage named. Producers and
    /// `depends_on` must name earlier stages (a pipeline runs in file order).
    static func parse(_ tables: ConfigTables) -> (specs: [StageSpec], problems: [ConfigProblem]) {
        var specs: [StageSpec] = []
        var problems: [ConfigProblem] = []
        var seen: [String] = []
        for (i, table) in tables.tables.enumerated() {
            var name: String? = nil
            if case .string(let s)? = table["name"] { name = s }
            let key = StageSpec.key(i, name)
            func problem(_ sub: String?, _ message: String, _ fix: String) {
                problems.append(ConfigProblem(path: sub.map { "\(key).\($0)" } ?? key, message: message, fix: fix))
            }
            for k in table.keys.sorted() where !knownKeys.contains(k) {
                let hint = nearestSpelling(of: k, among: knownKeys).map { "did you mean `\($0)`? " } ?? ""
                problem(k, "is not a key of a stage", hint + "a stage has " + knownKeys.joined(separator: ", "))
            }
            guard let stageName = name else {
                problem("name", table["name"] == nil ? "is required but missing" : "must be a string",
                        "give every stage a name = \"…\" (its output folder)")
                continue
            }
            var valid = true
            if !isSafeName(stageName) || ["run.json", "job.toml", "pipeline.json", "report.html"].contains(stageName) {
                problem("name", "\"\(stageName.prefix(80))\" is not a safe folder name",
                        "use letters, digits, _ and - (at most 64), starting with a letter or digit")
                valid = false
            }
            if seen.contains(stageName) {
                problem("name", "\"\(stageName)\" names two stages", "give each stage its own name")
                valid = false
            }
            var source: Source? = nil
            switch table["job"] {
            case .string(let path)?:
                if path.isEmpty { problem("job", "is empty", "give the path of a job file, or an inline [stages.job] table") } else { source = .file(path) }
            case .table(let t)?: source = .inline(t)
            case nil: problem("job", "is required but missing", "give `job = \"jobs/x.toml\"` or an inline [stages.job] table with its `kind`")
            case let v?: problem("job", "is \(v.typeName) \(v.tomlLiteral.prefix(40)), not a path or a table", "give `job = \"jobs/x.toml\"` or an inline [stages.job] table")
            }
            var overrides: [String] = []
            switch table["set"] {
            case nil: break
            case .array(let items)?:
                for (j, item) in items.enumerated() {
                    if case .string(let s) = item, s.contains("=") { overrides.append(s) } else {
                        problem("set[\(j)]", "is \(item.tomlLiteral.prefix(40)), not \"key=value\"", "write set = [\"grid.n=64\", …] as for --set")
                    }
                }
            case let v?: problem("set", "is \(v.typeName), not an array of \"key=value\" strings", "write set = [\"grid.n=64\", …]")
            }
            var inputs: [Input] = []
            var dependsOn: [String] = []
            var emptyLists: [String] = []
            func dependency(_ producer: String, _ sub: String) -> Bool {
                guard seen.contains(producer) else {
                    let later = tables.tables.dropFirst(i).contains { if case .string(producer)? = $0["name"] { return true } else { return false } }
                    let hint = later ? "stages run in file order: move stage \(producer) above \(stageName)"
                        : (nearestSpelling(of: producer, among: seen).map { "did you mean \"\($0)\"? " } ?? "") + "earlier stages: " + (seen.isEmpty ? "none" : seen.joined(separator: ", "))
                    problem(sub, "names the stage \"\(producer.prefix(80))\", which is not an earlier stage", hint)
                    return false
                }
                if !dependsOn.contains(producer) { dependsOn.append(producer) }
                return true
            }
            switch table["inputs"] {
            case nil: break
            case .table(let t)?:
                for k in t.keys.sorted() {
                    let (refs, list): ([ConfigValue], Bool)
                    if case .array(let items) = t[k]! { (refs, list) = (items, true) } else { (refs, list) = ([t[k]!], false) }
                    if list && refs.isEmpty {
                        emptyLists.append(k)
                        problem("inputs.\(k)", "is an empty array", "list one or more \"stage:file\" entries, e.g. [\"simulate:snapshots.h5\"]")
                    }
                    for (j, value) in refs.enumerated() {
                        let sub = list ? "inputs.\(k)[\(j)]" : "inputs.\(k)"
                        guard case .string(let ref) = value, let colon = ref.firstIndex(of: ":"),
                              colon != ref.startIndex, ref.index(after: colon) != ref.endIndex else {
                            problem(sub, "is \(value.tomlLiteral.prefix(60)), not \"stage:file\"",
                                    "write \"\(k)\" = \"simulate:snapshots.h5\" (a file an earlier stage writes), or an array of such strings")
                            continue
                        }
                        let producer = String(ref[..<colon]), file = String(ref[ref.index(after: colon)...])
                        // Kept even when the producer is unknown, so the stage's other keys are still checked.
                        _ = dependency(producer, sub)
                        inputs.append(Input(key: k, producer: producer, file: file, list: list))
                    }
                }
            case let v?: problem("inputs", "is \(v.typeName), not a table", "write [stages.inputs] with \"key\" = \"stage:file\" lines")
            }
            switch table["depends_on"] {
            case nil: break
            case .array(let items)?:
                for (j, item) in items.enumerated() {
                    guard case .string(let s) = item else {
                        problem("depends_on[\(j)]", "is \(item.typeName), not a stage name", "write depends_on = [\"simulate\"]")
                        continue
                    }
                    _ = dependency(s, "depends_on[\(j)]")
                }
            case let v?: problem("depends_on", "is \(v.typeName), not an array of stage names", "write depends_on = [\"simulate\"]")
            }
            seen.append(stageName)
            if valid, let source {
                specs.append(StageSpec(index: i, name: stageName, source: source, overrides: overrides, inputs: inputs, dependsOn: dependsOn,
                                       emptyListInputs: emptyLists))
            }
        }
        return (specs, problems)
    }
}
