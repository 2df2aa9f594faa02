import Learning

/// What one run of `cascade-bench-unet` does and at which sizes (the command line, parsed once).
struct BenchSettings {
    /// `train`, `sample` or `export`.
    var mode = "train"
    /// Field side N (an N × N field with `fieldChannels` channels).
    var size = 64
    var fieldChannels = 1
    /// The U-Net: levels 3, 32 base channels × [1, 2, 2], 2 blocks per level, 8 GroupNorm groups,
    /// one attention head at the lowest level (16 × 16 at N = 64).
    var levels = 3
    var channels = 32
    var blocks = 2
    var groups = 8
    var attention = true
    /// Training: batch, untimed warm-up steps, timed steps.
    var batch = 16
    var warmup = 2
    var steps = 5
    /// Sampling: total fields over all ranks, the sampler's batch, DDIM steps.
    var samples = 16
    var sampleBatch = 8
    var ddimSteps = 20
    /// `export`: where the weights, input, output and gradients go (PATH.json + PATH.bin).
    var exportPath = ""

    var field: TensorShape { .image(height: size, width: size, channels: fieldChannels) }

    /// The configuration of every mode; `zeroInitialOutputs` off for `export`, so that the forward
    /// output and every gradient are non-zero and the comparison with PyTorch means something.
    var configuration: UNet.Configuration {
        UNet.Configuration(levels: levels, channels: channels, multipliers: (0 ..< levels).map { $0 == 0 ? 1 : 2 },
                           blocksPerLevel: blocks, groups: groups, attention: attention, attentionHeads: 1,
                           zeroInitialOutputs: mode != "export")
    }

    static let usage = """
        usage: cascade-bench-unet train|sample|export [--size N] [--channels C] [--blocks B] [--levels L] [--groups G]
               [--no-attention] [--batch B] [--warmup N] [--steps N] [--samples N] [--sample-batch B] [--ddim-steps S]
               [--out PATH (export)]
        """

    /// Parses `arguments` (without the program name); throws a `BenchError` naming the bad option.
    init(arguments: [String]) throws {
        var a = arguments[...]
        guard let m = a.popFirst(), ["train", "sample", "export"].contains(m) else { throw BenchError(Self.usage) }
        mode = m
        while let key = a.popFirst() {
            if key == "--no-attention" { attention = false; continue }
            guard let text = a.popFirst() else { throw BenchError("\(key) needs a value\n\(Self.usage)") }
            if key == "--out" { exportPath = text; continue }
            guard let v = Int(text), v > 0 else { throw BenchError("\(key) needs a positive integer, got '\(text)'") }
            switch key {
            case "--size": size = v
            case "--channels": channels = v
            case "--blocks": blocks = v
            case "--levels": levels = v
            case "--groups": groups = v
            case "--batch": batch = v
            case "--warmup": warmup = v
            case "--steps": steps = v
            case "--samples": samples = v
            case "--sample-batch": sampleBatch = v
            case "--ddim-steps": ddimSteps = v
            default: throw BenchError("unknown option \(key)\n\(Self.usage)")
            }
        }
        if mode == "export" && exportPath.isEmpty { throw BenchError("export needs --out PATH (writes PATH.json and PATH.bin)") }
    }

    /// "levels=3 channels=32 multipliers=1,2,2 …" for the output line.
    var description: String {
        "size=\(size) field_channels=\(fieldChannels) levels=\(levels) channels=\(channels) "
            + "multipliers=\(configuration.multipliers.map(String.init).joined(separator: ",")) blocks=\(blocks) groups=\(groups) "
            + "attention=\(attention ? 1 : 0)"
    }
}

/// A bad command line or a failed check: printed as one line, exit status 2.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
