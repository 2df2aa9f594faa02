import Foundation
import JobKit
import Learning

extension ModelSpec {
    /// Builds the Learning model for batches of up to `batch` samples of `input` (default: the
    /// spec's), parameters drawn from `seed`.
    ///
    /// Throws a ``KeyedProblem`` naming the layer's key for a `ShapeError` of the Learning layers
    /// (both shapes). A model with convolutions limits oneDNN to one thread per rank unless the
    /// user chose (OMP_NUM_THREADS set): see `Conv2d.limitThreadsUnlessUserChose()`.
    public func build(input given: TensorShape? = nil, batch: Int, seed: UInt64, inputGradient: Bool = false) throws -> Sequential {
        guard let input = given ?? input else {
            throw KeyedProblem(ConfigProblem(path: "\(key).input", message: "no input shape: neither the model nor the data gives one",
                                             fix: "set \(key).input = [features] or [height, width, channels]"))
        }
        if hasConvolutions { Conv2d.limitThreadsUnlessUserChose() }
        let made = layers.map { ModelSpec.makeLayer($0, input: input) }
        do {
            return try Sequential(input: input, batch: batch, seed: seed, inputGradient: inputGradient, made)
        } catch let e as ShapeError {
            throw KeyedProblem(problem(from: e))
        }
    }

    /// A build-time `ShapeError` as a problem naming the layer (`model.layers[3]`) and both shapes.
    public func problem(from e: ShapeError) -> ConfigProblem {
        let k = e.layerIndex < layers.count ? layerKey(e.layerIndex) : "\(key).layers"
        return ConfigProblem(path: k, message: "\(e.layer) expects input shape \(e.expected) (batch first) but receives \(e.actual)",
                             fix: "make the layers chain: change this layer or the one before it (`cascade validate` checks without training)")
    }

    /// Whether any layer, at any depth, is a convolution (oneDNN, on OpenMP threads).
    public var hasConvolutions: Bool {
        func any(_ list: [LayerSpec]) -> Bool {
            list.contains { l in
                switch l {
                case .conv2d, .unet: return true
                case .residual(let body): return any(body)
                case .concat(let branches): return branches.contains(where: any)
                default: return false
                }
            }
        }
        return any(layers)
    }

    /// The one place where a layer spec becomes a Learning layer. Every value the Learning
    /// initialisers check (kernel 1 or 3, stride 1 or 2, factors and groups ≥ 1, eps ≥ 0) was
    /// refused before, naming its key, by ``parse(input:layers:key:)``; shapes by ``shapes(input:)``.
    static func makeLayer(_ spec: LayerSpec, input: TensorShape) -> any Layer {
        switch spec {
        case let .dense(units, initialization, beta):
            return Dense(outputs: units, initialization: initialization.learning(beta: beta))
        case .activation(.relu): return ReLU()
        case .activation(.tanh): return Tanh()
        case .activation(.gelu): return GELU()
        case .activation(.silu): return SiLU()
        case .conv2d(let c):
            return Conv2d(outputs: c.channels, kernel: c.kernel, stride: c.stride, padding: c.padding.learning,
                          initialization: c.initialization.learning(beta: c.beta))
        case .averagePool(let factor): return AvgPool2d(factor: factor)
        case .upsample(let factor): return NearestUpsample2d(factor: factor)
        case let .groupNorm(groups, epsilon): return GroupNorm(groups: groups, epsilon: Float(epsilon))
        case .residual(let body): return Residual(body.map { makeLayer($0, input: input) })
        case .concat(let branches): return Concatenate(branches.map { $0.map { makeLayer($0, input: input) } })
        case .unet(let u):
            // Checked by shapes(input:): a unet is the whole model, its input a square field then t.
            let side = UNetSpec.fieldSide(rowElements: input.elements)!
            return UNet(field: .image(height: side, width: side, channels: 1), configuration: u.configuration)
        }
    }
}

extension ConvPadding {
    /// The Learning padding.
    var learning: Conv2d.Padding {
        switch self {
        case .zero: return .zero
        case .periodic: return .periodic
        }
    }
}

extension WeightInit {
    /// The Learning initialisation (β is the NTK bias scale).
    func learning(beta: Double) -> Initialization {
        switch self {
        case .he: return .he
        case .glorot: return .glorot
        case .ntk: return .ntk(beta: Float(beta))
        }
    }
}
