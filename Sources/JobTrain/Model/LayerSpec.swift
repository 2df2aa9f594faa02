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
        }
    }

    /// Every `type` a layer table may have, in the order the docs list them.
    public static let typeNames = ["dense"] + ActivationKind.allCases.map(\.rawValue)
        + ["conv2d", "avgpool", "upsample", "groupnorm", "residual", "concat"]

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
        }
        return .table(t)
    }
}
