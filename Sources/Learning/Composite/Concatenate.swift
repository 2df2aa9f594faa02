/// Parallel branches on the same input, their outputs joined along the last axis (channels of an
/// NHWC image, features of a vector): y = [f_0(x), f_1(x), …]. Every branch must keep the same
/// leading axes (H and W, or none for vectors; checked at build); an empty branch is the
/// identity (a skip connection into the concatenation, as in a U-Net or DenseNet).
/// Backward: dx = Σ_b f_b′ᵀ·dy_b, dy_b the branch's slice of dy.
///
/// Branch b's layer i is built at `context.child(b).child(i)`: in a model whose layer 3 is a
/// Concatenate, branch 1's first Dense is "3.1.0.weight".
public final class Concatenate: Layer, TangentLayer, CompositeLayer {
    private var branches: [LayerChain]
    private var shape = TensorShape.vector(1)
    private var branchChannels: [Int] = []
    private var branchOffsets: [Int] = []
    private var positions = 0  // product of the leading axes
    private var inputElements = 0
    private var batch = 0
    private var built = false
    private var computesInputGradient = true
    private var output = FloatBuffer(count: 0)
    private var branchGradients: [FloatBuffer] = []  // each branch's slice of dy, contiguous
    private var inputGradient = FloatBuffer(count: 0)
    private var tangent = TangentOutputs()

    /// Branches of layers applied in order (at least one branch; a branch may be empty).
    public init(_ branches: [[any Layer]]) {
        precondition(!branches.isEmpty, "Concatenate needs at least one branch")
        self.branches = branches.map(LayerChain.init)
    }

    /// The branches' layers.
    public var layers: [[any Layer]] { branches.map(\.layers) }
    /// "Concatenate[[Dense(4→3)], []]".
    public var summary: String {
        "Concatenate[" + branches.map { "[" + $0.layers.map(\.summary).joined(separator: ", ") + "]" }
            .joined(separator: ", ") + "]"
    }
    /// The branches' common leading axes and the sum of their last axes; meaningful after `build`.
    public var outputShape: TensorShape { shape }

    /// The first inner layer (branch by branch) without forward-mode derivatives, if any.
    var firstLayerWithoutTangent: String? { branches.lazy.compactMap(\.firstLayerWithoutTangent).first }

    /// Passed on to every branch; the branch gradients are then not summed.
    public func omitInputGradient() {
        precondition(!built, "omitInputGradient must come before build")
        computesInputGradient = false
        for b in branches { b.omitInputGradient() }
    }

    /// Builds every branch on the input and checks that their leading axes agree.
    public func build(input: TensorShape, context: BuildContext) throws -> TensorShape {
        precondition(!built, "a layer instance belongs to one model; it is already built")
        built = true
        var shapes: [TensorShape] = []
        for b in branches.indices { shapes.append(try branches[b].build(input: input, context: context.child(b))) }
        let leading = Array(shapes[0].dims.dropLast())
        for (b, s) in shapes.enumerated().dropFirst() where Array(s.dims.dropLast()) != leading {
            throw context.shapeError(
                "\(summary): branch \(b)'s output must match branch 0's \(shapes[0]) in every axis but the last",
                expected: TensorShape(leading + [s.dims.last!]), actual: s)
        }
        branchChannels = shapes.map { $0.dims.last! }
        branchOffsets = branchChannels.indices.map { branchChannels[..<$0].reduce(0, +) }
        positions = leading.reduce(1, *)
        shape = TensorShape(leading + [branchChannels.reduce(0, +)])
        inputElements = input.elements
        batch = context.batch
        output = FloatBuffer(count: batch * shape.elements)
        branchGradients = branchChannels.map { FloatBuffer(count: batch * positions * $0) }
        inputGradient = FloatBuffer(count: computesInputGradient ? batch * inputElements : 0)
        return shape
    }

    /// Each branch on x, its output copied into its channel slice of y.
    public func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        precondition(built && rows <= batch, "Concatenate.forward: \(rows) rows, built for \(batch)")
        for b in branches.indices { place(branches[b].forward(x, rows: rows), branch: b, into: output.pointer, rows: rows) }
        return UnsafePointer(output.pointer)
    }

    /// Each branch's slice of dy through its backward; dx is the sum of the branches' dx.
    public func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        precondition(built && rows <= batch, "Concatenate.backward: \(rows) rows, built for \(batch)")
        let dx = inputGradient.pointer, n = rows * inputElements
        for b in branches.indices {
            let slice = branchGradients[b].pointer, c = branchChannels[b], offset = branchOffsets[b]
            let total = shape.dims.last!
            for p in 0 ..< rows * positions {
                let src = dy + p * total + offset, dst = slice + p * c
                for j in 0 ..< c { dst[j] = src[j] }
            }
            let g = branches[b].backward(UnsafePointer(slice), rows: rows)
            guard computesInputGradient else { continue }
            if b == 0 {
                dx.update(from: g, count: n)
            } else {
                for i in 0 ..< n { dx[i] += g[i] }
            }
        }
        return UnsafePointer(dx)
    }

    /// Each branch's (y, ẏ, ÿ), concatenated like `forward`.
    public func tangentForward(_ x: UnsafePointer<Float>, _ dx: UnsafePointer<Float>, _ ddx: UnsafePointer<Float>?,
                               direction: UnsafePointer<Float>, rows: Int)
        -> (y: UnsafePointer<Float>, dy: UnsafePointer<Float>, ddy: UnsafePointer<Float>?) {
        precondition(built && rows <= batch, "Concatenate.tangentForward: \(rows) rows, built for \(batch)")
        let secondOrder = ddx != nil
        let out = tangent.prepare(count: batch * shape.elements, secondOrder: secondOrder)
        for b in branches.indices {
            let t = branches[b].tangentForward(x, dx, ddx, direction: direction, rows: rows)
            place(t.y, branch: b, into: out.y, rows: rows)
            place(t.dy, branch: b, into: out.dy, rows: rows)
            if let branchDdy = t.ddy, let ddy = out.ddy { place(branchDdy, branch: b, into: ddy, rows: rows) }
        }
        return (UnsafePointer(out.y), UnsafePointer(out.dy), out.ddy.map { UnsafePointer($0) })
    }

    /// Copies branch b's output (rows × positions × its channels) into its slice of `y`.
    private func place(_ branchOutput: UnsafePointer<Float>, branch b: Int, into y: UnsafeMutablePointer<Float>, rows: Int) {
        let c = branchChannels[b], offset = branchOffsets[b], total = shape.dims.last!
        for p in 0 ..< rows * positions {
            let src = branchOutput + p * c, dst = y + p * total + offset
            for j in 0 ..< c { dst[j] = src[j] }
        }
    }
}
