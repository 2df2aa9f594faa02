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

    /// Copies the upper triangle onto the lower one (after `syrk`, which fills one triangle), tile by tile:
    /// element by element down a column would touch a new cache line, and every 512th a new page, per value
    /// (15 ms at d = 2048).
    public mutating func symmetrizeFromUpper() {
        precondition(rows == columns, "only square matrices are symmetric")
        let d = rows, tile = 64
        elements.withUnsafeMutableBufferPointer { e in
            guard let p = e.baseAddress else { return }
            for i0 in stride(from: 0, to: d, by: tile) {
                let i1 = min(i0 + tile, d)
                for j0 in stride(from: i0, to: d, by: tile) {
                    let j1 = min(j0 + tile, d)
                    for i in i0 ..< i1 where max(j0, i + 1) < j1 {
                        for j in max(j0, i + 1) ..< j1 { p[j * d + i] = p[i * d + j] }
                    }
                }
            }
        }
    }
}
