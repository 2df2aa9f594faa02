/// Decides, once, before a layer list is built (`Sequential`, a composite's chain), which ReLUs
/// the convolution in front of them applies itself: every `Conv2d` directly followed by a `ReLU`.
///
/// Why: a separate ReLU reads and writes the whole activation twice a step (forward and backward);
/// fused, the convolution's forward clamps in its own kernel (a oneDNN post-op), and its backward
/// masks dy by its output, y > 0 ⇔ pre-activation > 0, summing db in the same pass (so oneDNN's
/// backward-weights need not re-read dy for it). The mask runs in place when dy is a following
/// `Conv2d`'s dL/dx buffer: nobody reads that buffer after it is returned. Elsewhere (the list's
/// last layer: dy is the caller's; a `Residual` reuses it) it writes a buffer of the convolution.
/// Results equal the unfused layers' up to the sign of zero and the order of db's sum.
func planReLUFusion(_ layers: [any Layer]) {
    for i in layers.indices.dropLast() {
        guard let convolution = layers[i] as? Conv2d, let relu = layers[i + 1] as? ReLU else { continue }
        let dyIsConvolutionBuffer = i + 2 < layers.count && layers[i + 2] is Conv2d
        convolution.fuseReLU(masksGradientInPlace: dyIsConvolutionBuffer)
        relu.fuse()
    }
}
