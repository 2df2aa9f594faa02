import CScaLAPACK
import Linalg
import Parallel
import Storage

/// A real symmetric n × n matrix in ScaLAPACK's 2-D block-cyclic layout over a ``ProcessGrid``:
/// each rank holds only its blocks (about n²/P elements), never the whole matrix.
///
/// Local storage is column-major as ScaLAPACK wants: element (i, j) of the global matrix, owned by
/// grid position (i / nb mod Pr, j / nb mod Pc), is `local[li + lj · leadingDimension]` with li, lj
/// the local indices of ``rowAxis`` and ``columnAxis``. Both triangles are stored.
public struct DistributedSymmetricMatrix: @unchecked Sendable {
    /// The default block size nb (ScaLAPACK's usual 32–128; 64 measured in bench/eigen).
    public static let defaultBlockSize = 64

    /// The grid the blocks are spread over.
    public let grid: ProcessGrid
    /// Global order n.
    public let order: Int
    /// Block size nb (square blocks).
    public let blockSize: Int
    /// The row axis (over the grid's rows) and column axis (over its columns).
    public let rowAxis: BlockCyclicAxis, columnAxis: BlockCyclicAxis
    /// This rank's local rows and columns.
    public let localRows: Int, localColumns: Int
    /// This rank's blocks, column-major with ``leadingDimension``.
    public var local: [Double]
    /// Whether the blocks above the diagonal blocks are stale (after an assembly, which forms the lower
    /// block triangle only, until ``mirrorLowerTriangle()``). The eigensolvers read the lower triangle.
    public internal(set) var upperIsStale = false

    /// The local leading dimension (at least 1, as descinit requires).
    public var leadingDimension: Int { max(1, localRows) }

    /// Bytes of this rank's part (the 1/P share the layout exists for).
    public var localBytes: Int { local.count * MemoryLayout<Double>.stride }

    /// A zero matrix of order `order` on `grid` (collective only in that every rank makes one).
    public init(order: Int, blockSize: Int = defaultBlockSize, grid: ProcessGrid) throws {
        guard order >= 1, blockSize >= 1 else {
            throw DistributedLinalgError("a distributed matrix needs order ≥ 1 and block size ≥ 1, got \(order) and \(blockSize)")
        }
        guard order <= Int(Int32.max) else { throw DistributedLinalgError("order \(order) exceeds ScaLAPACK's 32-bit indices") }
        self.grid = grid
        self.order = order
        self.blockSize = blockSize
        rowAxis = BlockCyclicAxis(length: order, blockSize: blockSize, processes: grid.rows)
        columnAxis = BlockCyclicAxis(length: order, blockSize: blockSize, processes: grid.columns)
        localRows = rowAxis.localCount(of: grid.myRow)
        localColumns = columnAxis.localCount(of: grid.myColumn)
        let (count, overflow) = localRows.multipliedReportingOverflow(by: localColumns)
        guard !overflow else { throw DistributedLinalgError("local part \(localRows) × \(localColumns) overflows") }
        local = [Double](repeating: 0, count: count)
    }

    /// The global row of local row `li` on this rank.
    public func globalRow(_ li: Int) -> Int { rowAxis.globalIndex(of: li, on: grid.myRow) }
    /// The global column of local column `lj` on this rank.
    public func globalColumn(_ lj: Int) -> Int { columnAxis.globalIndex(of: lj, on: grid.myColumn) }

    /// Whether this rank holds global element (i, j).
    public func owns(_ i: Int, _ j: Int) -> Bool { rowAxis.owner(of: i) == grid.myRow && columnAxis.owner(of: j) == grid.myColumn }

    /// Global element (i, j), which this rank must own.
    public subscript(global i: Int, j: Int) -> Double {
        get { local[rowAxis.localIndex(of: i) + columnAxis.localIndex(of: j) * leadingDimension] }
        set { local[rowAxis.localIndex(of: i) + columnAxis.localIndex(of: j) * leadingDimension] = newValue }
    }

    /// The ScaLAPACK array descriptor of the local part.
    func descriptor() throws -> [Int32] {
        var desc = [Int32](repeating: 0, count: 9)
        var m = Int32(order), nb = Int32(blockSize), zero: Int32 = 0, ctxt = grid.context, lld = Int32(leadingDimension), info: Int32 = 0
        descinit_(&desc, &m, &m, &nb, &nb, &zero, &zero, &ctxt, &lld, &info)
        guard info == 0 else { throw DistributedLinalgError("descinit: argument \(-info) had an illegal value") }
        return desc
    }

    /// The diagonal, on every rank (collective: each rank contributes the diagonal elements it owns).
    public func diagonal() throws -> [Double] {
        var d = [Double](repeating: 0, count: order)
        for lj in 0 ..< localColumns {
            let j = globalColumn(lj)
            if rowAxis.owner(of: j) == grid.myRow { d[j] = local[rowAxis.localIndex(of: j) + lj * leadingDimension] }
        }
        try grid.communicator.allreduce(inPlace: &d, .sum)
        return d
    }

    /// Multiplies element (i, j) by `left[i] · right[j]` (local, no communication): D₁ A D₂.
    public mutating func scale(rows left: [Double], columns right: [Double]) {
        precondition(left.count == order && right.count == order, "scale: vectors of \(left.count), \(right.count) for order \(order)")
        let ld = leadingDimension
        for lj in 0 ..< localColumns {
            let s = right[globalColumn(lj)]
            for li in 0 ..< localRows { local[li + lj * ld] *= left[globalRow(li)] * s }
        }
    }

    /// Applies `body(i, j, value)` to every owned element and stores its result (local).
    public mutating func update(_ body: (Int, Int, Double) -> Double) {
        let ld = leadingDimension
        for lj in 0 ..< localColumns {
            let j = globalColumn(lj)
            for li in 0 ..< localRows { local[li + lj * ld] = body(globalRow(li), j, local[li + lj * ld]) }
        }
    }

    /// The whole matrix on every rank, row-major (collective; for tests and small matrices only).
    public func gathered() throws -> Matrix {
        if upperIsStale {
            var mirrored = self
            try mirrored.mirrorLowerTriangle()
            return try mirrored.gathered()
        }
        var full = Matrix(rows: order, columns: order)
        let ld = leadingDimension
        for lj in 0 ..< localColumns {
            let j = globalColumn(lj)
            for li in 0 ..< localRows { full[globalRow(li), j] = local[li + lj * ld] }
        }
        try grid.communicator.allreduce(inPlace: &full.elements, .sum)
        return full
    }

    /// This rank's part (as stored: see ``upperIsStale``) in the file's row-major order of a `(order, order)` dataset: the owned rows in
    /// increasing order, in each the owned columns (what ``H5File/write(_:_:rows:columns:)`` takes).
    public func localRowMajor() -> [Double] {
        var out = [Double](repeating: 0, count: local.count)
        let ld = leadingDimension
        for li in 0 ..< localRows { for lj in 0 ..< localColumns { out[li * localColumns + lj] = local[li + lj * ld] } }
        return out
    }

    /// Writes the matrix into the existing `(order, order)` float64 dataset `path` of `file` (opened on
    /// the grid's communicator), each rank its own blocks, in one collective strided write.
    /// Element (i, j) of the dataset is element (i, j) of the matrix (for eigenvectors: columns are vectors).
    /// A matrix with a stale upper triangle is mirrored in a copy first (one more share).
    public func write(to file: H5File, path: String) throws {
        if upperIsStale {
            var mirrored = self
            try mirrored.mirrorLowerTriangle()
            return try mirrored.write(to: file, path: path)
        }
        let data = localRowMajor()
        try data.withUnsafeBufferPointer {
            try file.write(path, $0, rows: rowAxis.runs(of: grid.myRow), columns: columnAxis.runs(of: grid.myColumn))
        }
    }
}
