import Learning

/// Diffusion training pairs as a trainer's ``Learning/SampleSource``: sample i at training step s is
/// the clean field i of a ``Learning/PeriodicFieldSource``, moved by a random symmetry of the periodic
/// box, noised to a random time step t: input row x_t ‖ t (N² floats, then t as a float, the
/// ``Learning/UNet``'s row), target ε (or v).
///
/// The symmetry, t and ε are keyed by (seed, global sample index, step) through ``DiffusionRandomness``,
/// with the step announced by the trainer (``Learning/SampleSource/beginPass(_:)``): the global batch,
/// and so the gradient, does not depend on the rank count, and a resumed run draws what an uninterrupted
/// one would. Evaluations (``Learning/SamplePass/evaluation``) use one reserved step key, so every
/// held-out loss of a run is measured on the same pairs.
///
/// Buffers grow to the largest share asked for (the first batch); later loads allocate only in the
/// ForwardProcess and augmentation calls, which return arrays (small next to a U-Net step).
public final class DiffusionTrainingPairs: SampleSource {
    /// The clean fields.
    public let fields: any PeriodicFieldSource
    /// The noising.
    public let process: ForwardProcess
    /// The random symmetries (nil: none).
    public let augmentation: SymmetryAugmentation?
    /// ε or v.
    public let target: PredictionTarget
    /// The step key of evaluation passes (the last one the keying allows).
    public static let evaluationStepKey = Int(DiffusionRandomness.stepLimit - 1)

    public var count: Int { fields.count }
    /// The field, then t.
    public var inputShape: TensorShape { .vector(fields.side * fields.side + 1) }
    /// One target per field value.
    public var targetKind: TargetKind { .values(fields.side * fields.side) }

    private var stepKey = 0
    private var clean: [Float] = []

    /// Pairs of `fields` noised by `process` (its seed keys t and ε), with `augmentation` (its own seed).
    /// Throws a ``DiffusionError`` when the augmentation's layout is not the fields' N × N × 1 or there are
    /// more fields than the keying allows (2³²).
    public init(fields: any PeriodicFieldSource, process: ForwardProcess, augmentation: SymmetryAugmentation?,
                target: PredictionTarget = .noise) throws {
        if let a = augmentation, a.layout.side != fields.side || a.layout.channels != 1 {
            throw DiffusionError("training pairs: the augmentation is laid out for \(a.layout.side)² × \(a.layout.channels) fields but the data's are \(fields.side)² × 1")
        }
        guard UInt64(fields.count) <= DiffusionRandomness.sampleLimit else {
            throw DiffusionError("training pairs: \(fields.count) fields, more than the 2^32 sample keys (fix: use fewer frames)")
        }
        try DiffusionRandomness.checkElements(fields.side * fields.side)
        self.fields = fields
        self.process = process
        self.augmentation = augmentation
        self.target = target
    }

    /// Training step s keys the draws of the next loads; ``Learning/SamplePass/evaluation`` the reserved key.
    public func beginPass(_ pass: Int) {
        precondition(pass == SamplePass.evaluation || (pass >= 0 && pass < Self.evaluationStepKey),
                     "DiffusionTrainingPairs: pass \(pass) outside 0 ..< 2^56 − 1")
        stepKey = pass == SamplePass.evaluation ? Self.evaluationStepKey : pass
    }

    public func load(indices: UnsafeBufferPointer<Int>, inputs: UnsafeMutablePointer<Float>,
                     targets: UnsafeMutablePointer<Float>?, labels: UnsafeMutablePointer<Int32>?) throws {
        let points = fields.side * fields.side, rows = indices.count
        guard rows > 0 else { return }
        if clean.count != rows * points { clean = [Float](repeating: 0, count: rows * points) }
        try clean.withUnsafeMutableBufferPointer { try fields.loadFields(indices: indices, into: $0.baseAddress!) }
        let samples = Array(indices)
        if let augmentation { try augmentation.augment(&clean, samples: samples, step: stepKey) }
        let pairs = try process.trainingPairs(clean: clean, samples: samples, step: stepKey, target: target)
        for r in 0 ..< rows {
            let row = inputs + r * (points + 1)
            pairs.noisy.withUnsafeBufferPointer { row.update(from: $0.baseAddress! + r * points, count: points) }
            row[points] = Float(pairs.timesteps[r])
        }
        if let targets {
            pairs.targets.withUnsafeBufferPointer { targets.update(from: $0.baseAddress!, count: rows * points) }
        }
    }
}
