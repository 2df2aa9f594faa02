import ArgumentParser
import JobCatalog
import JobKit

struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the job kinds, or every key of one kind with its type, default and meaning.")

    @Argument(help: "A job kind; omit to list them all.")
    var kind: String?

    @Flag(help: "Print Markdown: without KIND, the whole reference (docs/reference.md is this output).")
    var markdown = false

    func run() throws {
        guard let kind else {
            if markdown {
                print(SchemaDocs.reference(JobCatalog.kinds.map { $0.schema }), terminator: "")
            } else {
                for k in JobCatalog.kinds { print("\(k.name)\t\(k.summary)") }
            }
            return
        }
        guard let k = JobCatalog.kind(named: kind) else {
            throw ValidationError("unknown kind \"\(kind)\"; known kinds: \(JobCatalog.names.joined(separator: ", "))")
        }
        print(SchemaDocs.render(k.schema, markdown: markdown), terminator: "")
    }
}
