import DistributedFFT
import Foundation
import Parallel

/// f at global index: a sum of two exact Fourier modes plus a constant.
private func modeField(_ g: [Int], _ shape: [Int]) -> Double {
    var p1 = 0.0, p2 = 0.0
    let a = [1, 2, 3], b = [2, 1, 1]
    for d in 0 ..< shape.count {
        p1 += Double(a[d] * g[d]) / Double(shape[d])
        p2 += Double(b[d] * g[d]) / Double(shape[d])
    }
    let c: Double = cos(2 * Double.pi * p1)
    let s: Double = sin(2 * Double.pi * p2)
    return 0.5 + c + 0.25 * s
}

private func fftCheck(_ shape: [Int]) -> MPICheck {
    MPICheck("fft.distributed-\(shape.map(String.init).joined(separator: "x"))") { comm, t in
        let plan = try RealFFTPlan(shape: shape, communicator: comm)
        let inner = shape.dropFirst().reduce(1, *)
        var slab = [Double](repeating: 0, count: plan.localRealRange.count * inner)
        for (li, i) in plan.localRealRange.enumerated() {
            for r in 0 ..< inner {
                var g = [i]
                if shape.count == 2 { g.append(r) } else { g += [r / shape[2], r % shape[2]] }
                slab[li * inner + r] = modeField(g, shape)
            }
        }
        plan.loadReal(slab)
        plan.forward()
        let n = Double(plan.pointCount)
        // Exact coefficients: mean → N·0.5 at k = 0; cos mode a → N/2; sin mode b → −i·N/8.
        let a = Array([1, 2, 3].prefix(shape.count)), b = Array([2, 1, 1].prefix(shape.count))
        let expectations: [([Int], Double, Double)] = [
            ([Int](repeating: 0, count: shape.count), n * 0.5, 0), (a, n / 2, 0), (b, 0, -n / 8),
        ]
        var found = 0
        for (k, re, im) in expectations {
            if let c = plan.coefficient(k) {
                found += 1
                t.expectClose(c.re, re, rel: 1e-12, floor: n, "Re ĉ\(k)")
                t.expectClose(c.im, im, rel: 1e-12, floor: n, "Im ĉ\(k)")
            }
        }
        t.expect(try comm.allreduce(found, .sum) == 3, "each exact coefficient stored on exactly one rank")
        let energy = try plan.spectralEnergy()
        let realEnergy = try comm.allreduce(slab.map { $0 * $0 }.reduce(0, +), .sum)
        t.expectClose(energy, n * realEnergy, rel: 1e-12, "Parseval")
        // Σ(Re² − Im²) over the stored spectrum: a second checksum, identical on any rank count.
        var weighted = 0.0
        for e in 0 ..< plan.localSpectralCount {
            weighted += plan.spectralBuffer[2 * e] * plan.spectralBuffer[2 * e] - plan.spectralBuffer[2 * e + 1] * plan.spectralBuffer[2 * e + 1]
        }
        t.record("energy", [energy, try comm.allreduce(weighted, .sum)], tolerance: 1e-12)
        plan.backward()
        let back = plan.realSlab()
        var worst = 0.0
        for (x, y) in zip(back, slab) { worst = max(worst, abs(x - y)) }
        t.expect(try comm.allreduce(worst, .max) < 1e-13, "round trip error \(worst)")
    }
}

/// Distributed FFTs against exact modes, Parseval and round trip; 3 ranks split unevenly.
let fftChecks: [MPICheck] = [fftCheck([64, 48]), fftCheck([30, 22]), fftCheck([16, 12, 10]), fftCheck([7, 9, 6]),
                             productCheck([48, 48], keptX: 15), productCheck([26, 40], keptX: 13)]

/// A deterministic pseudo-random number in [−0.5, 0.5) keyed by global indices (any rank count).
private func keyed(_ a: Int, _ b: Int, _ c: Int) -> Double {
    var h = UInt64(bitPattern: Int64(a &* 1_000_003 &+ b &* 7919 &+ c &* 104_729)) &+ 0x9E37_79B9_7F4A_7C15
    h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
    h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
    return Double((h ^ (h >> 31)) >> 11) * 0x1.0p-53 - 0.5
}

/// DealiasedProductPlan against the full transforms of RealFFTPlan: two band-limited fields
/// (kx ≤ K, |ky| ≤ K) to real space, f₀·f₁ + cos(2πy/n0)·N, back; every kept row must agree.
private func productCheck(_ shape: [Int], keptX: Int) -> MPICheck {
    MPICheck("fft.dealiased-product-\(shape[0])x\(shape[1])") { comm, t in
        let full = try RealFFTPlan(shape: shape, communicator: comm, normalization: .none)
        let product = try DealiasedProductPlan(plan: full, keptX: keptX, inputs: 2, communicator: comm)
        let n0 = shape[0], n1 = shape[1], start = full.localSpectralRange.lowerBound
        let keptY = min(keptX, n0 / 2 - 1)
        func value(_ f: Int, _ j: Int, _ i: Int) -> (Double, Double) {
            let ky = i <= n0 / 2 ? i : i - n0
            guard j <= keptX, abs(ky) <= keptY else { return (0, 0) }
            // kx = 0: Hermitian in ky, as a real field needs.
            if j == 0 && ky < 0 { let (re, im) = value(f, 0, -ky); return (re, -im) }
            return (keyed(f, j, ky), j == 0 && ky == 0 ? 0 : keyed(f + 7, j, ky))
        }
        t.expect(product.keptRows == max(0, min(full.localSpectralRange.count, keptX + 1 - start)), "kept rows")
        let realA = full.makeRealArray(), realB = full.makeRealArray(), spec = full.makeSpectralArray()
        for (f, real) in [(0, realA), (1, realB)] {
            for r in 0 ..< full.localSpectralRange.count {
                for i in 0 ..< n0 {
                    let (re, im) = value(f, start + r, i)
                    spec.pointer[2 * (r * n0 + i)] = re; spec.pointer[2 * (r * n0 + i) + 1] = im
                    if r < product.keptRows { product.input(f)[2 * (r * n0 + i)] = re; product.input(f)[2 * (r * n0 + i) + 1] = im }
                }
            }
            full.backward(spec, real)
        }
        let stride = full.paddedLastDimension, total = Double(full.pointCount)
        for (r, y) in full.localRealRange.enumerated() {
            let shift = total * cos(2 * Double.pi * Double(y) / Double(n0))
            for c in 0 ..< n1 { realA.pointer[r * stride + c] = realA.pointer[r * stride + c] * realB.pointer[r * stride + c] + shift }
        }
        full.forward(realA, spec)
        let inputCopy = Array(UnsafeBufferPointer(start: product.input(0), count: 2 * product.keptRows * n0))
        var rowsSeen = 0
        product.execute { b in
            for r in 0 ..< b.rows {
                let a = b.row(0, r), c = b.row(1, r)
                let shift = total * cos(2 * Double.pi * Double(b.firstRow + r) / Double(n0))
                for x in 0 ..< b.columns { a[x] = a[x] * c[x] + shift }
            }
            rowsSeen += b.rows
        }
        t.expect(rowsSeen == full.localRealRange.count, "kernel saw \(rowsSeen) of \(full.localRealRange.count) rows")
        var worst = 0.0, scale = 0.0, checksum = 0.0
        for e in 0 ..< product.keptRows * n0 {
            for q in 0 ... 1 {
                worst = max(worst, abs(product.output.pointer[2 * e + q] - spec.pointer[2 * e + q]))
                scale = max(scale, abs(spec.pointer[2 * e + q]))
                checksum += product.output.pointer[2 * e + q] * Double(q == 0 ? 1 : -1)
            }
        }
        worst = try comm.allreduce(worst, .max); scale = try comm.allreduce(scale, .max)
        t.expect(scale > 0 && worst <= 1e-12 * scale, "pruned product differs from the full transforms by \(worst) (scale \(scale))")
        t.expect(inputCopy == Array(UnsafeBufferPointer(start: product.input(0), count: 2 * product.keptRows * n0)),
                 "inputs preserved")
        t.record("checksum", [try comm.allreduce(checksum, .sum)], tolerance: 1e-10)
    }
}
