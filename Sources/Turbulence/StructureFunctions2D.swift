import DistributedFFT
import Foundation
import Parallel

/// Velocity structure functions of a distributed 2D field.
///
/// For separations r (grid points) along x and along y, and orders p = 1…8:
/// S_p(r) = ⟨δu^p⟩ and ⟨|δu|^p⟩ averaged over every grid point, for four increments:
/// longitudinal along x (δu = u(x+r, y) − u(x, y)), transverse along x (δv along x),
/// longitudinal along y (δv along y), transverse along y (δu along y). Rows (y) are split over
/// ranks; increments along y fetch the shifted rows from their owners (all-to-all).
public final class StructureFunctions2D {
    /// The four increments, in output order.
    public static let components = ["longitudinal_x", "transverse_x", "longitudinal_y", "transverse_y"]
    /// Orders 1…8.
    public static let orders = 8
    /// Separations in grid points.
    public let separations: [Int]
    private let grid: SpectralGrid2D
    private let ranges: [Range<Int>]

    /// Default separations: 1, 2, 3, 4, 6, 8, 12, 16, … (2^k and 3·2^k) up to N/2.
    public static func defaultSeparations(n: Int) -> [Int] {
        var out: [Int] = []
        var p = 1
        while p <= n / 2 {
            out.append(p)
            if 3 * p / 2 > p && 3 * p / 2 <= n / 2 && p >= 2 { out.append(3 * p / 2) }
            p *= 2
        }
        if n / 2 >= 3 && !out.contains(3) { out.append(3) }
        return Array(Set(out)).sorted()
    }

    /// Collective (exchanges the row ranges once).
    public init(grid: SpectralGrid2D, separations: [Int]) throws {
        self.grid = grid
        self.separations = separations
        let bounds = try grid.communicator.allgather([grid.rows.lowerBound, grid.rows.upperBound])
        ranges = (0 ..< grid.communicator.size).map { bounds[2 * $0] ..< bounds[2 * $0 + 1] }
    }

    /// Values per output: 4 components × 2 (signed, absolute) × 8 orders × separations, flattened
    /// in that order (separation fastest).
    public var valueCount: Int { 4 * 2 * StructureFunctions2D.orders * separations.count }

    /// Structure functions of the physical velocity (u, v) given as real arrays of the grid.
    /// Collective.
    public func compute(u: FFTArray, v: FFTArray) throws -> [Double] {
        let n = grid.n, stride = grid.rowStride, rows = grid.localRows, ns = separations.count
        var sums = [Double](repeating: 0, count: valueCount)
        func accumulate(_ component: Int, _ s: Int, _ d: Double, _ sums: inout [Double]) {
            var signed = d, absolute = abs(d)
            let base = component * 2 * StructureFunctions2D.orders * ns + s
            for p in 0 ..< StructureFunctions2D.orders {
                sums[base + p * ns] += signed
                sums[base + (StructureFunctions2D.orders + p) * ns] += absolute
                signed *= d
                absolute *= abs(d)
            }
        }
        for (s, r) in separations.enumerated() {
            // Along x: within each local row.
            for row in 0 ..< rows {
                let pu = u.pointer + row * stride, pv = v.pointer + row * stride
                for c in 0 ..< n {
                    let c2 = (c + r) % n
                    accumulate(0, s, pu[c2] - pu[c], &sums)
                    accumulate(1, s, pv[c2] - pv[c], &sums)
                }
            }
            // Along y: rows (i + r) mod N from their owners.
            let shifted = try shiftedRows(u: u, v: v, by: r)
            for row in 0 ..< rows {
                let pu = u.pointer + row * stride, pv = v.pointer + row * stride
                let base = row * 2 * n
                for c in 0 ..< n {
                    accumulate(2, s, shifted[base + n + c] - pv[c], &sums)
                    accumulate(3, s, shifted[base + c] - pu[c], &sums)
                }
            }
        }
        let total = try grid.communicator.allreduce(sums, .sum)
        let points = Double(grid.pointCount)
        return total.map { $0 / points }
    }

    private func owner(_ row: Int) -> Int { ranges.firstIndex { $0.contains(row) }! }

    /// For each local row i: row (i + r) mod N of u then of v (2N values per row).
    func shiftedRows(u: FFTArray, v: FFTArray, by r: Int) throws -> [Double] {
        let n = grid.n, stride = grid.rowStride, mine = grid.rows
        var send: [Double] = [], counts = [Int](repeating: 0, count: ranges.count)
        for (d, range) in ranges.enumerated() {
            for i in range {
                let g = (i + r) % n
                guard mine.contains(g) else { continue }
                let local = g - mine.lowerBound
                send.append(contentsOf: UnsafeBufferPointer(start: u.pointer + local * stride, count: n))
                send.append(contentsOf: UnsafeBufferPointer(start: v.pointer + local * stride, count: n))
                counts[d] += 2 * n
            }
        }
        let received = try grid.communicator.alltoallv(send, sendCounts: counts)
        // Rows arrive grouped by source rank, each group in the order of my rows.
        var start = [Int](repeating: 0, count: ranges.count), cursor = [Int](repeating: 0, count: ranges.count)
        var groupSizes = [Int](repeating: 0, count: ranges.count)
        for i in mine { groupSizes[owner((i + r) % n)] += 2 * n }
        var acc = 0
        for s in 0 ..< ranges.count { start[s] = acc; acc += groupSizes[s] }
        var out = [Double](repeating: 0, count: mine.count * 2 * n)
        for (row, i) in mine.enumerated() {
            let s = owner((i + r) % n)
            let from = start[s] + cursor[s]
            for q in 0 ..< 2 * n { out[row * 2 * n + q] = received[from + q] }
            cursor[s] += 2 * n
        }
        return out
    }
}
