import JobKit
import Learning

extension ModelSpec {
    /// Builds the Learning model for batches of up to `batch` samples of `input` (default: the
    /// spec's), parameters drawn from `seed`.
    ///
    /// Throws a ``KeyedProblem`` naming the layer's key: for a layer type this build cannot make
    /// ("not available in this build"), or for a `ShapeError` of the Learning layers (both shapes).
    public func build(input given: TensorShape? = nil, batch: Int, seed: UInt64, inputGradient: Bool = false) throws -> Sequential {
        guard let input = given ?? input else {
            throw KeyedProblem(ConfigProblem(path: "\(key).input", message: "no input shape: neither the model nor the data gives one",
                                             fix: "set \(key).input = [features] or [height, width, channels]"))
        }
        if let missing = unavailableLayers.first { throw ModelSpec.notAvailable(missing.key, missing.type) }
        let made = try layers.enumerated().map { try ModelSpec.makeLayer($0.element, key: layerKey($0.offset)) }
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

    static func notAvailable(_ key: String, _ type: String) -> KeyedProblem {
        KeyedProblem(ConfigProblem(path: key, message: "layer type \"\(type)\" is not available in this build of Cascade",
                                   fix: "use dense and activation layers (relu, tanh, gelu, silu), or a build that has the \(type) layer"))
    }

    /// The one place where a layer spec becomes a Learning layer: wiring a new layer type is one
    /// case here (and `LayerSpec.isAvailable`).
    static func makeLayer(_ spec: LayerSpec, key: String) throws -> any Layer {
        switch spec {
        case let .dense(units, initialization, beta):
            return Dense(outputs: units, initialization: initialization.learning(beta: beta))
        case .activation(.relu): return ReLU()
        case .activation(.tanh): return Tanh()
        case .activation(.gelu): return GELU()
        case .activation(.silu): return SiLU()
        case .conv2d, .averagePool, .upsample, .groupNorm, .residual, .concat:
            throw notAvailable(key, spec.typeName)
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
