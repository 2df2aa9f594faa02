/// Thinning of long series so a page stays small: a few hundred points per curve are all a
/// screen shows, and a long run records tens of thousands.
public enum Decimation {
    /// The most points a series keeps on the page.
    public static let maximumPoints = 400

    /// Indices of at most `limit` evenly spaced elements of `0..<count`, always keeping the
    /// first and the last (where a run starts and how it ended); all of them when `count ≤ limit`.
    public static func indices(count: Int, limit: Int = maximumPoints) -> [Int] {
        guard count > limit else { return Array(0 ..< count) }
        guard limit > 1 else { return count > 0 ? [count - 1] : [] }
        var picked: [Int] = []
        picked.reserveCapacity(limit)
        for i in 0 ..< limit {
            let index = Int((Double(i) * Double(count - 1) / Double(limit - 1)).rounded())
            if picked.last != index { picked.append(index) }
        }
        return picked
    }

    /// The elements of `values` at ``indices(count:limit:)``.
    public static func thin<T>(_ values: [T], limit: Int = maximumPoints) -> [T] {
        indices(count: values.count, limit: limit).map { values[$0] }
    }

    /// Block averages of a square `side × side` row-major image over `factor × factor` blocks
    /// (the last partial blocks dropped): a 1024² vorticity field becomes 256² without the
    /// aliasing that taking every fourth point would show.
    public static func blockAverage(_ image: [Double], side: Int, factor: Int) -> (values: [Double], side: Int) {
        guard factor > 1 else { return (image, side) }
        let out = side / factor
        var result = [Double](repeating: 0, count: out * out)
        let weight = 1 / Double(factor * factor)
        for by in 0 ..< out {
            for bx in 0 ..< out {
                var sum = 0.0
                for y in by * factor ..< (by + 1) * factor {
                    let row = y * side
                    for x in bx * factor ..< (bx + 1) * factor { sum += image[row + x] }
                }
                result[by * out + bx] = sum * weight
            }
        }
        return (result, out)
    }

    /// The smallest block factor that brings `side` to at most `limit`.
    public static func blockFactor(side: Int, limit: Int) -> Int {
        max(1, (side + limit - 1) / limit)
    }
}
