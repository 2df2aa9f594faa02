/// The sizes of one convolution layer on NHWC samples, fixed at build.
///
/// "Same" padding: a k × k kernel (k odd) sees k/2 pixels on each side, so stride 1 keeps H × W
/// and stride 2 gives H/2 × W/2 (H and W even). Zero padding reads zeros outside the image;
/// periodic padding reads the image on the torus, x[(i mod H)][(j mod W)].
struct ConvolutionGeometry: Equatable {
    /// Input height, width and channels.
    let height: Int, width: Int, inputs: Int
    /// Output channels.
    let outputs: Int
    /// Kernel side (1 or 3) and stride (1 or 2).
    let kernel: Int, stride: Int
    /// Whether the padding is periodic (else zero).
    let periodic: Bool

    /// Pixels of padding on each side: kernel / 2.
    var pad: Int { kernel / 2 }
    /// Output height and width.
    var outHeight: Int { height / stride }
    var outWidth: Int { width / stride }
    /// Floats per input and per output sample.
    var inputElements: Int { height * width * inputs }
    var outputElements: Int { outHeight * outWidth * outputs }
    /// Floats per kernel (one output channel): kernel · kernel · inputs, the fan-in.
    var patch: Int { kernel * kernel * inputs }
    /// Floats of the weight tensor [outputs, kernel, kernel, inputs].
    var weightCount: Int { outputs * patch }
    /// Whether the periodic halo is needed (a 1 × 1 kernel reads no neighbours).
    var usesHalo: Bool { periodic && pad > 0 }
    /// Haloed input sizes (the periodic extension by `pad` pixels on each side).
    var haloHeight: Int { height + 2 * pad }
    var haloWidth: Int { width + 2 * pad }
    var haloElements: Int { haloHeight * haloWidth * inputs }
}
