/// A U-Net for periodic fields that predicts the noise ε of a diffusion model from (x_t, t).
///
/// Input row: the field [H, W, C] (NHWC, `field.elements` floats) followed by ONE float t (the
/// step index or a continuous time), so the model is a plain `Layer` for `Sequential` and the
/// trainer: see `TimeConditioned`, which this layer wraps. Output: a field [H, W, C] (ε).
///
/// Architecture (Ho et al. 2020, with one concatenated skip per level as in Ronneberger et al.):
///   t → SinusoidalTimeEmbedding(channels) → Dense(4·channels) → SiLU → Dense(4·channels) → SiLU = e
///   stem  Conv3×3(C → c_0)
///   level l (c_l = channels · multipliers[l]):
///     `blocksPerLevel` ResidualBlock(c_l), each reading e;
///     below the lowest level: Concatenate([identity,
///         [Conv3×3 stride 2 (c_l → c_{l+1}), level l+1, NearestUpsample2d(2), Conv3×3(c_{l+1})]])
///       then `blocksPerLevel` ResidualBlock(c_l) (the first with a 1×1 skip from c_l + c_{l+1});
///     at the lowest level, after its blocks: SelfAttention2d when `attention`;
///   head  GroupNorm → SiLU → Conv3×3(c_0 → C).
/// Every convolution is periodic and every other operation acts per pixel, per channel or on all
/// positions alike, so the network commutes with the periodic shifts it can represent: those by
/// multiples of 2^(levels−1) pixels in each direction (the stride-2 convolutions sample every
/// other pixel, so a finer shift moves the coarse grids off their samples and is not a symmetry).
///
/// Parameters: the time MLP under "path.0.*", the body under "path.1.i.*" (stem i = 0, then the
/// level's layers, the head last).
public final class UNet: Layer {
    /// The sizes of a U-Net.
    public struct Configuration: Sendable, Equatable {
        /// Resolutions (1: no down-sampling). H and W must be multiples of 2^(levels−1).
        public var levels: Int
        /// Base channel count c (also the sinusoidal embedding's width; the MLP's is 4c).
        public var channels: Int
        /// c_l = channels · multipliers[l]; one per level.
        public var multipliers: [Int]
        /// Residual blocks per level on the way down and again on the way up.
        public var blocksPerLevel: Int
        /// GroupNorm groups (must divide every c_l).
        public var groups: Int
        /// Self-attention after the lowest level's blocks.
        public var attention: Bool
        /// Heads of that attention (must divide the lowest c_l).
        public var attentionHeads: Int
        /// Start the last convolution of every block, the attention's output projection and the
        /// head's convolution at zero (DDPM): the untrained network is ε = 0 and every block its skip.
        public var zeroInitialOutputs: Bool

        /// A configuration; `multipliers` defaults to 1, 2, 2, … (one per level).
        public init(levels: Int, channels: Int, multipliers: [Int]? = nil, blocksPerLevel: Int = 1, groups: Int,
                    attention: Bool = false, attentionHeads: Int = 1, zeroInitialOutputs: Bool = true) {
            self.levels = levels
            self.channels = channels
            self.multipliers = multipliers ?? (0 ..< levels).map { $0 == 0 ? 1 : 2 }
            self.blocksPerLevel = blocksPerLevel
            self.groups = groups
            self.attention = attention
            self.attentionHeads = attentionHeads
            self.zeroInitialOutputs = zeroInitialOutputs
        }

        /// c_l for each level.
        public var levelChannels: [Int] { multipliers.map { $0 * channels } }
    }

    /// Per-sample shape of the field (and of the output).
    public let field: TensorShape
    /// The sizes.
    public let configuration: Configuration
    /// The time embedding every block reads.
    public let conditioning: TimeConditioning
    /// The layer doing the work (time MLP + body).
    public let model: TimeConditioned
    private let headConv: Conv2d
    private var built = false

    /// A U-Net on fields of shape `field` ([H, W, C]).
    public init(field: TensorShape, configuration: Configuration) {
        let cfg = configuration
        precondition(field.isImage, "UNet needs an image field [height, width, channels], got \(field)")
        precondition(cfg.levels >= 1 && cfg.multipliers.count == cfg.levels,
                     "UNet needs levels ≥ 1 and one channel multiplier per level, got \(cfg.levels) and \(cfg.multipliers)")
        precondition(cfg.channels >= 1 && cfg.multipliers.allSatisfy { $0 >= 1 }, "UNet needs positive channel counts")
        precondition(cfg.blocksPerLevel >= 1, "UNet needs at least one residual block per level")
        precondition(cfg.channels % 2 == 0, "UNet's base channels must be even (the sinusoidal embedding's width)")
        self.field = field
        self.configuration = cfg
        let embedding = 4 * cfg.channels
        let cond = TimeConditioning(features: embedding)
        conditioning = cond
        let c = cfg.levelChannels
        func block(_ outputs: Int) -> any Layer { ResidualBlock(outputs: outputs, groups: cfg.groups, conditioning: cond,
                                                                       zeroInitialized: cfg.zeroInitialOutputs) }
        func level(_ l: Int) -> [any Layer] {
            var layers = (0 ..< cfg.blocksPerLevel).map { _ in block(c[l]) }
            if l + 1 < cfg.levels {
                let below: [any Layer] = [Conv2d(outputs: c[l + 1], kernel: 3, stride: 2, padding: .periodic)] + level(l + 1)
                    + [NearestUpsample2d(factor: 2), Conv2d(outputs: c[l + 1], kernel: 3, padding: .periodic)]
                layers.append(Concatenate([[], below]))
                layers += (0 ..< cfg.blocksPerLevel).map { _ in block(c[l]) }
            } else if cfg.attention {
                layers.append(SelfAttention2d(heads: cfg.attentionHeads, groups: cfg.groups, zeroInitialized: cfg.zeroInitialOutputs))
            }
            return layers
        }
        let headConv = Conv2d(outputs: field.channels, kernel: 3, padding: .periodic)
        self.headConv = headConv
        let body: [any Layer] = [Conv2d(outputs: c[0], kernel: 3, padding: .periodic)] + level(0)
            + [GroupNorm(groups: cfg.groups), SiLU(), headConv]
        let time: [any Layer] = [SinusoidalTimeEmbedding(features: cfg.channels), Dense(outputs: embedding), SiLU(),
                                 Dense(outputs: embedding), SiLU()]
        model = TimeConditioned(field: field, conditioning: cond, time: time, body: body)
    }

    /// "UNet(field [64, 64, 1], levels 3, channels 32 × [1, 2, 2], 2 blocks, groups 8, attention 1 head)".
    public var summary: String {
        let cfg = configuration
        return "UNet(field \(field), levels \(cfg.levels), channels \(cfg.channels) × \(cfg.multipliers), "
            + "\(cfg.blocksPerLevel) block\(cfg.blocksPerLevel == 1 ? "" : "s"), groups \(cfg.groups)"
            + (cfg.attention ? ", attention \(cfg.attentionHeads) head\(cfg.attentionHeads == 1 ? "" : "s"))" : ")")
    }
    /// The field's shape (ε has the input's channels).
    public var outputShape: TensorShape { model.outputShape }

    /// Nobody reads dL/dx.
    public func omitInputGradient() { model.omitInputGradient() }

    /// Checks the row width ([H·W·C + 1]), that H and W are multiples of 2^(levels−1) and that the
    /// groups divide every level's channels, then builds the inner layers.
    public func build(input: TensorShape, context: BuildContext) throws -> TensorShape {
        precondition(!built, "a layer instance belongs to one model; it is already built")
        built = true
        let cfg = configuration, f = field.elements
        guard input.elements == f + 1 else {
            throw context.shapeError("\(summary): a row is the field \(field) (\(f) floats) then t",
                                     expected: .vector(f + 1), actual: input)
        }
        let factor = 1 << (cfg.levels - 1)
        guard field.height % factor == 0 && field.width % factor == 0 else {
            let up = { (d: Int) in (d + factor - 1) / factor * factor }
            throw context.shapeError("\(summary): height and width must be multiples of 2^(levels−1) = \(factor)",
                                     expected: .image(height: up(field.height), width: up(field.width), channels: field.channels),
                                     actual: field)
        }
        if let bad = cfg.levelChannels.first(where: { $0 % cfg.groups != 0 }) {
            throw context.shapeError("\(summary): GroupNorm's \(cfg.groups) groups must divide every level's channels "
                                     + "\(cfg.levelChannels) (\(bad) is not a multiple)", expected: field, actual: field)
        }
        if cfg.attention && cfg.levelChannels.last! % cfg.attentionHeads != 0 {
            throw context.shapeError("\(summary): the attention's \(cfg.attentionHeads) heads must divide the lowest "
                                     + "level's \(cfg.levelChannels.last!) channels", expected: field, actual: field)
        }
        let shape = try model.build(input: input, context: context)
        if cfg.zeroInitialOutputs { zeroParameters(of: headConv, in: context.store) }
        return shape
    }

    /// ε for each row (field, t).
    public func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> { model.forward(x, rows: rows) }

    /// Parameter gradients (the time MLP's included) and dL/d(field, t).
    public func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> { model.backward(dy, rows: rows) }
}

/// Sets a built convolution's weight and bias to zero (the zero-initialised outputs of DDPM).
func zeroParameters(of conv: Conv2d, in store: ParameterStore) {
    let (w, b) = (conv.weight, conv.bias)
    store.withUnsafeMutableValues { v in
        for i in w.range { v[i] = 0 }
        for i in b.range { v[i] = 0 }
    }
}
