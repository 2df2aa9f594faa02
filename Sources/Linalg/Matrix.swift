/// A dense row-major matrix of doubles (element (i, j) at `i * columns + j`).
///
/// A value type with copy-on-write storage. BLAS and LAPACK are column-major; the wrappers
/// in this module map row-major calls onto them without copies (a row-major matrix is the
/// column-major storage of its transpose).
public struct Matrix: Equatable, Sendable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// The elements, row after row.
    public var elements: [Double]

    /// A matrix with every element `value`.
    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && columns >= 0, "matrix dimensions must not be negative")
        self.rows = rows
        self.columns = columns
        self.elements = [Double](repeating: value, count: rows * columns)
    }

    /// A matrix from its elements in row-major order.
    public init(rows: Int, columns: Int, elements: [Double]) {
        precondition(elements.count == rows * columns, "Matrix needs rows × columns = \(rows * columns) elements, got \(elements.count)")
        self.rows = rows
        self.columns = columns
        self.elements = elements
    }

    /// The n × n identity.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, columns: n)
        for i in 0 ..< n { m[i, i] = 1 }
        return m
    }

    /// Element (i, j).
    @inlinable
    public subscript(i: Int, j: Int) -> Double {
        get { elements[i * columns + j] }
        set { elements[i * columns + j] = newValue }
    }

    /// Row `i` as an array.
    public func row(_ i: Int) -> [Double] { Array(elements[i * columns ..< (i + 1) * columns]) }

    /// Column `j` as an array.
    public func column(_ j: Int) -> [Double] { (0 ..< rows).map { self[$0, j] } }

    /// The transpose.
    public var transposed: Matrix {
        var t = Matrix(rows: columns, columns: rows)
        for i in 0 ..< rows { for j in 0 ..< columns { t[j, i] = self[i, j] } }
        return t
    }

    /// Copies the upper triangle onto the lower one (after `syrk`, which fills one triangle).
    public mutating func symmetrizeFromUpper() {
        precondition(rows == columns, "only square matrices are symmetric")
        for i in 0 ..< rows { for j in 0 ..< i { self[i, j] = self[j, i] } }
    }
}
