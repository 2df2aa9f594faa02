import ArgumentParser
struct Inspect: ParsableCommand {
    @Argument var file: String
    func run() throws { throw ValidationError("pending") }
}
