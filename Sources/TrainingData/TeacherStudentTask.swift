import CounterRNG
import Learning

/// Teacher–student data: inputs x ~ N(0, I_d) and targets from a fixed random "teacher" network.
///
/// The teacher is a `Sequential` of `depth` hidden `Dense(width)` + activation layers and a last
/// `Dense(outputs)`, initialised from `teacherSeed` (so a student of the same architecture can in
/// principle fit it exactly). Sample i's input is keyed by (dataSeed, i, element), its noise by
/// (dataSeed, i): the same sample on every rank, in every order. The teacher is evaluated on the rows a
/// `load` asks for, in chunks of the batch it was built for.
///
/// Targets:
/// - `.regression`: the teacher's `outputs` values plus N(0, labelNoise²) per value (`.values(outputs)`).
/// - `.classification`: the teacher's class, argmax over `outputs` ≥ 2 logits, or 1 when its single
///   output is positive (`.classes(max(outputs, 2))`); with probability `labelNoise` the label is
///   replaced by a uniformly random class (symmetric label noise).
///
/// Not thread-safe: the teacher's buffers are shared with ``heldOut(count:)``'s task, so one `load` at a
/// time over both.
public final class TeacherStudentTask: SampleSource {
    /// The teacher's hidden activation.
    public enum Activation: String, Sendable, CaseIterable {
        /// max(0, x).
        case relu
        /// tanh(x).
        case tanh
        /// GELU (tanh approximation).
        case gelu
        /// x·σ(x).
        case silu
    }

    /// Real-valued targets or class labels.
    public enum Targets: String, Sendable, CaseIterable {
        /// The teacher's outputs (plus noise) as `.values(outputs)`.
        case regression
        /// The teacher's class as `.classes(max(outputs, 2))`.
        case classification
    }

    /// Input dimension d.
    public let inputDimension: Int
    /// Teacher outputs.
    public let outputs: Int
    /// Regression or classification.
    public let targets: Targets
    /// Noise standard deviation (regression) or flip probability (classification).
    public let labelNoise: Double
    /// Seed of the inputs and the noise.
    public let dataSeed: UInt64
    /// Number of samples.
    public let count: Int
    /// Sample key of index 0.
    public let firstSample: Int
    /// The teacher network (shared with ``heldOut(count:)``).
    public let teacher: Sequential
    /// Where ``heldOut(count:)`` starts.
    public static let heldOutOffset = 1 << 40

    /// One row of float64 normals (fillNormal draws them in pairs, twice as fast as one by one).
    private let normalRow: UnsafeMutableBufferPointer<Double>

    /// Builds the teacher and checks the parameters (a ``TrainingDataError`` names the one at fault).
    /// `chunk` is the teacher's batch: rows evaluated per forward.
    public convenience init(inputDimension: Int, width: Int, depth: Int, outputs: Int = 1, activation: Activation = .relu,
                            initialization: Initialization = .he, targets: Targets = .regression, labelNoise: Double = 0,
                            teacherSeed: UInt64, dataSeed: UInt64, count: Int, firstSample: Int = 0, chunk: Int = 256) throws {
        for (name, value, least) in [("inputDimension", inputDimension, 1), ("width", width, 1), ("depth", depth, 0),
                                     ("outputs", outputs, 1), ("chunk", chunk, 1)] where value < least {
            throw TrainingDataError(name, "is \(value)", fix: "use at least \(least)")
        }
        var layers: [any Layer] = []
        for _ in 0 ..< depth {
            layers.append(Dense(outputs: width, initialization: initialization))
            switch activation {
            case .relu: layers.append(ReLU())
            case .tanh: layers.append(Tanh())
            case .gelu: layers.append(GELU())
            case .silu: layers.append(SiLU())
            }
        }
        layers.append(Dense(outputs: outputs, initialization: initialization))
        let teacher = try Sequential(inputFeatures: inputDimension, batch: chunk, seed: teacherSeed, layers)
        try self.init(teacher: teacher, targets: targets, labelNoise: labelNoise, dataSeed: dataSeed, count: count, firstSample: firstSample)
    }

    /// A task on an existing teacher (any `Sequential` taking d-vectors).
    public init(teacher: Sequential, targets: Targets = .regression, labelNoise: Double = 0, dataSeed: UInt64,
                count: Int, firstSample: Int = 0) throws {
        guard teacher.inputShape.dims.count == 1 else {
            throw TrainingDataError("teacher", "takes inputs of shape \(teacher.inputShape)", fix: "use a teacher on d-vectors")
        }
        guard labelNoise.isFinite, labelNoise >= 0, targets == .regression || labelNoise <= 1 else {
            throw TrainingDataError("labelNoise", "is \(labelNoise)",
                                    fix: targets == .regression ? "use a noise standard deviation ≥ 0" : "use a flip probability in [0, 1]")
        }
        guard count >= 1 else { throw TrainingDataError("count", "is \(count)", fix: "use at least one sample") }
        guard firstSample >= 0, firstSample <= SampleStream.maxSample - count else {
            throw TrainingDataError("firstSample", "is \(firstSample) with \(count) samples", fix: "keep firstSample + count below 2^56")
        }
        self.teacher = teacher
        self.inputDimension = teacher.inputFeatures
        self.outputs = teacher.outputFeatures
        self.targets = targets
        self.labelNoise = labelNoise
        self.dataSeed = dataSeed
        self.count = count
        self.firstSample = firstSample
        normalRow = .allocate(capacity: teacher.inputFeatures)
    }

    deinit { normalRow.deallocate() }

    /// `count` other samples of the same teacher and input distribution: the test set.
    public func heldOut(count: Int) throws -> TeacherStudentTask {
        try TeacherStudentTask(teacher: teacher, targets: targets, labelNoise: labelNoise, dataSeed: dataSeed, count: count,
                               firstSample: firstSample + TeacherStudentTask.heldOutOffset)
    }

    /// [d].
    public var inputShape: TensorShape { .vector(inputDimension) }

    /// `.values(outputs)` or `.classes(max(outputs, 2))`.
    public var targetKind: TargetKind { targets == .regression ? .values(outputs) : .classes(max(outputs, 2)) }

    /// Draws the inputs, runs the teacher on them and writes the (noisy) targets or labels.
    public func load(indices: UnsafeBufferPointer<Int>, inputs: UnsafeMutablePointer<Float>,
                     targets out: UnsafeMutablePointer<Float>?, labels: UnsafeMutablePointer<Int32>?) throws {
        let d = inputDimension, o = outputs
        for (r, i) in indices.enumerated() {
            precondition(i >= 0 && i < count, "TeacherStudentTask: index \(i) outside 0 ..< \(count)")
            SampleStream.input.rng(seed: dataSeed, firstSample + i).fillNormal(normalRow, startingAt: 0)
            let row = inputs + r * d
            for j in 0 ..< d { row[j] = Float(normalRow[j]) }
        }
        var start = 0
        while start < indices.count {
            let rows = min(teacher.batch, indices.count - start)
            let y = teacher.forward(UnsafeBufferPointer(start: inputs + start * d, count: rows * d), rows: rows)
            for r in 0 ..< rows {
                let key = firstSample + indices[start + r], noise = SampleStream.noise.rng(seed: dataSeed, key)
                let logits = y.baseAddress! + r * o
                switch targets {
                case .regression:
                    guard let out else { continue }
                    for j in 0 ..< o { out[(start + r) * o + j] = logits[j] + Float(labelNoise * noise.normal(at: UInt64(j))) }
                case .classification:
                    var label: Int32 = 0
                    if o == 1 { label = logits[0] > 0 ? 1 : 0 } else {
                        for j in 1 ..< o where logits[j] > logits[Int(label)] { label = Int32(j) }
                    }
                    if labelNoise > 0 && noise.uniform(at: 0) < labelNoise {
                        let classes = max(o, 2)
                        label = Int32(min(Int(noise.uniform(at: 1) * Double(classes)), classes - 1))
                    }
                    labels?[start + r] = label
                    out?[start + r] = Float(label)
                }
            }
            start += rows
        }
    }
}
