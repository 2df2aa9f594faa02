import CounterRNG
import DistributedFFT
import Foundation
import JobKit
import Linalg
import Parallel

extension SelftestJob {
    /// Philox known-answer vector, and normals that do not depend on how indices are split.
    func checkRandomNumbers(_ check: inout Check, _ context: RunContext) throws {
        let comm = context.communicator
        let kat = Philox4x32.block(counter: (0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), key: (0xa4093822, 0x299f31d0))
        check.expect([kat.0, kat.1, kat.2, kat.3] == [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
                     "Philox4x32-10 known-answer vector")
        let rng = CounterRNG(seed: UInt64(parameters.seed), stream: 1)
        let count = 100_003
        let mine = comm.blockRange(of: count)
        let local = rng.normals(mine.count, startingAt: UInt64(mine.lowerBound))
        let sum = try comm.allreduce(local.reduce(0, +), .sum)
        let sumsq = try comm.allreduce(local.map { $0 * $0 }.reduce(0, +), .sum)
        let n = Double(count)
        check.expect(abs(sum / n) < 5 / n.squareRoot(), "normal mean \(sum / n)")
        check.expect(abs(sumsq / n - 1) < 5 * (2 / n).squareRoot(), "normal variance \(sumsq / n)")
        // Rank 0's block must equal what a single generator produces for those indices.
        if comm.isRoot { check.expect(local == Array(rng.normals(count).prefix(mine.count)), "blocks depend on the split") }
    }

    /// gemm and syrk against closed forms, and the tridiagonal Toeplitz spectrum.
    func checkLinearAlgebra(_ check: inout Check, _ context: RunContext) throws {
        let n = parameters.blasN
        // A = ones(n×n): A·A = n·ones; AᵀA likewise.
        let ones = Matrix(rows: n, columns: n, repeating: 1)
        let product = ones * ones
        check.expect(product.elements.allSatisfy { $0 == Double(n) }, "gemm of ones")
        var gram = Matrix(rows: n, columns: n)
        ones.elements.withUnsafeBufferPointer { BLAS.syrkTransposed(2, $0, rows: n, columns: n, 0, &gram) }
        gram.symmetrizeFromUpper()
        check.expect(gram.elements.allSatisfy { $0 == 2 * Double(n) }, "syrk of ones")
        var t = Matrix(rows: n, columns: n)
        for i in 0 ..< n { t[i, i] = 2; if i + 1 < n { t[i, i + 1] = -1; t[i + 1, i] = -1 } }
        for solver in EigenSolver.allCases {
            let e = try SymmetricEigen(t, solver: solver)
            var worst = 0.0
            for (k, lambda) in e.values.enumerated() {
                worst = max(worst, abs(lambda - (2 - 2 * cos(Double(k + 1) * .pi / Double(n + 1)))))
            }
            check.expect(worst < 1e-11, "\(solver.rawValue) eigenvalues off by \(worst)")
        }
        check.details.append("n = \(n)")
    }

    /// A distributed FFT round trip, an exact Fourier mode, and Parseval.
    func checkFFT(_ check: inout Check, _ context: RunContext, shape: [Int]) throws {
        let comm = context.communicator
        let effort = parameters.effort
        let tol = parameters.tolerance
        let t0 = MPIEnvironment.wtime()
        let plan = try RealFFTPlan(shape: shape, communicator: comm, effort: effort)
        let planSeconds = MPIEnvironment.wtime() - t0
        let inner = shape.dropFirst().reduce(1, *)
        let mode = shape.map { $0 / 3 }     // a wavenumber inside the grid on every axis
        var slab = [Double](repeating: 0, count: plan.localRealRange.count * inner)
        for (li, i) in plan.localRealRange.enumerated() {
            for r in 0 ..< inner {
                let g = shape.count == 2 ? [i, r] : [i, r / shape[2], r % shape[2]]
                var phase = 0.0
                for d in 0 ..< shape.count { phase += Double(mode[d] * g[d]) / Double(shape[d]) }
                slab[li * inner + r] = cos(2 * .pi * phase)
            }
        }
        plan.loadReal(slab)
        plan.forward()
        let n = Double(plan.pointCount)
        var found = 0
        if let c = plan.coefficient(mode) {
            found = 1
            // A cosine of a mode with no Nyquist/zero component has ĉ = N/2 at its wavenumber.
            let expected = mode.enumerated().allSatisfy { $0.element == 0 || 2 * $0.element == shape[$0.offset] } ? n : n / 2
            check.expect(abs(c.re - expected) <= tol * n && abs(c.im) <= tol * n, "coefficient at \(mode) is \(c), expected \(expected)")
        }
        check.expect(try comm.allreduce(found, .sum) == 1, "mode \(mode) stored on exactly one rank")
        let energy = try plan.spectralEnergy()
        let realEnergy = try comm.allreduce(slab.map { $0 * $0 }.reduce(0, +), .sum)
        check.expect(abs(energy - n * realEnergy) <= tol * n * realEnergy, "Parseval: \(energy) vs \(n * realEnergy)")
        try comm.barrier()
        let t1 = MPIEnvironment.wtime()
        plan.backward()
        let pairSeconds = MPIEnvironment.wtime() - t1
        var worst = 0.0
        for (x, y) in zip(plan.realSlab(), slab) { worst = max(worst, abs(x - y)) }
        worst = try comm.allreduce(worst, .max)
        check.expect(worst <= tol, "round trip error \(worst) > \(tol)")
        check.details.append("\(shape.map(String.init).joined(separator: "×")): round-trip error \(String(format: "%.1e", worst)), planned (\(effort.rawValue)) in \(String(format: "%.2f", planSeconds)) s, backward \(String(format: "%.2f", pairSeconds * 1e3)) ms")
    }
}
