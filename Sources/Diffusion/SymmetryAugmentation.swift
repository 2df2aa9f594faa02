/// How the channels of a periodic N × N field transform under the square's symmetries.
public enum ChannelKind: Sendable, Equatable {
    /// f'(p) = f(M⁻¹ p) (density, temperature, a velocity magnitude).
    case scalar
    /// f'(p) = det M · f(M⁻¹ p): the vorticity ω = ∂_x u_y − ∂_y u_x changes sign under a reflection.
    case pseudoScalar
    /// Two consecutive channels (u_x, u_y): u'(p) = M u(M⁻¹ p).
    case vector
}

/// The channel layout of one NHWC sample on a square periodic grid: side × side × channels values,
/// channel fastest.
public struct PeriodicFieldLayout: Sendable, Equatable {
    /// N.
    public let side: Int
    /// The channel groups in order (a vector takes two channels).
    public let kinds: [ChannelKind]
    /// Number of channels.
    public let channels: Int

    public init(side: Int, kinds: [ChannelKind]) throws {
        guard side >= 1 else { throw DiffusionError("augmentation: the field side must be at least 1, got \(side)") }
        guard !kinds.isEmpty else { throw DiffusionError("augmentation: a field needs at least one channel") }
        self.side = side
        self.kinds = kinds
        channels = kinds.reduce(0) { $0 + ($1 == .vector ? 2 : 1) }
        let (_, overflow) = side.multipliedReportingOverflow(by: side * channels)
        guard !overflow else { throw DiffusionError("augmentation: \(side) × \(side) × \(channels) values overflow") }
    }

    /// The vorticity of an ns2d snapshot: one pseudo-scalar channel.
    public static func vorticity(side: Int) throws -> PeriodicFieldLayout { try PeriodicFieldLayout(side: side, kinds: [.pseudoScalar]) }

    /// Values per sample.
    public var elements: Int { side * side * channels }
}

/// A symmetry of the periodic square: the point-group element g, then the translation by (shiftX, shiftY):
/// (T g f)(p) = g f(p − a), i.e. out(p) = S_g f(M⁻¹ (p − a)) with S_g = 1, det M or M by channel kind.
public struct PeriodicSymmetry: Sendable, Equatable {
    /// g.
    public var element: SquareGroupElement
    /// a_x (along W), in 0 ..< N.
    public var shiftX: Int
    /// a_y (along H), in 0 ..< N.
    public var shiftY: Int

    public init(element: SquareGroupElement, shiftX: Int = 0, shiftY: Int = 0) {
        self.element = element
        self.shiftX = shiftX
        self.shiftY = shiftY
    }

    /// self ∘ other (apply `other` first): T_a g T_b h = T_{a + M_g b} (g h), shifts reduced mod `side`.
    public func composed(after other: PeriodicSymmetry, side n: Int) -> PeriodicSymmetry {
        let b = element.apply(x: other.shiftX, y: other.shiftY)
        return PeriodicSymmetry(element: element.composed(after: other.element),
                                shiftX: ((shiftX + b.x) % n + n) % n, shiftY: ((shiftY + b.y) % n + n) % n)
    }

    /// The inverse: g⁻¹ T_{−a} = T_{−M⁻¹ a} g⁻¹.
    public func inverse(side n: Int) -> PeriodicSymmetry {
        let g = element.inverse, b = g.apply(x: -shiftX, y: -shiftY)
        return PeriodicSymmetry(element: g, shiftX: (b.x % n + n) % n, shiftY: (b.y % n + n) % n)
    }

    /// The transformed sample (`field`: layout.elements values, NHWC with one sample).
    public func apply(to field: ArraySlice<Float>, layout: PeriodicFieldLayout) -> [Float] {
        precondition(field.count == layout.elements, "PeriodicSymmetry.apply: \(field.count) values for a \(layout.side)² × \(layout.channels) field")
        var out = [Float](repeating: 0, count: field.count)
        let n = layout.side, c = layout.channels, base = field.startIndex
        let inverse = element.inverse, det = Float(element.determinant)
        let ((m00, m01), (m10, m11)) = element.matrix
        for y in 0 ..< n {
            for x in 0 ..< n {
                let source = inverse.apply(x: x - shiftX, y: y - shiftY)
                let sx = (source.x % n + n) % n, sy = (source.y % n + n) % n
                let from = base + (sy * n + sx) * c, to = (y * n + x) * c
                var channel = 0
                for kind in layout.kinds {
                    switch kind {
                    case .scalar:
                        out[to + channel] = field[from + channel]
                        channel += 1
                    case .pseudoScalar:
                        out[to + channel] = det * field[from + channel]
                        channel += 1
                    case .vector:
                        let ux = field[from + channel], uy = field[from + channel + 1]
                        out[to + channel] = Float(m00) * ux + Float(m01) * uy
                        out[to + channel + 1] = Float(m10) * ux + Float(m11) * uy
                        channel += 2
                    }
                }
            }
        }
        return out
    }
}

/// Random symmetries of the periodic box mixed into training: for each sample a translation uniform over the
/// N² grid shifts and an element uniform over the 8 of D4, keyed by (seed, global sample index, training step)
/// (``DiffusionRandomness/Purpose/augmentation``), so the augmented batch does not depend on the rank count.
public struct SymmetryAugmentation: Sendable {
    /// The fields' layout.
    public let layout: PeriodicFieldLayout
    /// Whether to translate.
    public let translations: Bool
    /// Whether to rotate and reflect.
    public let pointGroup: Bool
    /// The keys.
    public let randomness: DiffusionRandomness

    public init(layout: PeriodicFieldLayout, translations: Bool = true, pointGroup: Bool = true, seed: UInt64) {
        self.layout = layout
        self.translations = translations
        self.pointGroup = pointGroup
        randomness = DiffusionRandomness(seed: seed)
    }

    /// The symmetry applied to `sample` at training `step` (uniforms 0, 1: shifts; 2: the element).
    public func symmetry(sample: Int, step: Int) -> PeriodicSymmetry {
        let n = layout.side
        func draw(_ k: Int, below m: Int) -> Int { randomness.integer(below: m, .augmentation, step: step, sample: sample, variate: k) }
        return PeriodicSymmetry(element: pointGroup ? SquareGroupElement(rawValue: draw(2, below: 8))! : .identity,
                                shiftX: translations ? draw(0, below: n) : 0,
                                shiftY: translations ? draw(1, below: n) : 0)
    }

    /// Transforms every sample of `batch` (samples.count × layout.elements values) in place.
    public func augment(_ batch: inout [Float], samples: [Int], step: Int) throws {
        guard batch.count == samples.count * layout.elements else {
            throw DiffusionError("augmentation: \(batch.count) values are not \(samples.count) samples of \(layout.side) × \(layout.side) × \(layout.channels)")
        }
        try DiffusionRandomness.checkSamples(samples)
        try DiffusionRandomness.checkStep(step, "training step")
        let n = layout.elements
        for (b, sample) in samples.enumerated() {
            let transformed = symmetry(sample: sample, step: step).apply(to: batch[b * n ..< (b + 1) * n], layout: layout)
            batch.replaceSubrange(b * n ..< (b + 1) * n, with: transformed)
        }
    }
}
