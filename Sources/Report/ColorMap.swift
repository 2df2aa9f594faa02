import Foundation

/// The diverging red–white–blue colour map (ColorBrewer RdBu, reversed so that negative values
/// are blue and positive red), for fields whose sign matters, such as vorticity.
public enum DivergingColorMap {
    /// ColorBrewer's 11-class RdBu anchors, from blue (−) through white (0) to red (+).
    static let anchors: [(UInt8, UInt8, UInt8)] = [
        (5, 48, 97), (33, 102, 172), (67, 147, 195), (146, 197, 222), (209, 229, 240), (247, 247, 247),
        (253, 219, 199), (244, 165, 130), (214, 96, 77), (178, 24, 43), (103, 0, 31),
    ]

    /// The number of colours in the lookup table (one byte per pixel on the page).
    public static let levels = 255

    /// The colour at `t` in [0, 1] (0: most negative, ½: zero, 1: most positive), interpolated
    /// linearly between the anchors; values outside [0, 1] are clamped, NaN is mid grey.
    public static func color(at t: Double) -> (r: UInt8, g: UInt8, b: UInt8) {
        guard !t.isNaN else { return (128, 128, 128) }
        let u = min(max(t, 0), 1) * Double(anchors.count - 1)
        let i = min(Int(u), anchors.count - 2)
        let f = u - Double(i)
        let a = anchors[i], b = anchors[i + 1]
        func mix(_ x: UInt8, _ y: UInt8) -> UInt8 { UInt8((Double(x) + (Double(y) - Double(x)) * f).rounded()) }
        return (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    /// The lookup table: ``levels`` colours as "#rrggbb", index 0 the most negative value.
    public static func table() -> [String] {
        (0 ..< levels).map { i in
            let c = color(at: Double(i) / Double(levels - 1))
            return String(format: "#%02x%02x%02x", c.r, c.g, c.b)
        }
    }

    /// The table index of `value` on a scale symmetric about 0 from −`limit` to +`limit`, so
    /// white is always zero vorticity whichever sign dominates; the odd level count puts 0 on the
    /// middle index exactly. NaN maps to the middle too.
    public static func index(of value: Double, limit: Double) -> UInt8 {
        guard value.isFinite, limit > 0 else { return UInt8(levels / 2) }
        let t = (value / limit + 1) / 2
        return UInt8((min(max(t, 0), 1) * Double(levels - 1)).rounded())
    }
}
