/// Decides, once, before a layer list is built (`Sequential`, a composite's chain), which ReLUs
/// the convolution in front of them applies itself: every `Conv2d` directly followed by a `ReLU`.
///
/// Why: a separate ReLU reads and writes the whole activation twice a step (forward and backward);
/// fused, the convolution's forward clamps in its own kernel (a oneDNN post-op) and the ReLU's
/// backward only masks dy by the convolution's output, y > 0 ⇔ pre-activation > 0. The mask runs
/// in place when dy is a following `Conv2d`'s dL/dx buffer: nobody reads that buffer after it is
/// returned. Elsewhere (the list's last layer: dy is the caller's; a `Residual` reuses it) it
/// writes the ReLU's own buffer. Results equal the unfused layers' up to the sign of zero.
func planReLUFusion(_ layers: [any Layer]) {
    for i in layers.indices.dropLast() {
        guard let convolution = layers[i] as? Conv2d, let relu = layers[i + 1] as? ReLU else { continue }
        let dyIsConvolutionBuffer = i + 2 < layers.count && layers[i + 2] is Conv2d
        convolution.fuseReLU()
        relu.fuse(masksGradientInPlace: dyIsConvolutionBuffer)
    }
}
