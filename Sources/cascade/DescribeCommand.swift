import ArgumentParser
import Jobs

struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the job kinds, or every key of one kind with its type, default and meaning.")

    @Argument(help: "A job kind; omit to list them all.")
    var kind: String?

    @Flag(help: "Print a Markdown table (as in docs/).")
    var markdown = false

    func run() throws {
        guard let kind else {
            for k in JobRegistry.kinds { print("\(k.schema.kind)\t\(k.schema.summary)") }
            return
        }
        guard let k = JobRegistry.kind(named: kind) else {
            throw ValidationError("unknown kind \"\(kind)\"; known kinds: \(JobRegistry.names.joined(separator: ", "))")
        }
        print(SchemaDocs.render(k.schema, markdown: markdown), terminator: "")
    }
}
