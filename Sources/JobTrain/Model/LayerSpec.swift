import JobKit
import Learning

/// How a layer's weights are drawn (`init = "he" | "glorot" | "ntk"` in a layer table).
public enum WeightInit: String, Sendable, CaseIterable {
    /// He/Kaiming normal, zero bias (the default).
    case he
    /// Glorot/Xavier uniform, zero bias.
    case glorot
    /// NTK parameterisation: N(0, 1) weights and biases, forward scaled by 1/sqrt(fan_in) and β.
    case ntk
}

/// Border handling of a 3×3 convolution (`padding = "zero" | "periodic"`).
public enum ConvPadding: String, Sendable, CaseIterable {
    /// Zeros outside the image.
    case zero
    /// The image wraps around (a doubly periodic field, as ns2d writes).
    case periodic
}

/// Element-wise activations (`type = "relu" | "tanh" | "gelu" | "silu"`).
public enum ActivationKind: String, Sendable, CaseIterable {
    case relu, tanh, gelu, silu
}

/// A 2-D convolution on NHWC images.
public struct Conv2dSpec: Equatable, Sendable {
    /// Output channels.
    public var channels: Int
    /// Kernel side: 1 or 3.
    public var kernel: Int
    /// 1 or 2 (stride 2 halves height and width, which must then be even).
    public var stride: Int
    /// Border handling (only matters for kernel 3).
    public var padding: ConvPadding
    /// Weight initialisation.
    public var initialization: WeightInit
    /// Bias scale β under NTK initialisation.
    public var beta: Double

    public init(channels: Int, kernel: Int = 3, stride: Int = 1, padding: ConvPadding = .zero,
                initialization: WeightInit = .he, beta: Double = 0.1) {
        self.channels = channels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.initialization = initialization
        self.beta = beta
    }
}

/// A U-Net for periodic fields predicting a diffusion model's noise (Learning's `UNet`): its input row
/// is a square one-channel field then t, its output the field's shape.
public struct UNetSpec: Equatable, Sendable {
    /// Resolutions (1: no down-sampling); the side must be a multiple of 2^(levels−1).
    public var levels: Int
    /// Base channels c (even: also the sinusoidal embedding's width).
    public var channels: Int
    /// Channels per level as multiples of c (one per level; empty: 1, 2, 2, …).
    public var multipliers: [Int]
    /// Residual blocks per level, down and again up.
    public var blocks: Int
    /// GroupNorm groups (dividing every level's channels).
    public var groups: Int
    /// Self-attention at the lowest level.
    public var attention: Bool
    /// Its heads (dividing the lowest level's channels).
    public var heads: Int

    public init(levels: Int = 3, channels: Int = 32, multipliers: [Int] = [], blocks: Int = 1, groups: Int = 8, attention: Bool = false, heads: Int = 1) {
        self.levels = levels
        self.channels = channels
        self.multipliers = multipliers
        self.blocks = blocks
        self.groups = groups
        self.attention = attention
        self.heads = heads
    }

    /// N when a row of `rowElements` floats is an N × N one-channel field then t (N ≥ 1), else nil.
    public static func fieldSide(rowElements: Int) -> Int? {
        let f = rowElements - 1
        guard f >= 1 else { return nil }
        let n = Int(Double(f).squareRoot().rounded())
        return n * n == f ? n : nil
    }

    /// Learning's configuration (which also validates it and counts its parameters and
    /// activations: ``UNet/Configuration/problems(side:)``).
    public var configuration: UNet.Configuration {
        UNet.Configuration(levels: levels, channels: channels, multipliers: multipliers.isEmpty ? nil : multipliers,
                           blocksPerLevel: blocks, groups: groups, attention: attention, attentionHeads: heads)
    }
}

/// One entry of `[[model.layers]]`, parsed and range-checked (see docs/training.md for every
/// type and key). Composites hold their own layer lists.
public indirect enum LayerSpec: Equatable, Sendable {
    /// `type = "dense"`: `units` outputs, `init`, `beta` (NTK bias scale).
    case dense(units: Int, initialization: WeightInit, beta: Double)
    /// `type = "relu" | "tanh" | "gelu" | "silu"`: no keys.
    case activation(ActivationKind)
    /// `type = "conv2d"`: `channels`, `kernel`, `stride`, `padding`, `init`, `beta`.
    case conv2d(Conv2dSpec)
    /// `type = "avgpool"`: average over `factor` × `factor` blocks.
    case averagePool(factor: Int)
    /// `type = "upsample"`: nearest-neighbour upsampling by `factor`.
    case upsample(factor: Int)
    /// `type = "groupnorm"`: normalisation over `groups` groups of channels, with `eps`.
    case groupNorm(groups: Int, epsilon: Double)
    /// `type = "residual"`: x + body(x), the body given as `layers = [...]`.
    case residual([LayerSpec])
    /// `type = "concat"`: the branches' outputs joined along the last axis (`branches = [[...], ...]`;
    /// an empty branch passes its input through).
    case concat([[LayerSpec]])
    /// `type = "unet"`: `levels`, `channels`, `multipliers`, `blocks`, `groups`, `attention`, `heads`
    /// (a diffusion model's noise predictor; the whole model).
    case unet(UNetSpec)

    /// The `type` value of this layer.
    public var typeName: String {
        switch self {
        case .dense: return "dense"
        case .activation(let a): return a.rawValue
        case .conv2d: return "conv2d"
        case .averagePool: return "avgpool"
        case .upsample: return "upsample"
        case .groupNorm: return "groupnorm"
        case .residual: return "residual"
        case .concat: return "concat"
        case .unet: return "unet"
        }
    }

    /// Every `type` a layer table may have, in the order the docs list them.
    public static let typeNames = ["dense"] + ActivationKind.allCases.map(\.rawValue)
        + ["conv2d", "avgpool", "upsample", "groupnorm", "residual", "concat", "unet"]

    /// The layer as a table with every key (defaults filled in): what `/model`'s `description`
    /// attribute and the logs show, and what ``ModelSpec/parse(input:layers:key:)`` reads back
    /// to the same spec.
    public var configValue: ConfigValue {
        var t: [String: ConfigValue] = ["type": .string(typeName)]
        switch self {
        case let .dense(units, initialization, beta):
            t["units"] = .int(units)
            t["init"] = .string(initialization.rawValue)
            if initialization == .ntk { t["beta"] = .double(beta) }
        case .activation:
            break
        case .conv2d(let c):
            t["channels"] = .int(c.channels)
            t["kernel"] = .int(c.kernel)
            t["stride"] = .int(c.stride)
            t["padding"] = .string(c.padding.rawValue)
            t["init"] = .string(c.initialization.rawValue)
            if c.initialization == .ntk { t["beta"] = .double(c.beta) }
        case .averagePool(let f), .upsample(let f):
            t["factor"] = .int(f)
        case let .groupNorm(groups, epsilon):
            t["groups"] = .int(groups)
            t["eps"] = .double(epsilon)
        case .residual(let body):
            t["layers"] = .array(body.map(\.configValue))
        case .concat(let branches):
            t["branches"] = .array(branches.map { .array($0.map(\.configValue)) })
        case .unet(let u):
            t["levels"] = .int(u.levels)
            t["channels"] = .int(u.channels)
            t["multipliers"] = .array(u.configuration.multipliers.map { .int($0) })
            t["blocks"] = .int(u.blocks)
            t["groups"] = .int(u.groups)
            t["attention"] = .bool(u.attention)
            t["heads"] = .int(u.heads)
        }
        return .table(t)
    }
}
