import JobKit
import Learning

/// What a model spec implies for one input shape, worked out from the spec alone (no buffers,
/// no parameters drawn): cheap enough for `cascade validate` on any model size, and the check
/// that runs before any layer is built (so Learning's initialiser preconditions never fire).
public struct ModelShapes: Equatable, Sendable {
    /// Per-sample output shape.
    public var output: TensorShape
    /// Number of parameters (weights and biases of every layer).
    public var parameters: Int
    /// Floats per sample held by the layers' output buffers (forward activations); backward
    /// keeps about as many again for the input gradients.
    public var activationsPerSample: Int
}

extension ModelSpec {
    /// The output shape, parameter count and activation size for `input` (or the spec's own
    /// input), or the first layer whose input does not fit, named by its key with both shapes.
    ///
    /// The rules are those of the Learning layers: dense flattens any input; conv2d, avgpool and
    /// upsample need an image [H, W, C]; stride 2 and pooling by f need H and W divisible by 2
    /// and f; groupnorm needs the channels (last extent) divisible by `groups`; a residual body
    /// must give back its input's shape; concat branches must agree in all but the last extent.
    public func shapes(input given: TensorShape? = nil) -> Result<ModelShapes, KeyedProblem> {
        guard let input = given ?? input else {
            return .failure(KeyedProblem(ConfigProblem(path: "\(key).input", message: "no input shape: neither the model nor the data gives one",
                                                       fix: "set \(key).input = [features] or [height, width, channels]")))
        }
        var total = ModelShapes(output: input, parameters: 0, activationsPerSample: 0)
        do {
            total.output = try ModelSpec.walk(layers, input: input, path: "\(key).layers", into: &total)
        } catch let p as KeyedProblem {
            return .failure(p)
        } catch {
            return .failure(KeyedProblem(ConfigProblem(path: key, message: "\(error)", fix: "")))
        }
        return .success(total)
    }

    private static func walk(_ list: [LayerSpec], input: TensorShape, path: String, into total: inout ModelShapes) throws -> TensorShape {
        var shape = input
        for (i, layer) in list.enumerated() {
            shape = try step(layer, input: shape, key: "\(path)[\(i)]", into: &total)
            let (sum, o) = total.activationsPerSample.addingReportingOverflow(shape.elements)
            guard !o else { throw KeyedProblem(ConfigProblem(path: path, message: "the activations overflow a count", fix: "make the model smaller")) }
            total.activationsPerSample = sum
        }
        return shape
    }

    /// The largest extent or element count accepted for one sample (2³¹: any real model is far below).
    static let maximumElements = 1 << 31

    private static func step(_ layer: LayerSpec, input: TensorShape, key: String, into total: inout ModelShapes) throws -> TensorShape {
        func refuse(_ message: String, _ fix: String) -> KeyedProblem {
            KeyedProblem(ConfigProblem(path: key, message: "\(layer.typeName) layer: " + message, fix: fix))
        }
        func needImage() throws -> (Int, Int, Int) {
            guard input.isImage else {
                throw refuse("needs an image input [height, width, channels] but receives \(input)",
                             "give an image model.input = [H, W, C] (or image data), and put image layers before the dense layers")
            }
            return (input.height, input.width, input.channels)
        }
        func addParameters(_ n: Int) throws {
            let (s, o) = total.parameters.addingReportingOverflow(n)
            guard !o, s <= maximumElements * 8 else { throw refuse("has too many parameters (\(n))", "use fewer units or channels") }
            total.parameters = s
        }
        func checked(_ dims: [Int]) throws -> TensorShape {
            var n = 1
            for d in dims {
                let (p, o) = n.multipliedReportingOverflow(by: d)
                guard !o, p <= maximumElements else { throw refuse("would produce \(dims), more than \(maximumElements) values per sample", "make the layer smaller") }
                n = p
            }
            return TensorShape(dims)
        }
        switch layer {
        case let .dense(units, _, _):
            let (w, o) = input.elements.multipliedReportingOverflow(by: units)
            guard !o else { throw refuse("has too many weights", "use fewer units") }
            try addParameters(w + units)
            return .vector(units)
        case .activation:
            return input
        case .conv2d(let c):
            let (h, w, ch) = try needImage()
            if c.stride == 2 && (h % 2 != 0 || w % 2 != 0) {
                throw refuse("stride 2 needs an even height and width but receives \(input)",
                             "use stride = 1 here, or an input whose height and width are even")
            }
            try addParameters(c.kernel * c.kernel * ch * c.channels + c.channels)
            return try checked([h / c.stride, w / c.stride, c.channels])
        case .averagePool(let f):
            let (h, w, ch) = try needImage()
            guard h % f == 0 && w % f == 0 else {
                throw refuse("factor \(f) needs a height and width divisible by \(f) but receives \(input)",
                             "use a factor that divides \(h) and \(w), or change the input size")
            }
            return try checked([h / f, w / f, ch])
        case .upsample(let f):
            let (h, w, ch) = try needImage()
            return try checked([h * f, w * f, ch])
        case let .groupNorm(groups, _):
            let ch = input.dims.last!
            guard ch % groups == 0 else {
                throw refuse("\(groups) groups need channels divisible by \(groups) but the input \(input) has \(ch)",
                             "use a `groups` that divides \(ch)")
            }
            try addParameters(2 * ch)
            return input
        case .residual(let body):
            let out = try walk(body, input: input, path: key + ".layers", into: &total)
            guard out == input else {
                throw refuse("its body turns \(input) into \(out); x + body(x) needs them equal",
                             "make the body's last layer give back \(input.dims.last!) channels/units at the same size")
            }
            return input
        case .unet(let u):
            guard key == "model.layers[0]" || key.hasSuffix(".layers[0]") && !key.contains("]."), total.parameters == 0 else {
                throw refuse("is the whole model of a diffusion run, not a part of one", "make the unet the only layer of model.layers")
            }
            guard input.dims.count == 1, let n = UNetSpec.fieldSide(rowElements: input.elements) else {
                throw refuse("reads rows of a square one-channel field then the time step (N² + 1 values) but receives \(input)",
                             "train it on diffusion data: data.kind = \"snapshots\" or \"gaussian-random-field\"")
            }
            if let problem = u.configuration.problems(side: n).first {
                let w = u.wording(of: problem)
                throw refuse(w.message, w.fix)
            }
            try addParameters(u.configuration.parameterCount(fieldChannels: 1))
            let (sum, o) = total.activationsPerSample.addingReportingOverflow(u.configuration.activationsPerSample(side: n))
            guard !o, sum < Int.max else { throw refuse("the activations overflow a count", "make the model smaller") }
            total.activationsPerSample = sum
            return .image(height: n, width: n, channels: 1)
        case .concat(let branches):
            var outs: [TensorShape] = []
            for (b, branch) in branches.enumerated() {
                outs.append(try walk(branch, input: input, path: "\(key).branches[\(b)]", into: &total))
            }
            let lead = outs[0].dims.dropLast()
            if let bad = outs.firstIndex(where: { $0.dims.count != outs[0].dims.count || $0.dims.dropLast() != lead }) {
                throw refuse("branch 0 gives \(outs[0]) but branch \(bad) gives \(outs[bad]); they must agree in all but the last extent",
                             "make every branch end at the same height and width (or the same rank)")
            }
            return try checked(Array(lead) + [outs.reduce(0) { $0 + $1.dims.last! }])
        }
    }
}

/// A problem with a key of the job file, thrown (a model that does not fit its input names the
/// layer's key and both shapes; a loss that does not fit the data names `loss.kind`).
public struct KeyedProblem: Error, CustomStringConvertible, Sendable {
    /// The problem as the validator reports it.
    public let problem: ConfigProblem
    public init(_ problem: ConfigProblem) { self.problem = problem }
    public var description: String { problem.description }
}
