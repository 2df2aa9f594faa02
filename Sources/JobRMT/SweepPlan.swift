import CounterRNG
import Foundation

/// The sample counts of a sweep and the nested random subsets that realise them.
enum SweepPlan {
    /// The sizes M: the explicit list if given, else `steps` points of a geometric grid from
    /// `minimum` to `total` inclusive (rounded, duplicates removed).
    static func sizes(explicit: [Int], minimum: Int, steps: Int, total: Int) -> [Int] {
        if !explicit.isEmpty { return explicit }
        let lo = Double(min(minimum, total)), hi = Double(total)
        guard steps > 1, hi > lo else { return [total] }
        var out: [Int] = []
        for k in 0 ..< steps {
            let m = Int((lo * pow(hi / lo, Double(k) / Double(steps - 1))).rounded())
            if out.last != m { out.append(m) }
        }
        out[out.count - 1] = total
        return out
    }

    /// Position of every sample in the random order of repeat `repeatIndex`: sample i belongs to the
    /// subset of size M iff position[i] < M, so subsets are nested in M. The order sorts the 64-bit
    /// keys CounterRNG(seed ⊕ 0x5AB5E7, stream: repeat).bits(at: i), ties by index: the same on any rank count.
    static func positions(total n: Int, seed: UInt64, repeatIndex: Int) -> [Int] {
        let rng = CounterRNG(seed: seed ^ 0x5AB5E7, stream: UInt64(repeatIndex))
        let keys = (0 ..< n).map { rng.bits(at: UInt64($0)) }
        let order = (0 ..< n).sorted { keys[$0] != keys[$1] ? keys[$0] < keys[$1] : $0 < $1 }
        var position = [Int](repeating: 0, count: n)
        for (p, i) in order.enumerated() { position[i] = p }
        return position
    }
}
