/// A hash of the keys of a configuration that must not change between a checkpoint and
/// `--resume` (every key not declared `resumable`), and the list of keys that differ.
public enum ConfigFingerprint {
    /// The keys that count, with their values as TOML literals, sorted by key.
    static func canonical(_ values: ConfigValue, fields: [ConfigField]) -> [(String, String)] {
        let resumable = Set(fields.filter(\.resumable).map(\.path))
        return values.leaves.filter { !resumable.contains($0.path) }.map { ($0.path, $0.value.tomlLiteral) }
    }

    /// FNV-1a (64-bit) of the canonical keys and values, as 16 hex digits.
    public static func hash(_ values: ConfigValue, fields: [ConfigField]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for (key, value) in canonical(values, fields: fields) {
            for byte in (key + "=" + value + "\n").utf8 {
                h ^= UInt64(byte)
                h = h &* 0x0000_0100_0000_01b3
            }
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Keys whose values differ between two configurations (ignoring resumable keys).
    public static func differences(_ a: ConfigValue, _ b: ConfigValue, fields: [ConfigField]) -> [String] {
        let left = Dictionary(canonical(a, fields: fields), uniquingKeysWith: { x, _ in x })
        let right = Dictionary(canonical(b, fields: fields), uniquingKeysWith: { x, _ in x })
        return Set(left.keys).union(right.keys).filter { left[$0] != right[$0] }.sorted()
    }
}
