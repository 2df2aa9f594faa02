import Diffusion
import JobKit
import Learning
import TrainingData

/// The diffusion side of a `train` job on field data: the fields, the noise schedule and the
/// training pairs (x_t ‖ t, ε) the trainer sees.
struct DiffusionSetup {
    /// The clean training fields (their scale is the normalisation recorded with the model).
    let fields: any PeriodicFieldSource
    /// The noise schedule.
    let schedule: NoiseSchedule
    /// Text for logs and the /diffusion attributes: where the fields come from.
    let dataDescription: String
    /// Coarsening factor (1 for synthetic fields).
    let coarsening: Int

    /// The schedule of `diffusion.*` (a DiffusionError becomes a problem on diffusion.schedule).
    static func schedule(_ d: DiffusionKeys) throws -> NoiseSchedule {
        do {
            switch d.schedule {
            case .linear: return try .linear(steps: d.timesteps, start: d.betaStart, end: d.betaEnd)
            case .cosine: return try .cosine(steps: d.timesteps)
            }
        } catch let e as DiffusionError {
            throw KeyedProblem(ConfigProblem(path: d.schedule == .linear ? "diffusion.beta_end" : "diffusion.schedule", message: e.message,
                                             fix: "see docs/diffusion.md for the schedules"))
        }
    }

    /// The training and held-out pairs of `data.*` and `diffusion.*`. Runs on every rank; every refusal
    /// is one problem naming the key and the file (missing, non-square, empty, NaN, cropped data…).
    static func open(_ p: TrainParameters) throws -> (TrainSources, DiffusionSetup) {
        let d = p.data, s = d.synthetic
        let train: any PeriodicFieldSource, test: (any PeriodicFieldSource)?
        var description = "", coarsening = 1
        switch d.kind {
        case .gaussianRandomField:
            let keys = ["side": "data.side", "count": "data.samples", "spectralSlope": "data.spectral_slope",
                        "minimumWavenumber": "data.k_min", "maximumWavenumber": "data.k_max"]
            let grf = try TrainDataSources.keyed(keys) {
                try GaussianRandomFieldSource(side: d.side, count: s.samples, spectralSlope: d.spectralSlope, minimumWavenumber: d.kMin,
                                              maximumWavenumber: d.kMax > 0 ? d.kMax : nil, seed: UInt64(s.seed))
            }
            train = grf
            test = s.testSamples > 0 ? try TrainDataSources.keyed(keys.merging(["count": "data.test_samples"]) { $1 }) { try grf.heldOut(count: s.testSamples) } : nil
            description = "Gaussian random fields \(d.side)², shell spectrum ∝ k^−\(d.spectralSlope) on \(grf.minimumWavenumber) ≤ |k| ≤ \(grf.maximumWavenumber)"
        case .snapshots:
            (train, test) = try openSnapshots(d, testSamples: s.testSamples)
            coarsening = d.coarsen
            description = "\(d.file):\(d.dataset) frames from \(d.firstFrame) by \(d.frameStride), coarsened by \(d.coarsen)"
        default:
            preconditionFailure("DiffusionSetup.open on data.kind = \(d.kind.rawValue)")
        }
        let schedule = try Self.schedule(p.diffusion)
        let seed = UInt64(p.diffusion.seed)
        let process = ForwardProcess(schedule: schedule, seed: seed)
        let target: PredictionTarget = p.diffusion.prediction == .noise ? .noise : .velocity
        let layout = try PeriodicFieldLayout.vorticity(side: train.side)
        let augment = p.diffusion.translations || p.diffusion.rotations
            ? SymmetryAugmentation(layout: layout, translations: p.diffusion.translations, pointGroup: p.diffusion.rotations, seed: seed) : nil
        do {
            let pairs = try DiffusionTrainingPairs(fields: train, process: process, augmentation: augment, target: target)
            let held = try test.map { try DiffusionTrainingPairs(fields: $0, process: process, augmentation: nil, target: target) }
            return (TrainSources(train: pairs, test: held, mixtureTest: nil),
                    DiffusionSetup(fields: train, schedule: schedule, dataDescription: description, coarsening: coarsening))
        } catch let e as DiffusionError {
            throw KeyedProblem(ConfigProblem(path: d.kind == .snapshots ? "data.frame_count" : "data.samples", message: e.message, fix: "use fewer fields"))
        }
    }

    /// Snapshot fields: the selection, with the held-out fields the last `testSamples` of it or the
    /// first of `data.test_file`, both divided by the training fields' RMS.
    static func openSnapshots(_ d: TrainParameters.Data, testSamples: Int) throws -> (any PeriodicFieldSource, (any PeriodicFieldSource)?) {
        guard !d.file.isEmpty else {
            throw KeyedProblem(ConfigProblem(path: "data.file", message: "is required for data.kind = \"snapshots\"",
                                             fix: "set data.file to an ns2d snapshots.h5 (e.g. runs/ns2d-inverse-cascade/snapshots.h5)"))
        }
        try TrainDataSources.checkExists(d.file, key: "data.file")
        let keys = ["file": "data.file", "dataset": "data.dataset", "firstFrame": "data.first_frame", "frameCount": "data.frame_count",
                    "frameStride": "data.frame_stride", "coarsening": "data.coarsen"]
        let selection = SnapshotFieldSource.Selection(dataset: d.dataset, firstFrame: d.firstFrame, frameCount: d.frameCount,
                                                      frameStride: d.frameStride, coarsening: d.coarsen)
        if !d.testFile.isEmpty {
            try TrainDataSources.checkExists(d.testFile, key: "data.test_file")
            let train = try TrainDataSources.keyed(keys) { try SnapshotFieldSource(file: d.file, selection: selection) }
            var heldSelection = selection
            (heldSelection.firstFrame, heldSelection.frameCount) = (0, testSamples)
            let testKeys = keys.merging(["file": "data.test_file", "firstFrame": "data.test_file", "frameCount": "data.test_samples"]) { $1 }
            let test = try TrainDataSources.keyed(testKeys) { try SnapshotFieldSource(file: d.testFile, selection: heldSelection, scale: train.scale) }
            guard test.storedSide == train.storedSide else {
                throw KeyedProblem(ConfigProblem(path: "data.test_file", message: "\(d.testFile) holds \(test.storedSide)² fields but data.file's are \(train.storedSide)²",
                                                 fix: "hold out frames of a run of the same resolution"))
            }
            return (train, test)
        }
        let whole = try TrainDataSources.keyed(keys) { try SnapshotFieldSource(file: d.file, selection: selection) }
        guard testSamples > 0 else { return (whole, nil) }
        guard testSamples < whole.count else {
            throw KeyedProblem(ConfigProblem(path: "data.test_samples", message: "is \(testSamples) but the selection of \(d.file) has \(whole.count) frames, leaving none to train on",
                                             fix: "use data.test_samples < \(whole.count) (the held-out frames are the selection's last; about \(max(1, whole.count / 10)) is a tenth), 0 for none, or give data.test_file"))
        }
        var trainSelection = selection, heldSelection = selection
        trainSelection.frameCount = whole.count - testSamples
        heldSelection.firstFrame = whole.frameIndex(of: whole.count - testSamples)
        heldSelection.frameCount = testSamples
        let train = try TrainDataSources.keyed(keys) { try SnapshotFieldSource(file: d.file, selection: trainSelection) }
        let test = try TrainDataSources.keyed(keys) { try SnapshotFieldSource(file: d.file, selection: heldSelection, scale: train.scale) }
        return (train, test)
    }
}
