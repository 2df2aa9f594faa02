import Linalg

/// The irreducible representations of D4, the point group of the square (order 8).
public enum D4Irrep: String, CaseIterable, Sendable {
    case a1 = "A1", a2 = "A2", b1 = "B1", b2 = "B2", e = "E"
}

/// The point group D4 acting on an N × N periodic grid (row i, column j, centre at the grid point (0, 0)), and the
/// projection of matrices on its irreducible representations.
///
/// Elements, in this order: e; the rotations r: (i, j) → (j, −i), r², r³; the axis reflections σ: (i, j) → (i, −j)
/// and (−i, j); the diagonal reflections (j, i) and (−j, −i) (indices mod N). A field f transforms as
/// (g·f)(p) = f(g⁻¹p). The projector on Γ is P_Γ = (d_Γ/8) Σ_g χ_Γ(g) g (χ real and χ(g⁻¹) = χ(g), so P_Γ is an
/// orthogonal projector, P_Γ = P_Γᵀ = P_Γ², and Σ_Γ P_Γ = 1). B1 is even under the axis reflections, B2 under the
/// diagonal ones. For the two-dimensional E, ``projector(_:)`` uses the projector on one partner (one row of the
/// representation), P_E¹¹ = (2/8) Σ_g D¹¹(g) g = ¼(e − r² + σ_axis1 − σ_axis2): for a D4-invariant matrix E's levels
/// come in exact pairs (one per partner) and P_E¹¹ keeps one level of each pair; for a matrix that is not exactly
/// invariant it keeps the levels of one partner rather than halving a sorted list of near-pairs.
public struct SquareSymmetry: Sendable {
    /// The side N of the grid.
    public let side: Int
    /// For each group element g, the flat index g(p) of every flat index p = i·N + j.
    let images: [[Int]]

    /// The group on an N × N grid (N ≥ 1).
    public init(side n: Int) {
        side = n
        let maps: [(Int, Int) -> (Int, Int)] = [
            { ($0, $1) }, { ($1, -$0) }, { (-$0, -$1) }, { (-$1, $0) },
            { ($0, -$1) }, { (-$0, $1) }, { ($1, $0) }, { (-$1, -$0) },
        ]
        images = maps.map { g in
            (0 ..< n * n).map { p in
                let (i, j) = g(p / n, p % n)
                return ((i % n + n) % n) * n + ((j % n + n) % n)
            }
        }
    }

    /// The coefficients c_g of the projector Σ_g c_g g on `irrep` (E: one partner, see the type's documentation).
    public static func coefficients(_ irrep: D4Irrep) -> [Double] {
        let characters: [Double]
        switch irrep {
        case .a1: characters = [1, 1, 1, 1, 1, 1, 1, 1]
        case .a2: characters = [1, 1, 1, 1, -1, -1, -1, -1]
        case .b1: characters = [1, -1, 1, -1, 1, 1, -1, -1]
        case .b2: characters = [1, -1, 1, -1, -1, -1, 1, 1]
        case .e: return [1, 0, -1, 0, 1, -1, 0, 0].map { 2 * $0 / 8 }
        }
        return characters.map { $0 / 8 }
    }

    /// How many levels `irrep` contributes to the full spectrum for each level of its projected matrix: 2 for E
    /// (two partners), 1 otherwise.
    public static func multiplicity(_ irrep: D4Irrep) -> Int { irrep == .e ? 2 : 1 }

    /// The dimension tr P of the subspace projected on (E: of one partner, half of E's isotypic dimension).
    public func dimension(_ irrep: D4Irrep) -> Int {
        let c = SquareSymmetry.coefficients(irrep)
        var trace = 0.0
        for (g, image) in images.enumerated() where c[g] != 0 {
            trace += c[g] * Double(image.indices.filter { image[$0] == $0 }.count)
        }
        return Int(trace.rounded())
    }

    /// The projected field (P f)(p) = Σ_g c_g f(g(p)) of one sample (N² values, row-major).
    public func project(_ f: ArraySlice<Double>, _ irrep: D4Irrep) -> [Double] {
        let c = SquareSymmetry.coefficients(irrep), base = f.startIndex
        var out = [Double](repeating: 0, count: side * side)
        for (g, image) in images.enumerated() where c[g] != 0 {
            for p in out.indices { out[p] += c[g] * f[base + image[p]] }
        }
        return out
    }

    /// P M P for a symmetric N² × N² matrix M (the covariance of the projected samples when M is their
    /// covariance): (PMP)_ab = Σ_g Σ_h c_g c_h M_{g(a), h(b)}, in two passes of 8·N⁴ operations at most.
    public func project(_ m: Matrix, _ irrep: D4Irrep) -> Matrix {
        let d = side * side
        precondition(m.rows == d && m.columns == d, "project needs an N² × N² matrix")
        let c = SquareSymmetry.coefficients(irrep)
        var left = Matrix(rows: d, columns: d)
        for (g, image) in images.enumerated() where c[g] != 0 {
            for a in 0 ..< d {
                let src = image[a] * d, dst = a * d
                for q in 0 ..< d { left.elements[dst + q] += c[g] * m.elements[src + q] }
            }
        }
        var out = Matrix(rows: d, columns: d)
        for (h, image) in images.enumerated() where c[h] != 0 {
            for a in 0 ..< d {
                let row = a * d
                for b in 0 ..< d { out.elements[row + b] += c[h] * left.elements[row + image[b]] }
            }
        }
        return out
    }
}
