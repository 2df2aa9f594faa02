/// An element of D4, the symmetry group of the square (order 8), as its orthogonal integer matrix M acting
/// on coordinates p = (x, y) of the periodic grid: x along the width (NHWC's W, column j), y along the height
/// (H, row i). Rotations turn x towards y (counter-clockwise when y points up).
public enum SquareGroupElement: Int, Sendable, CaseIterable, CustomStringConvertible {
    case identity, rotation90, rotation180, rotation270
    /// x → −x.
    case reflectionX
    /// y → −y.
    case reflectionY
    /// x ↔ y.
    case reflectionDiagonal
    /// (x, y) → (−y, −x).
    case reflectionAntidiagonal

    /// M as ((m00, m01), (m10, m11)): (x, y) → (m00 x + m01 y, m10 x + m11 y).
    public var matrix: ((Int, Int), (Int, Int)) {
        switch self {
        case .identity: return ((1, 0), (0, 1))
        case .rotation90: return ((0, -1), (1, 0))
        case .rotation180: return ((-1, 0), (0, -1))
        case .rotation270: return ((0, 1), (-1, 0))
        case .reflectionX: return ((-1, 0), (0, 1))
        case .reflectionY: return ((1, 0), (0, -1))
        case .reflectionDiagonal: return ((0, 1), (1, 0))
        case .reflectionAntidiagonal: return ((0, -1), (-1, 0))
        }
    }

    /// det M: +1 for rotations, −1 for reflections (the factor a pseudo-scalar such as the vorticity takes).
    public var determinant: Int {
        let ((a, b), (c, d)) = matrix
        return a * d - b * c
    }

    /// Whether the element reverses orientation.
    public var isReflection: Bool { determinant < 0 }

    /// M p.
    public func apply(x: Int, y: Int) -> (x: Int, y: Int) {
        let ((a, b), (c, d)) = matrix
        return (a * x + b * y, c * x + d * y)
    }

    /// The element with matrix M_self · M_other (apply `other` first).
    public func composed(after other: SquareGroupElement) -> SquareGroupElement {
        let ((a, b), (c, d)) = matrix, ((e, f), (g, h)) = other.matrix
        let product = ((a * e + b * g, a * f + b * h), (c * e + d * g, c * f + d * h))
        return Self.element(withEntries: [product.0.0, product.0.1, product.1.0, product.1.1])
    }

    /// The inverse (M⁻¹ = Mᵀ).
    public var inverse: SquareGroupElement {
        let ((a, b), (c, d)) = matrix
        return Self.element(withEntries: [a, c, b, d])
    }

    /// (m00, m01, m10, m11).
    var entries: [Int] {
        let ((a, b), (c, d)) = matrix
        return [a, b, c, d]
    }

    /// The element whose matrix has `entries` (closure of the group: always one).
    static func element(withEntries e: [Int]) -> SquareGroupElement {
        guard let g = allCases.first(where: { $0.entries == e }) else { preconditionFailure("D4 is closed: \(e) is no element") }
        return g
    }

    public var description: String {
        ["e", "r90", "r180", "r270", "σx", "σy", "σd", "σa"][rawValue]
    }
}
