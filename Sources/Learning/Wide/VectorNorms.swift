/// Euclidean norms and distances of float32 vectors, accumulated in Double: the diagnostics
/// compare numbers of very different size (a change of 1e-4 on parameters of norm 1e3).
enum VectorNorms {
    /// ‖a‖₂.
    static func norm(_ a: UnsafeBufferPointer<Float>) -> Double {
        var s = 0.0
        for v in a { s += Double(v) * Double(v) }
        return s.squareRoot()
    }

    /// ‖a − b‖₂ (equal lengths).
    static func distance(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Double {
        precondition(a.count == b.count, "distance of vectors of lengths \(a.count) and \(b.count)")
        var s = 0.0
        for i in 0 ..< a.count {
            let d = Double(a[i]) - Double(b[i])
            s += d * d
        }
        return s.squareRoot()
    }

    /// ‖a‖₂ of an array.
    static func norm(_ a: [Float]) -> Double { a.withUnsafeBufferPointer { norm($0) } }

    /// ‖a − b‖₂ of arrays.
    static func distance(_ a: [Float], _ b: [Float]) -> Double {
        a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { distance(x, $0) } }
    }

    /// a/b with 0/0 read as 0: a quantity that has not moved has not moved relatively either.
    static func ratio(_ a: Double, _ b: Double) -> Double {
        a == 0 ? 0 : a / b
    }
}
