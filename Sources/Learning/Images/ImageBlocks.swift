/// The two block operations behind average pooling and nearest upsampling on NHWC batches.
/// A "block" is the factor × factor patch of fine pixels under one coarse pixel; channels are
/// contiguous, so the inner loops run over channels and vectorise.
enum ImageBlocks {
    /// coarse[n, i, j, c] = scale · Σ_{a,b < factor} fine[n, i·factor + a, j·factor + b, c].
    /// `coarse` is [rows, height/factor, width/factor, channels]; `fine` is [rows, height, width, channels].
    static func sum(fine: UnsafePointer<Float>, into coarse: UnsafeMutablePointer<Float>, rows: Int,
                    fineHeight: Int, fineWidth: Int, channels: Int, factor: Int, scale: Float) {
        let (ch, cw) = (fineHeight / factor, fineWidth / factor)
        for n in 0 ..< rows {
            for i in 0 ..< ch {
                for j in 0 ..< cw {
                    let out = coarse + ((n * ch + i) * cw + j) * channels
                    out.update(repeating: 0, count: channels)
                    for a in 0 ..< factor {
                        let fineRow = fine + ((n * fineHeight + i * factor + a) * fineWidth + j * factor) * channels
                        for b in 0 ..< factor {
                            let pixel = fineRow + b * channels
                            for c in 0 ..< channels { out[c] += pixel[c] }
                        }
                    }
                    if scale != 1 { for c in 0 ..< channels { out[c] *= scale } }
                }
            }
        }
    }

    /// fine[n, h, w, c] = scale · coarse[n, h/factor, w/factor, c] (shapes as in `sum`).
    static func spread(coarse: UnsafePointer<Float>, into fine: UnsafeMutablePointer<Float>, rows: Int,
                       fineHeight: Int, fineWidth: Int, channels: Int, factor: Int, scale: Float) {
        let (ch, cw) = (fineHeight / factor, fineWidth / factor)
        for n in 0 ..< rows {
            for h in 0 ..< fineHeight {
                let coarseRow = coarse + (n * ch + h / factor) * cw * channels
                let fineRow = fine + (n * fineHeight + h) * fineWidth * channels
                for w in 0 ..< fineWidth {
                    let src = coarseRow + (w / factor) * channels, dst = fineRow + w * channels
                    for c in 0 ..< channels { dst[c] = scale * src[c] }
                }
            }
        }
    }

    /// Checks that `input` is an image whose height and width are multiples of `factor`, else
    /// throws the layer's shape error with the nearest shape it would take.
    static func checkDivisible(_ input: TensorShape, factor: Int, layer: String, context: BuildContext) throws {
        let rule = "\(layer) needs an image [height, width, channels]"
            + (factor > 1 ? " with height and width multiples of \(factor)" : "")
        guard input.isImage else {
            throw context.shapeError(rule, expected: .image(height: factor, width: factor, channels: input.dims.last!),
                                     actual: input)
        }
        guard input.height % factor == 0 && input.width % factor == 0 else {
            let up = { (d: Int) in (d + factor - 1) / factor * factor }
            throw context.shapeError(rule, expected: .image(height: up(input.height), width: up(input.width),
                                                            channels: input.channels), actual: input)
        }
    }
}
