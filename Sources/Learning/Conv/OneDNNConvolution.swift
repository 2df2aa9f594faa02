import CDNNL
import CLearningKernels

/// Weights handed to one oneDNN primitive: the store's canonical OHWI floats themselves when the
/// primitive takes that layout unscaled, else a copy reordered (and scaled by s_w) into the layout
/// oneDNN picked.
final class DNNLWeightsFeed {
    /// The memory the primitive reads as DNNL_ARG_WEIGHTS.
    let memory: DNNLMemory
    /// Whether `load` copies (a reorder per step) or only points at the caller's floats.
    let reorders: Bool
    private let buffer: AlignedBuffer?
    private let reorder: DNNLCall?
    private let reorderSource: DNNLMemory?
    /// The canonical weights last loaded.
    private(set) var source: UnsafePointer<Float>?

    /// A feed into layout `target` from the canonical `canonical`; `scale` multiplies the weights.
    init(canonical: dnnl_memory_desc_t, target: dnnl_memory_desc_t, scale: Float,
         reorder pd: DNNLPrimitiveDescriptor?, scratchpad: AlignedBuffer) {
        memory = DNNLMemory(target)
        if let pd {
            let b = AlignedBuffer(bytes: dnnlBytes(target))
            let from = DNNLMemory(canonical)
            memory.point(at: b.raw)
            buffer = b
            reorderSource = from
            reorder = DNNLCall(pd, [(Int32(CDNNL_ARG_FROM), from), (Int32(CDNNL_ARG_TO), memory)],
                               scratchpad: scratchpad, name: "weights reorder")
            reorders = true
        } else {
            buffer = nil; reorderSource = nil; reorder = nil
            reorders = false
        }
    }

    /// Whether a feed from `canonical` to `target` needs a reorder (a layout change or a scale).
    static func needsReorder(canonical: dnnl_memory_desc_t, target: dnnl_memory_desc_t, scale: Float) -> Bool {
        scale != 1 || !dnnlSameLayout(canonical, target)
    }

    /// Makes `memory` hold `weights` (canonical layout) for the next execution.
    @inline(__always)
    func load(_ weights: UnsafePointer<Float>, on stream: DNNLStream) {
        source = weights
        if let reorder, let reorderSource {
            reorderSource.point(at: weights)
            reorder.run(on: stream)
        } else {
            memory.point(at: weights)
        }
    }
}

/// The primitives of one batch size (the built batch; a smaller last batch gets its own set on
/// first use). Memory objects are fixed in the argument lists; only their data pointers change.
final class DNNLConvolutionPrimitives {
    let forward: DNNLCall
    /// The forward convolution with max(0, ·) as an eltwise post-op (a Conv2d followed by a ReLU),
    /// on the same memory objects and weights feed as `forward`; nil when not asked for, or when
    /// oneDNN would pick another weights layout for it (then the engine clamps after `forward`).
    let reluForward: DNNLCall?
    let source: DNNLMemory, forwardFeed: DNNLWeightsFeed, bias: DNNLMemory, destination: DNNLMemory
    let backwardData: DNNLCall?
    let backwardFeed: DNNLWeightsFeed?
    /// Stride 1, 3 × 3: backward-data as a FORWARD convolution of dy with the flipped, transposed kernel
    /// W'[c, a, b, o] = s_w · W[o, k−1−a, k−1−b, c] and padding k−1−p (periodic: dx of a padding-0 conv
    /// on the halo is the "full" convolution, padding k−1; zero: padding k−1−p = p). oneDNN 2.6 has
    /// brgemm kernels for forward only (backward-data runs on its older jit kernels), and newer oneDNN
    /// does the same substitution. Measured (bench/README.md): the periodic stack 1.17× → 1.26× PyTorch
    /// circular; the zero-padded stack 17 ms (3%) faster a step in 4 of 4 alternated pairs once the ReLU
    /// passes stopped dominating the noise (it first looked like no gain). Stride 2 (needs a dilated
    /// dy) and 1 × 1 (not measured) keep the backward-data primitive.
    let transposedForward: DNNLCall?
    let transposedFeed: DNNLWeightsFeed?
    /// W' in the canonical layout [inputs, k, k, outputs], refilled before each backward-data.
    let flippedWeights: AlignedBuffer?
    let diffSource: DNNLMemory?, diffDestinationForData: DNNLMemory?
    let backwardWeights: DNNLCall
    let weightsSource: DNNLMemory, diffDestination: DNNLMemory
    /// oneDNN's dW (its layout), and the reorder to the canonical layout when that differs.
    let diffWeights: AlignedBuffer
    let diffWeightsReorder: DNNLCall?
    /// Whether the weights reorder runs every step (for the benchmark's report).
    var reordersWeights: Bool { forwardFeed.reorders || (backwardFeed?.reorders ?? false) || (transposedFeed?.reorders ?? false) }
    private let scratchpad: AlignedBuffer

    init(geometry g: ConvolutionGeometry, rows: Int, weightScale: Float, computesInputGradient: Bool, fusesReLU: Bool,
         diffBias: DNNLMemory, canonicalDiffWeights: AlignedBuffer) {
        let engine = DNNLEngine.cpu.handle
        let (inH, inW, pad) = g.usesHalo ? (g.haloHeight, g.haloWidth, 0) : (g.height, g.width, g.pad)
        var src = dnnlDescriptor([rows, g.inputs, inH, inW], dnnl_nhwc)
        var dst = dnnlDescriptor([rows, g.outputs, g.outHeight, g.outWidth], dnnl_nhwc)
        var anyWeights = dnnlDescriptor([g.outputs, g.inputs, g.kernel, g.kernel], dnnl_format_tag_any)
        var biasMD = dnnlDescriptor([g.outputs], dnnl_a)
        let canonical = dnnlDescriptor([g.outputs, g.inputs, g.kernel, g.kernel], dnnl_ohwi)
        let strides: [dnnl_dim_t] = [dnnl_dim_t(g.stride), dnnl_dim_t(g.stride)]
        let padding: [dnnl_dim_t] = [dnnl_dim_t(pad), dnnl_dim_t(pad)]
        let attr = dnnlAttributes(), reluAttr = dnnlAttributes(relu: true)
        defer { dnnl_primitive_attr_destroy(attr); dnnl_primitive_attr_destroy(reluAttr) }

        func create(_ desc: inout dnnl_convolution_desc_t, hint: DNNLPrimitiveDescriptor?, _ what: String,
                    attributes: OpaquePointer? = nil) -> DNNLPrimitiveDescriptor {
            var pd: OpaquePointer?
            dnnlCheck(dnnl_primitive_desc_create(&pd, &desc, attributes ?? attr, engine, hint?.handle), "primitive_desc_create(\(what))")
            return DNNLPrimitiveDescriptor(taking: pd!)
        }
        var fd = dnnl_convolution_desc_t()
        dnnlCheck(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &src, &anyWeights,
                                                     &biasMD, &dst, strides, padding, padding), "convolution_forward_desc_init")
        let forwardPD = create(&fd, hint: nil, "convolution forward")
        // The fused one must read the same weights layout, so both share one feed (reordered once a step).
        let reluPD = fusesReLU ? create(&fd, hint: nil, "convolution forward + relu", attributes: reluAttr) : nil
        let sharedReluPD = reluPD.flatMap { r in
            dnnlSameLayout(r.descriptor(dnnl_query_weights_md), forwardPD.descriptor(dnnl_query_weights_md)) ? r : nil
        }
        var backwardDataPD: DNNLPrimitiveDescriptor?, transposedPD: DNNLPrimitiveDescriptor?
        let flippedCanonical = dnnlDescriptor([g.inputs, g.outputs, g.kernel, g.kernel], dnnl_ohwi)
        if computesInputGradient && g.stride == 1 && g.kernel == 3 {
            var anyFlipped = dnnlDescriptor([g.inputs, g.outputs, g.kernel, g.kernel], dnnl_format_tag_any)
            let full: [dnnl_dim_t] = [dnnl_dim_t(g.kernel - 1 - pad), dnnl_dim_t(g.kernel - 1 - pad)]
            var td = dnnl_convolution_desc_t()
            dnnlCheck(dnnl_convolution_forward_desc_init(&td, dnnl_forward_inference, dnnl_convolution_direct, &dst, &anyFlipped,
                                                         nil, &src, strides, full, full), "convolution_forward_desc_init(transposed)")
            transposedPD = create(&td, hint: nil, "convolution backward data as forward")
        } else if computesInputGradient {
            var bd = dnnl_convolution_desc_t()
            dnnlCheck(dnnl_convolution_backward_data_desc_init(&bd, dnnl_convolution_direct, &src, &anyWeights, &dst,
                                                               strides, padding, padding), "convolution_backward_data_desc_init")
            backwardDataPD = create(&bd, hint: forwardPD, "convolution backward data")
        }
        // Fused with a ReLU, the layer sums db in its masking pass over dy: oneDNN would read dy once more.
        var wd = dnnl_convolution_desc_t()
        withUnsafePointer(to: &biasMD) { b in
            dnnlCheck(dnnl_convolution_backward_weights_desc_init(&wd, dnnl_convolution_direct, &src, &anyWeights,
                                                                  fusesReLU ? nil : b, &dst, strides, padding, padding),
                      "convolution_backward_weights_desc_init")
        }
        let backwardWeightsPD = create(&wd, hint: forwardPD, "convolution backward weights")

        // Layouts oneDNN chose for the weights, and the reorders they need.
        let forwardWeights = forwardPD.descriptor(dnnl_query_weights_md)
        let forwardReorder = DNNLWeightsFeed.needsReorder(canonical: canonical, target: forwardWeights, scale: weightScale)
            ? dnnlReorderDescriptor(from: canonical, to: forwardWeights, scale: weightScale) : nil
        let dataWeights = backwardDataPD.map { $0.descriptor(dnnl_query_weights_md) }
        let dataSharesFeed = dataWeights.map { dnnlSameLayout($0, forwardWeights) } ?? true
        let dataReorder = dataWeights.flatMap { w -> DNNLPrimitiveDescriptor? in
            guard !dataSharesFeed, DNNLWeightsFeed.needsReorder(canonical: canonical, target: w, scale: weightScale) else { return nil }
            return dnnlReorderDescriptor(from: canonical, to: w, scale: weightScale)
        }
        let diffWeightsMD = backwardWeightsPD.descriptor(dnnl_query_diff_weights_md)
        let diffReorder = dnnlSameLayout(diffWeightsMD, canonical) ? nil : dnnlReorderDescriptor(from: diffWeightsMD, to: canonical)

        // One scratchpad for all of them: they run one after the other.
        let transposedWeights = transposedPD.map { $0.descriptor(dnnl_query_weights_md) }
        let transposedReorder = transposedWeights.flatMap { w in
            dnnlSameLayout(w, flippedCanonical) ? nil : dnnlReorderDescriptor(from: flippedCanonical, to: w)
        }
        let pds = [forwardPD, sharedReluPD, backwardDataPD, transposedPD, backwardWeightsPD, forwardReorder, dataReorder, transposedReorder,
                   diffReorder].compactMap { $0 }
        scratchpad = AlignedBuffer(bytes: pds.map(\.scratchpadBytes).max() ?? 0)

        source = DNNLMemory(src)
        bias = DNNLMemory(biasMD)
        destination = DNNLMemory(dst)
        forwardFeed = DNNLWeightsFeed(canonical: canonical, target: forwardWeights, scale: weightScale,
                                      reorder: forwardReorder, scratchpad: scratchpad)
        forward = DNNLCall(forwardPD, [(Int32(CDNNL_ARG_SRC), source), (Int32(CDNNL_ARG_WEIGHTS), forwardFeed.memory),
                                       (Int32(CDNNL_ARG_BIAS), bias), (Int32(CDNNL_ARG_DST), destination)],
                           scratchpad: scratchpad, name: "convolution forward")
        if let sharedReluPD {
            reluForward = DNNLCall(sharedReluPD, [(Int32(CDNNL_ARG_SRC), source), (Int32(CDNNL_ARG_WEIGHTS), forwardFeed.memory),
                                                  (Int32(CDNNL_ARG_BIAS), bias), (Int32(CDNNL_ARG_DST), destination)],
                                   scratchpad: scratchpad, name: "convolution forward + relu")
        } else {
            reluForward = nil
        }
        if let backwardDataPD, let dataWeights {
            let feed = dataSharesFeed ? forwardFeed
                : DNNLWeightsFeed(canonical: canonical, target: dataWeights, scale: weightScale, reorder: dataReorder, scratchpad: scratchpad)
            let ds = DNNLMemory(src), dd = DNNLMemory(dst)
            backwardFeed = feed
            diffSource = ds
            diffDestinationForData = dd
            backwardData = DNNLCall(backwardDataPD, [(Int32(CDNNL_ARG_DIFF_DST), dd), (Int32(CDNNL_ARG_WEIGHTS), feed.memory),
                                                     (Int32(CDNNL_ARG_DIFF_SRC), ds)],
                                    scratchpad: scratchpad, name: "convolution backward data")
        } else {
            backwardFeed = nil; backwardData = nil
            diffSource = transposedPD == nil ? nil : DNNLMemory(src)
            diffDestinationForData = transposedPD == nil ? nil : DNNLMemory(dst)
        }
        if let transposedPD, let transposedWeights, let ds = diffSource, let dd = diffDestinationForData {
            let feed = DNNLWeightsFeed(canonical: flippedCanonical, target: transposedWeights, scale: 1,
                                       reorder: transposedReorder, scratchpad: scratchpad)
            transposedFeed = feed
            flippedWeights = AlignedBuffer(floats: g.weightCount)
            transposedForward = DNNLCall(transposedPD, [(Int32(CDNNL_ARG_SRC), dd), (Int32(CDNNL_ARG_WEIGHTS), feed.memory),
                                                        (Int32(CDNNL_ARG_DST), ds)],
                                         scratchpad: scratchpad, name: "convolution backward data as forward")
        } else {
            transposedFeed = nil; flippedWeights = nil; transposedForward = nil
        }
        weightsSource = DNNLMemory(src)
        diffDestination = DNNLMemory(dst)
        diffWeights = AlignedBuffer(bytes: dnnlBytes(diffWeightsMD))
        let dw = DNNLMemory(diffWeightsMD)
        dw.point(at: diffWeights.raw)
        backwardWeights = DNNLCall(backwardWeightsPD, [(Int32(CDNNL_ARG_SRC), weightsSource), (Int32(CDNNL_ARG_DIFF_DST), diffDestination),
                                                       (Int32(CDNNL_ARG_DIFF_WEIGHTS), dw)]
                                       + (fusesReLU ? [] : [(Int32(CDNNL_ARG_DIFF_BIAS), diffBias)]),
                                   scratchpad: scratchpad, name: "convolution backward weights")
        if let diffReorder {
            let to = DNNLMemory(canonical)
            to.point(at: canonicalDiffWeights.raw)
            diffWeightsReorder = DNNLCall(diffReorder, [(Int32(CDNNL_ARG_FROM), dw), (Int32(CDNNL_ARG_TO), to)],
                                          scratchpad: scratchpad, name: "diff weights reorder")
        } else {
            diffWeightsReorder = nil
        }
    }
}

/// The convolution on oneDNN: forward, backward-data and backward-weights primitives made at build
/// for the built batch (and once more, on first use, for each smaller batch), activations NHWC,
/// weights in the layout oneDNN picks (`format_kind any`), reordered from the store's canonical
/// OHWI layout each step only when that layout differs or s_w ≠ 1.
///
/// Periodic padding: the input is copied with a periodic halo of k/2 pixels (cl_periodic_halo) and
/// convolved with padding 0; backward-data's gradient of the haloed input is folded back
/// (cl_periodic_halo_fold). Threads: oneDNN's OpenMP runtime, OMP_NUM_THREADS per process.
final class OneDNNConvolution: ConvolutionEngine {
    let g: ConvolutionGeometry
    let weightScale: Float, biasScale: Float
    let batch: Int
    let computesInputGradient: Bool
    /// Whether the primitives include the forward with a ReLU post-op (`forwardReLU`); backward-weights
    /// then leaves db to the caller (`biasGradient == nil`).
    let fusesReLU: Bool
    let stream = DNNLStream()
    private let halo: AlignedBuffer?
    private let haloGradient: AlignedBuffer?
    private let scaledBias: AlignedBuffer
    private let zeroBias: AlignedBuffer
    private let diffBias: AlignedBuffer
    private let diffBiasMemory: DNNLMemory
    private let canonicalDiffWeights: AlignedBuffer
    private var primitives: [Int: DNNLConvolutionPrimitives] = [:]

    init(geometry: ConvolutionGeometry, batch: Int, weightScale: Float, biasScale: Float, computesInputGradient: Bool,
         fusesReLU: Bool = false) {
        g = geometry
        self.fusesReLU = fusesReLU
        self.batch = batch
        self.weightScale = weightScale
        self.biasScale = biasScale
        self.computesInputGradient = computesInputGradient
        halo = geometry.usesHalo ? AlignedBuffer(floats: batch * geometry.haloElements) : nil
        haloGradient = geometry.usesHalo && computesInputGradient ? AlignedBuffer(floats: batch * geometry.haloElements) : nil
        scaledBias = AlignedBuffer(floats: geometry.outputs)
        zeroBias = AlignedBuffer(floats: geometry.outputs)
        diffBias = AlignedBuffer(floats: geometry.outputs)
        diffBiasMemory = DNNLMemory(dnnlDescriptor([geometry.outputs], dnnl_a))
        diffBiasMemory.point(at: diffBias.raw)
        canonicalDiffWeights = AlignedBuffer(floats: geometry.weightCount)
        primitives[batch] = makePrimitives(rows: batch)
    }

    /// Whether a step reorders the weights (oneDNN's layout is not the canonical one, or NTK).
    var reordersWeights: Bool { primitivesForBuiltBatch.reordersWeights }

    /// The primitives made at build.
    var primitivesForBuiltBatch: DNNLConvolutionPrimitives { primitives[batch]! }

    private func makePrimitives(rows: Int) -> DNNLConvolutionPrimitives {
        DNNLConvolutionPrimitives(geometry: g, rows: rows, weightScale: weightScale,
                                  computesInputGradient: computesInputGradient, fusesReLU: fusesReLU,
                                  diffBias: diffBiasMemory, canonicalDiffWeights: canonicalDiffWeights)
    }

    @inline(__always)
    private func set(rows: Int) -> DNNLConvolutionPrimitives {
        precondition(rows > 0 && rows <= batch, "Conv2d: \(rows) rows, built for \(batch)")
        if let p = primitives[rows] { return p }
        let p = makePrimitives(rows: rows)  // a smaller (last) batch: once per size
        primitives[rows] = p
        return p
    }

    func forward(_ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                 into y: UnsafeMutablePointer<Float>, rows: Int) {
        guard rows > 0 else { return }
        prepareForward(x, weights: weights, bias: bias, into: y, rows: rows).forward.run(on: stream)
    }

    /// max(0, forward) by the fused primitive (no pass of its own), else forward then a clamp.
    func forwardReLU(_ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                     into y: UnsafeMutablePointer<Float>, rows: Int) {
        guard rows > 0 else { return }
        let p = prepareForward(x, weights: weights, bias: bias, into: y, rows: rows)
        if let fused = p.reluForward {
            fused.run(on: stream)
        } else {
            p.forward.run(on: stream)
            cl_relu_in_place(y, rows * g.outputElements)
        }
    }

    /// Whether the built batch's fused forward exists (false: `forwardReLU` clamps after the convolution).
    var hasFusedReLUPrimitive: Bool { primitivesForBuiltBatch.reluForward != nil }

    /// Points the forward's memory objects at this call's data (the halo copy first, periodic) and
    /// loads the weights; returns the primitives to run.
    private func prepareForward(_ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                into y: UnsafeMutablePointer<Float>, rows: Int) -> DNNLConvolutionPrimitives {
        let p = set(rows: rows)
        if let halo {
            cl_periodic_halo(x, halo.floats, rows, g.height, g.width, g.inputs, g.pad)
            p.source.point(at: halo.raw)
        } else {
            p.source.point(at: x)
        }
        p.forwardFeed.load(weights, on: stream)
        if let bias {
            if biasScale == 1 {
                p.bias.point(at: bias)
            } else {
                let b = scaledBias.floats, s = biasScale
                for j in 0 ..< g.outputs { b[j] = s * bias[j] }
                p.bias.point(at: b)
            }
        } else {
            p.bias.point(at: zeroBias.raw)
        }
        p.destination.point(at: y)
        return p
    }

    func backwardData(_ dy: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                      into dx: UnsafeMutablePointer<Float>, rows: Int) {
        guard rows > 0 else { return }
        let p = set(rows: rows)
        guard let ds = p.diffSource, let dd = p.diffDestinationForData else {
            preconditionFailure("Conv2d: backward data after omitInputGradient")
        }
        let call: DNNLCall
        if let transposed = p.transposedForward, let feed = p.transposedFeed, let flipped = p.flippedWeights {
            flipTransposed(weights, into: flipped.floats)
            feed.load(flipped.floats, on: stream)
            call = transposed
        } else if let backward = p.backwardData, let feed = p.backwardFeed {
            // A feed shared with forward already holds these weights (same step); its own feed reorders.
            if feed !== p.forwardFeed || feed.source != weights { feed.load(weights, on: stream) }
            call = backward
        } else {
            preconditionFailure("Conv2d: no backward-data primitive")
        }
        dd.point(at: dy)
        if let haloGradient {
            ds.point(at: haloGradient.raw)
            call.run(on: stream)
            cl_periodic_halo_fold(haloGradient.floats, dx, rows, g.height, g.width, g.inputs, g.pad)
        } else {
            ds.point(at: dx)
            call.run(on: stream)
        }
    }

    /// W'[c, a, b, o] = s_w · W[o, k−1−a, k−1−b, c] (canonical layouts, [inputs, k, k, outputs] out).
    private func flipTransposed(_ w: UnsafePointer<Float>, into t: UnsafeMutablePointer<Float>) {
        let k = g.kernel, ci = g.inputs, co = g.outputs, s = weightScale
        for o in 0 ..< co {
            for a in 0 ..< k {
                for b in 0 ..< k {
                    let src = w + ((o * k + a) * k + b) * ci
                    let dst = t + ((k - 1 - a) * k + (k - 1 - b)) * co + o
                    for c in 0 ..< ci { dst[c * k * k * co] = s * src[c] }
                }
            }
        }
    }

    func backwardWeights(_ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>,
                         weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>?,
                         rows: Int) {
        guard rows > 0 else { return }
        precondition((biasGradient == nil) == fusesReLU, "Conv2d: db comes from oneDNN exactly when no ReLU is fused")
        let p = set(rows: rows)
        // Periodic: the halo still holds the last forward's input (see ConvolutionEngine).
        if let halo { p.weightsSource.point(at: halo.raw) } else { p.weightsSource.point(at: x) }
        p.diffDestination.point(at: dy)
        p.backwardWeights.run(on: stream)
        let dw: UnsafePointer<Float>
        if let r = p.diffWeightsReorder {
            r.run(on: stream)
            dw = UnsafePointer(canonicalDiffWeights.floats)
        } else {
            dw = UnsafePointer(p.diffWeights.floats)
        }
        // oneDNN overwrites its dW and db; the store accumulates.
        let sw = weightScale, sb = biasScale, db = diffBias.floats
        for i in 0 ..< g.weightCount { weightGradient[i] += sw * dw[i] }
        if let biasGradient { for j in 0 ..< g.outputs { biasGradient[j] += sb * db[j] } }
    }
}
