import Foundation
import XCTest

/// Keeps docs/architecture.md's module diagram true to Package.swift: every library target (and
/// the `cascade` executable) must be a node of the mermaid diagram, inside the subgraph of its layer
/// in ``LayeringTests/layers``, and must appear in the plain-text diagram. Nodes of modules that do
/// not exist yet are allowed only when the diagram marks them `planned`.
final class ArchitectureDocTests: XCTestCase {
    /// The diagram as written: node name → layer of the `L<n>` subgraph holding it; planned nodes.
    struct Diagram { var layers: [String: Int] = [:]; var planned: Set<String> = []; var text = "" }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Reads the first ```mermaid block (subgraphs `L<n>`, one node per line, `class A,B planned`)
    /// and the first ```text block of docs/architecture.md.
    static func readDiagram() throws -> Diagram {
        let url = repositoryRoot.appendingPathComponent("docs/architecture.md")
        let doc = try String(contentsOf: url, encoding: .utf8)
        var diagram = Diagram()
        var block: String? = nil, layer: Int? = nil, sawMermaid = false, sawText = false
        for raw in doc.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if block == nil {
                if line == "```mermaid" && !sawMermaid { block = "mermaid"; sawMermaid = true }
                if line == "```text" && !sawText { block = "text"; sawText = true }
                continue
            }
            if line.hasPrefix("```") { block = nil; continue }
            if block == "text" { diagram.text += line + "\n"; continue }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "[" }).map(String.init)
            guard let first = words.first else { continue }
            if first == "subgraph", words.count > 1, words[1].hasPrefix("L"), let n = Int(words[1].dropFirst()) {
                layer = n
            } else if first == "end" {
                layer = nil
            } else if first == "class", words.count > 2, words.last == "planned" {
                for name in words[1].split(separator: ",") { diagram.planned.insert(String(name)) }
            } else if let n = layer, words.count == 1 || line.contains("[\""),
                      first.allSatisfy({ $0.isLetter || $0.isNumber }) {
                diagram.layers[first] = n
            }
        }
        return diagram
    }

    /// (name, type) of every target in `swift package dump-package`'s output (CASCADE_PACKAGE_JSON,
    /// as for ``LayeringTests``).
    static func packageTargets() throws -> [(name: String, type: String)] {
        guard let path = ProcessInfo.processInfo.environment["CASCADE_PACKAGE_JSON"] else {
            throw XCTSkip("set CASCADE_PACKAGE_JSON to the output of `swift package dump-package` (Tests/run-all.sh does)")
        }
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path), "cannot read \(path)")
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let targets = try XCTUnwrap(json["targets"] as? [[String: Any]])
        return targets.map { ($0["name"] as? String ?? "?", $0["type"] as? String ?? "?") }
    }

    func testEveryLibraryTargetIsInTheDiagramAtItsLayer() throws {
        let targets = try Self.packageTargets()
        let diagram = try Self.readDiagram()
        XCTAssertFalse(diagram.layers.isEmpty, "docs/architecture.md has no ```mermaid block with subgraphs L0…L10")
        XCTAssertFalse(diagram.text.isEmpty, "docs/architecture.md has no ```text block (the plain-text diagram)")
        let modules = targets.filter { $0.type == "regular" || $0.type == "system" || $0.name == "cascade" }.map(\.name)
        var problems: [String] = []
        for name in modules {
            guard let drawn = diagram.layers[name] else {
                problems.append("\(name) is a target of Package.swift but not a node of docs/architecture.md's mermaid diagram")
                continue
            }
            if let layer = LayeringTests.layer(of: name), layer != drawn {
                problems.append("\(name) is drawn in layer \(drawn) but LayeringTests puts it in layer \(layer)")
            }
            let words = Set(diagram.text.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init))
            if !words.contains(name) {
                problems.append("\(name) is missing from docs/architecture.md's plain-text diagram")
            }
        }
        let existing = Set(targets.map(\.name))
        for (name, _) in diagram.layers where !existing.contains(name) && !diagram.planned.contains(name) {
            problems.append("\(name) is drawn in docs/architecture.md but is no target of Package.swift (remove it, or mark it `planned`)")
        }
        XCTAssertEqual(problems, [], problems.joined(separator: "\n"))
    }
}
