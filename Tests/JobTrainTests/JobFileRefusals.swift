import XCTest
import JobCatalog
@testable import JobKit

/// Loading a `train` job file (its text `base` with `--set` overrides) and asserting its refusal
/// with the exact keys named: shared by the validation tests of the MLP and the diffusion jobs.
protocol JobFileRefusals: XCTestCase {
    /// The valid job file the overrides change.
    static var base: String { get }
}

extension JobFileRefusals {
    func load(_ text: String, overrides: [String] = [], ranks: Int = 1) throws -> LoadedJob {
        try JobLoader.load(text: text, path: "job.toml", overrides: overrides, ranks: ranks, kinds: JobCatalog.kinds)
    }

    /// The problems of a refused file (fails the test if it is accepted).
    func problems(_ text: String = Self.base, _ overrides: [String] = [], ranks: Int = 1,
                  file: StaticString = #filePath, line: UInt = #line) -> [ConfigProblem] {
        do {
            _ = try load(text, overrides: overrides, ranks: ranks)
            XCTFail("expected the job file to be refused", file: file, line: line)
        } catch let e as JobFileError {
            return e.problems
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
        return []
    }

    /// Asserts the file is refused with exactly the keys `paths`, each message containing its fragment.
    func assertRefused(_ overrides: [String], _ expected: [(String, String)], ranks: Int = 1, text: String = Self.base,
                       file: StaticString = #filePath, line: UInt = #line) {
        let found = problems(text, overrides, ranks: ranks, file: file, line: line)
        XCTAssertEqual(found.map { $0.path ?? "" }.sorted(), expected.map(\.0).sorted(), "\(found)", file: file, line: line)
        for (path, fragment) in expected {
            let text = found.filter { $0.path == path }.map(\.description).joined(separator: " | ")
            XCTAssertTrue(text.contains(fragment), "`\(path)`: '\(text)' lacks '\(fragment)'", file: file, line: line)
        }
    }
}
