import JobKit
import Learning

/// A model as the job file describes it: the per-sample input shape (or nil: taken from the data)
/// and the layers, parsed and range-checked.
///
/// ```toml
/// [model]
/// input = [16]                       # or [32, 32, 1] (NHWC), or omitted: from the data
/// [[model.layers]]
/// type = "dense"
/// units = 256
/// init = "ntk"
/// beta = 0.1
/// [[model.layers]]
/// type = "relu"
/// ```
///
/// ``parse(input:layers:key:)`` reports every problem naming the key (`model.layers[2].units`);
/// ``shapes(input:)`` checks that the layers chain without building anything;
/// ``build(input:batch:seed:)`` makes the Learning model.
public struct ModelSpec: Equatable, Sendable {
    /// Per-sample input shape; nil takes the data's.
    public var input: TensorShape?
    /// The layers, in order.
    public var layers: [LayerSpec]
    /// Key path of the model's section (`model`): problems name `model.layers[i]…`.
    public var key: String

    public init(input: TensorShape?, layers: [LayerSpec], key: String = "model") {
        self.input = input
        self.layers = layers
        self.key = key
    }

    /// The key path of top-level layer `i`: `model.layers[i]`.
    public func layerKey(_ i: Int) -> String { "\(key).layers[\(i)]" }

    /// Parses `model.input` and `model.layers`. Either the spec or at least one problem.
    public static func parse(input: [Int], layers: ConfigTables, key: String = "model") -> (spec: ModelSpec?, problems: [ConfigProblem]) {
        var problems: [ConfigProblem] = []
        if layers.tables.isEmpty {
            problems.append(ConfigProblem(path: "\(key).layers", message: "the model has no layers",
                                          fix: "add at least one [[\(key).layers]] table, e.g. type = \"dense\", units = 1"))
        }
        if !input.isEmpty && !(input.count == 1 || input.count == 3) {
            problems.append(ConfigProblem(path: "\(key).input", message: "has \(input.count) extents; a sample is [features] or an image [height, width, channels]",
                                          fix: "use [features], [height, width, channels], or [] to take the shape from the data"))
        }
        let parsed = parseList(layers.tables, path: "\(key).layers", problems: &problems)
        guard problems.isEmpty, let parsed else { return (nil, problems) }
        return (ModelSpec(input: input.isEmpty ? nil : TensorShape(input), layers: parsed, key: key), [])
    }

    /// Parses a list of layer tables at `path` (`model.layers`, or a composite's `…layers`).
    static func parseList(_ tables: [[String: ConfigValue]], path: String, problems: inout [ConfigProblem]) -> [LayerSpec]? {
        var out: [LayerSpec] = []
        var ok = true
        for (i, table) in tables.enumerated() {
            if let layer = parseLayer(table, path: "\(path)[\(i)]", problems: &problems) { out.append(layer) } else { ok = false }
        }
        return ok ? out : nil
    }

    /// Deepest nesting of composites (residual in concat in …) accepted.
    static let maximumDepth = 8

    static func parseLayer(_ table: [String: ConfigValue], path: String, problems: inout [ConfigProblem]) -> LayerSpec? {
        let types = LayerSpec.typeNames
        guard let typeValue = table["type"] else {
            problems.append(ConfigProblem(path: "\(path).type", message: "is required but missing",
                                          fix: "add `type = \"…\"`, one of " + types.map { "\"\($0)\"" }.joined(separator: ", ")))
            return nil
        }
        guard case .string(let type) = typeValue, types.contains(type) else {
            let text: String
            if case .string(let s) = typeValue { text = "\"\(s.prefix(40))\"" } else { text = typeValue.typeName + " " + typeValue.tomlLiteral.prefix(40) }
            var hint = ""
            if case .string(let s) = typeValue, let guess = nearestSpelling(of: s, among: types) { hint = "did you mean \"\(guess)\"? " }
            problems.append(ConfigProblem(path: "\(path).type", message: "\(text) is not a layer type",
                                          fix: hint + "layer types: " + types.joined(separator: ", ")))
            return nil
        }
        if path.split(separator: "[").count > maximumDepth + 1 {
            problems.append(ConfigProblem(path: path, message: "composites nest more than \(maximumDepth) deep",
                                          fix: "flatten the model: a residual or concat inside at most \(maximumDepth - 1) others"))
            return nil
        }
        var r = LayerTableReader(path: path, type: type, table: table)
        var spec: LayerSpec? = nil
        switch type {
        case "dense":
            let units = r.int("units", 1 ... 1 << 20, default: nil, what: "the number of outputs")
            let initialization = r.choice("init", default: WeightInit.he)
            let beta = r.double("beta", 0 ... 100, default: 0.1)
            checkBeta(&r, initialization)
            if let units, let initialization, let beta { spec = .dense(units: units, initialization: initialization, beta: beta) }
        case "conv2d":
            let channels = r.int("channels", 1 ... 1 << 16, default: nil, what: "the number of output channels")
            let kernel = r.int("kernel", oneOf: [1, 3], default: 3)
            let stride = r.int("stride", oneOf: [1, 2], default: 1)
            let padding = r.choice("padding", default: ConvPadding.zero)
            let initialization = r.choice("init", default: WeightInit.he)
            let beta = r.double("beta", 0 ... 100, default: 0.1)
            checkBeta(&r, initialization)
            if let channels, let kernel, let stride, let padding, let initialization, let beta {
                spec = .conv2d(Conv2dSpec(channels: channels, kernel: kernel, stride: stride, padding: padding,
                                          initialization: initialization, beta: beta))
            }
        case "avgpool":
            if let f = r.int("factor", 2 ... 64, default: 2, what: "the pooling factor") { spec = .averagePool(factor: f) }
        case "upsample":
            if let f = r.int("factor", 2 ... 64, default: 2, what: "the upsampling factor") { spec = .upsample(factor: f) }
        case "groupnorm":
            let groups = r.int("groups", 1 ... 1 << 16, default: nil, what: "the number of channel groups (dividing the channels)")
            let eps = r.double("eps", 1e-12 ... 1, default: 1e-5)
            if let groups, let eps { spec = .groupNorm(groups: groups, epsilon: eps) }
        case "residual":
            if let list = r.tables("layers", count: 1 ... 1000, what: "the body, whose output is added to the input"),
               let body = parseList(list, path: "\(path).layers", problems: &problems) {
                spec = .residual(body)
            }
        case "concat":
            if let lists = r.tableLists("branches", count: 2 ... 64, what: "the branches, whose outputs are joined along the last axis") {
                var branches: [[LayerSpec]] = []
                var ok = true
                for (b, list) in lists.enumerated() {
                    if let branch = parseList(list, path: "\(path).branches[\(b)]", problems: &problems) { branches.append(branch) } else { ok = false }
                }
                if ok { spec = .concat(branches) }
            }
        case "unet":
            spec = parseUNet(&r, path: path)
        default:
            if let a = ActivationKind(rawValue: type) { spec = .activation(a) }
        }
        r.finish()
        problems += r.problems
        return r.problems.isEmpty ? spec : nil
    }

    /// A `unet` table: ranges and Learning's side-free rules here, divisibility (groups, heads, side)
    /// in ``shapes(input:)``.
    private static func parseUNet(_ r: inout LayerTableReader, path: String) -> LayerSpec? {
        let levels = r.int("levels", 1 ... 8, default: 3, what: "the number of resolutions")
        let channels = r.int("channels", 2 ... 4096, default: 32, what: "the base channel count")
        let multipliers = r.ints("multipliers", 1 ... 64, count: 0 ... 8)
        let blocks = r.int("blocks", 1 ... 16, default: 1, what: "residual blocks per level")
        let groups = r.int("groups", 1 ... 4096, default: 8, what: "GroupNorm groups")
        let attention = r.bool("attention", default: false)
        let heads = r.int("heads", 1 ... 64, default: 1, what: "attention heads")
        // Learning's rules that need no field side (odd channels, multiplier count), on the values that
        // parsed: a value out of range stands in as one that breaks no rule, so each is checked
        // whenever its own keys parsed. Groups, heads and the side are checked by shapes(input:).
        let sizes = UNetSpec(levels: levels ?? max(1, multipliers?.count ?? 1), channels: channels ?? 2, multipliers: multipliers ?? [])
        for problem in sizes.configuration.problems(side: nil) {
            switch problem {
            case .oddChannels, .multiplierCount:
                let w = sizes.wording(of: problem)
                r.problems.append(ConfigProblem(path: r.key(w.key!), message: w.message, fix: w.fix))
            case .sideNotMultiple, .groupsDoNotDivide, .headsDoNotDivide:
                break
            }
        }
        if r.table["heads"] != nil, attention == false {
            r.problems.append(ConfigProblem(path: r.key("heads"), message: "applies only with attention = true",
                                            fix: "set attention = true, or remove `heads`"))
        }
        guard let levels, let channels, let multipliers, let blocks, let groups, let attention, let heads else { return nil }
        return .unet(UNetSpec(levels: levels, channels: channels, multipliers: multipliers, blocks: blocks, groups: groups,
                              attention: attention, heads: heads))
    }

    /// `beta` only means something under NTK initialisation: given with another `init`, it would
    /// be silently ignored, so it is refused.
    private static func checkBeta(_ r: inout LayerTableReader, _ initialization: WeightInit?) {
        if r.table["beta"] != nil, let i = initialization, i != .ntk {
            r.problems.append(ConfigProblem(path: r.key("beta"), message: "applies only with init = \"ntk\" (this layer has init = \"\(i.rawValue)\")",
                                            fix: "remove `beta`, or set init = \"ntk\""))
        }
    }

    /// The layers as an inline TOML array with every key: the `description` attribute of
    /// training.h5's `/model` and the model line of logs.
    public var description: String {
        var text = ConfigValue.array(layers.map(\.configValue)).tomlLiteral
        if let input { text = "input = \(input.dims), layers = " + text }
        return text
    }
}
