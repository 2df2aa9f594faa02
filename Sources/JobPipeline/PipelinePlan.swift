import Foundation
import JobKit

/// A stage loaded as a job: its validated configuration (overrides and inputs applied), the
/// input files it reads, and its hash.
struct ResolvedStage {
    var spec: StageSpec
    var job: LoadedJob
    /// `key` → the producer's file under the pipeline's output directory, in key order.
    var inputPaths: [(key: String, path: String)]
    /// The stage's `set` overrides and its inputs as overrides (recorded in its run.json).
    var overrides: [String]
    /// Hash of the resolved configuration, the input paths and the hashes of the stages it
    /// depends on: a stage is up to date when its folder says it completed with this hash.
    var hash: String

    var name: String { spec.name }
}

/// The stages of a pipeline resolved against an output directory: every stage's job validated
/// with the injected kinds, inputs checked against what their producers declare.
enum PipelinePlan {
    /// Resolves every stage. `outputDirectory` is where the pipeline writes (inputs become
    /// `OUT/producer/file`); at validation, where it is not known yet, "OUT".
    static func resolve(_ p: PipelineParameters, validation: ValidationContext, outputDirectory: String) -> (stages: [ResolvedStage], problems: [ConfigProblem]) {
        let (specs, parseProblems) = StageSpec.parse(p.stages)
        var problems = parseProblems
        var resolved: [ResolvedStage] = []
        let pipelineFolder = URL(fileURLWithPath: validation.jobFile).deletingLastPathComponent().path
        for spec in specs {
            let key = StageSpec.key(spec.index, spec.name)
            var stageProblems: [ConfigProblem] = []
            // Inputs: the producer must declare the file; the key becomes a --set override.
            var inputPaths: [(String, String)] = []
            var overrides = spec.overrides
            var listPaths: [(key: String, paths: [ConfigValue])] = []
            for input in spec.inputs {
                // The override is set even when the producer has problems of its own, so this
                // stage is still checked for its other keys without a spurious "missing" key.
                let path = outputDirectory + "/" + input.producer + "/" + input.file
                inputPaths.append((input.key, path))
                if !input.list {
                    overrides.append(input.key + "=" + ConfigValue.string(path).tomlLiteral)
                } else if let i = listPaths.firstIndex(where: { $0.key == input.key }) {
                    listPaths[i].paths.append(.string(path))
                } else {
                    listPaths.append((input.key, [.string(path)]))
                }
                // A producer that failed to resolve has its own problems reported.
                guard let producer = resolved.first(where: { $0.name == input.producer }) else { continue }
                if !producer.job.outputs.contains(input.file) {
                    let hint = nearestSpelling(of: input.file, among: producer.job.outputs).map { "did you mean \"\($0)\"? " } ?? ""
                    stageProblems.append(ConfigProblem(path: "\(key).inputs.\(input.key)",
                        message: "stage \(input.producer) (\(producer.job.config.kind)) does not write \"\(input.file.prefix(80))\"",
                        fix: hint + "it writes " + producer.job.outputs.joined(separator: ", ")))
                }
            }
            // An array input sets its key once, to the paths in the order given.
            for l in listPaths { overrides.append(l.key + "=" + ConfigValue.array(l.paths).tomlLiteral) }
            // The stage's job text: its file (relative to the pipeline's folder, then the cwd) or
            // the inline table.
            var text = "", path = ""
            switch spec.source {
            case .file(let given):
                let candidates = given.hasPrefix("/") ? [given] : [pipelineFolder + "/" + given, given]
                let found = candidates.first { FileManager.default.fileExists(atPath: $0) }
                guard let found else {
                    stageProblems.append(ConfigProblem(path: "\(key).job", message: "the job file \"\(given.prefix(200))\" does not exist (looked in \(pipelineFolder)/ and the current directory)",
                                                       fix: "give a path relative to the pipeline file's folder, or an inline [stages.job] table"))
                    problems += stageProblems
                    continue
                }
                let (read, problem) = JobLoader.read(found)
                guard problem.isEmpty else {
                    stageProblems.append(ConfigProblem(path: "\(key).job", message: "the job file \(found) \(problem)", fix: "give the path of a .toml job file"))
                    problems += stageProblems
                    continue
                }
                text = read
                path = found
            case .inline(var table):
                // An inline job without a name is named after its stage (logs, HDF5 attributes).
                if table["name"] == nil { table["name"] = .string(spec.name) }
                text = ConfigValue.table(table).tomlDocument
                path = "\(validation.jobFile) [stage \(spec.name)]"
            }
            do {
                let job = try JobLoader.load(text: text, path: path, overrides: overrides, ranks: validation.ranks,
                                             ranksPerNode: validation.ranksPerNode, kinds: validation.kinds)
                if job.kind.runsStages {
                    stageProblems.append(ConfigProblem(path: "\(key).job", message: "is itself a \(job.config.kind) job; pipelines do not nest",
                                                       fix: "list its stages in this pipeline instead"))
                }
                if stageProblems.isEmpty {
                    let dependencyHashes = spec.dependsOn.compactMap { d in resolved.first { $0.name == d }?.hash }
                    resolved.append(ResolvedStage(spec: spec, job: job, inputPaths: inputPaths, overrides: overrides,
                                                  hash: StageHash.of(config: job.config.values, inputs: inputPaths, dependencies: dependencyHashes)))
                }
            } catch let error as JobFileError {
                // Named by stage and key: `stages[1] (spectrum): source.fiel`.
                for p in error.problems where !(p.path.map(spec.emptyListInputs.contains) ?? false) {
                    stageProblems.append(ConfigProblem(path: key + (p.path.map { ": " + $0 } ?? ""),
                                                       message: p.message, fix: p.fix))
                }
            } catch {
                stageProblems.append(ConfigProblem(path: key, message: "\(error)", fix: "check the stage's job"))
            }
            problems += stageProblems
        }
        return (resolved, problems)
    }
}

/// The hash that says whether a stage is up to date: FNV-1a (64-bit) over every key of its
/// resolved configuration (resumable ones too: a longer `time.t_end` is a different result),
/// its input paths and the hashes of the stages it depends on (so a change upstream reruns
/// everything downstream).
enum StageHash {
    static func of(config: ConfigValue, inputs: [(key: String, path: String)], dependencies: [String]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ s: String) {
            for byte in s.utf8 {
                h ^= UInt64(byte)
                h = h &* 0x0000_0100_0000_01b3
            }
        }
        for leaf in config.leaves where leaf.path != "description" { mix("key " + leaf.path + "=" + leaf.value.tomlLiteral + "\n") }
        for input in inputs { mix("input " + input.key + "=" + input.path + "\n") }
        for d in dependencies { mix("after " + d + "\n") }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
