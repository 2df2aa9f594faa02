/// Renders a schema as text or Markdown for `cascade describe` and the docs.
public enum SchemaDocs {
    public static func render(_ schema: JobSchema, markdown: Bool) -> String {
        var out = ""
        if markdown {
            out += "| key | type | default | meaning |\n|---|---|---|---|\n"
            for f in schema.allFields {
                let d = f.defaultValue.map { "`\($0.tomlLiteral)`" } ?? "required"
                out += "| `\(f.path)` | \(f.type.expectation) | \(d) | \(f.doc) |\n"
            }
        } else {
            out += "kind = \"\(schema.kind)\": \(schema.summary)\n\n"
            for f in schema.allFields {
                let d = f.defaultValue.map { "default \($0.tomlLiteral)" } ?? "required"
                out += "  \(f.path)  (\(f.type.expectation); \(d))\n      \(f.doc)\n"
            }
        }
        return out
    }
}
