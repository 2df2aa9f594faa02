import Foundation
import JobKit
import Learning
import TrainingData

/// The samples a `train` job learns from and is evaluated on, opened from `data.*`.
struct TrainSources {
    /// The training samples.
    let train: any SampleSource
    /// The held-out samples (nil when there are none).
    let test: (any SampleSource)?
    /// The held-out Gaussian-mixture task when the data is one: `/bayes` compares the network
    /// with its Bayes-optimal classifier.
    let mixtureTest: GaussianMixtureTask?
}

/// Opens a `train` job's training and held-out sample sources from `data.*`: the TrainingData
/// module's teacher–student and Gaussian-mixture tasks and HDF5 files.
///
/// Every refusal of a source (a ``TrainingDataError``: labels outside 0 ..< data.classes, inputs
/// and labels of different sample counts, a missing file or dataset, …) becomes ONE problem naming
/// the job key at fault and the file, thrown before any training step.
enum TrainDataSources {
    /// The training source and the held-out one. Runs on every rank; a source reads or draws only
    /// the samples it is asked for. Throws a ``KeyedProblem``.
    static func open(_ p: TrainParameters) throws -> TrainSources {
        let d = p.data, s = d.synthetic
        switch d.kind {
        case .teacherStudent:
            let train = try keyed(teacherStudentKeys) {
                try TeacherStudentTask(inputDimension: s.dimension, width: s.teacherWidth, depth: s.teacherDepth, outputs: s.teacherOutputs,
                                       activation: .tanh, initialization: .ntk(beta: 0), labelNoise: s.noise,
                                       teacherSeed: UInt64(s.seed), dataSeed: UInt64(s.seed), count: s.samples)
            }
            let test = s.testSamples > 0 ? try keyed(teacherStudentKeys.merging(["count": "data.test_samples"]) { $1 }) {
                try train.heldOut(count: s.testSamples)
            } : nil
            return TrainSources(train: train, test: test, mixtureTest: nil)
        case .gaussianMixture:
            let mixture = try keyed(mixtureKeys) { try GaussianMixture(mixtureConfiguration(p)) }
            let train = try keyed(mixtureKeys) { try GaussianMixtureTask(mixture: mixture, count: s.samples) }
            let test = s.testSamples > 0 ? try keyed(mixtureKeys.merging(["count": "data.test_samples"]) { $1 }) {
                try train.heldOut(count: s.testSamples)
            } : nil
            return TrainSources(train: train, test: test, mixtureTest: test)
        case .hdf5:
            return try openHDF5(d, testSamples: s.testSamples)
        case .snapshots, .gaussianRandomField:
            return try DiffusionSetup.open(p).0
        }
    }

    /// The mixture `data.*` describes (TrainingData checks it when it is built).
    static func mixtureConfiguration(_ p: TrainParameters) -> GaussianMixture.Configuration {
        let d = p.data
        let direction: GaussianMixture.MeanDirection
        switch d.meanDirection {
        case .random: direction = .random
        case .eigenvector: direction = .eigenvector(d.meanIndex)
        case .axis: direction = .axis(d.meanIndex)
        }
        return GaussianMixture.Configuration(
            dimension: d.synthetic.dimension, exponent: d.alpha,
            eigenvectors: d.eigenvectors == .shared ? .shared : .different,
            separation: d.separation, separationMeasure: d.separationMeasure == .euclidean ? .euclidean : .mahalanobis,
            meanDirection: direction, prior1: d.prior1, seed: UInt64(d.synthetic.seed))
    }

    /// The problems of the Gaussian-mixture keys that the parameters alone decide (validation:
    /// building the mixture itself costs O(d³)).
    static func mixtureKeyProblems(_ d: TrainParameters.Data) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        let dim = d.synthetic.dimension
        if dim > GaussianMixture.maxDimension {
            problems.append(ConfigProblem(path: "data.dimension", message: "is \(dim); a Gaussian mixture holds d × d float64 eigenbases",
                                          fix: "use data.dimension ≤ \(GaussianMixture.maxDimension)"))
        }
        switch d.meanDirection {
        case .eigenvector where !(1 ... max(dim, 1)).contains(d.meanIndex):
            problems.append(ConfigProblem(path: "data.mean_index", message: "is \(d.meanIndex); eigenvectors are numbered 1…\(dim) (1: the largest eigenvalue)",
                                          fix: "use data.mean_index in 1…\(dim)"))
        case .axis where !(0 ..< max(dim, 1)).contains(d.meanIndex):
            problems.append(ConfigProblem(path: "data.mean_index", message: "is \(d.meanIndex); axes are numbered 0…\(dim - 1)",
                                          fix: "use data.mean_index in 0…\(dim - 1)"))
        default:
            break
        }
        return problems
    }

    // MARK: HDF5

    /// The training rows of `data.file` and the held-out ones: the last `data.test_samples` rows of
    /// the same file, or (with `data.test_file`) that file's first `data.test_samples` rows (0: all).
    static func openHDF5(_ d: TrainParameters.Data, testSamples: Int) throws -> TrainSources {
        let targets: HDF5SampleSource.Targets = d.labels.isEmpty ? .values(dataset: d.targets) : .labels(dataset: d.labels, classes: d.classes)
        let keys = hdf5Keys(d, file: "data.file")
        try checkExists(d.file, key: "data.file")
        if !d.testFile.isEmpty {
            try checkExists(d.testFile, key: "data.test_file")
            let train = try keyed(keys) { try HDF5SampleSource(file: d.file, inputs: d.inputs, targets: targets) }
            let testKeys = hdf5Keys(d, file: "data.test_file")
            let rows = try keyed(testKeys) { try HDF5SampleSource(file: d.testFile, inputs: d.inputs, targets: targets) }.count
            guard testSamples <= rows else {
                throw KeyedProblem(ConfigProblem(path: "data.test_samples", message: "is \(testSamples) but \(d.testFile) holds \(rows) samples",
                                                 fix: "use data.test_samples ≤ \(rows), or 0 for all of them"))
            }
            let test = testSamples == 0 || testSamples == rows ? try keyed(testKeys) { try HDF5SampleSource(file: d.testFile, inputs: d.inputs, targets: targets) }
                : try keyed(testKeys) { try HDF5SampleSource(file: d.testFile, inputs: d.inputs, targets: targets, rows: 0 ..< testSamples) }
            try checkSameSamples(train, test, testFile: d.testFile)
            return TrainSources(train: train, test: test, mixtureTest: nil)
        }
        let whole = try keyed(keys) { try HDF5SampleSource(file: d.file, inputs: d.inputs, targets: targets) }
        guard testSamples > 0 else { return TrainSources(train: whole, test: nil, mixtureTest: nil) }
        guard testSamples < whole.count else {
            throw KeyedProblem(ConfigProblem(path: "data.test_samples", message: "is \(testSamples) but \(d.file) holds \(whole.count) samples, leaving none to train on",
                                             fix: "use data.test_samples < \(whole.count) (the held-out samples are the file's last ones), or give data.test_file"))
        }
        let split = whole.count - testSamples
        let train = try keyed(keys) { try HDF5SampleSource(file: d.file, inputs: d.inputs, targets: targets, rows: 0 ..< split) }
        let test = try keyed(keys) { try HDF5SampleSource(file: d.file, inputs: d.inputs, targets: targets, rows: split ..< whole.count) }
        return TrainSources(train: train, test: test, mixtureTest: nil)
    }

    /// A missing file is the file key's problem (HDF5 would report it on the dataset).
    static func checkExists(_ file: String, key: String) throws {
        guard !FileManager.default.fileExists(atPath: file) else { return }
        let cwd = FileManager.default.currentDirectoryPath
        throw KeyedProblem(ConfigProblem(path: key, message: "\(file) does not exist (a relative path is taken from the working directory \(cwd))",
                                         fix: "give the path of an existing HDF5 file"))
    }

    /// The held-out file must hold samples of the training file's shape and kind.
    static func checkSameSamples(_ train: HDF5SampleSource, _ test: HDF5SampleSource, testFile: String) throws {
        if test.inputShape != train.inputShape {
            throw KeyedProblem(ConfigProblem(path: "data.test_file", message: "\(testFile) holds samples of shape \(test.inputShape) but data.file's are \(train.inputShape)",
                                             fix: "give a held-out file with the training file's sample shape"))
        }
        if test.targetKind != train.targetKind {
            throw KeyedProblem(ConfigProblem(path: "data.test_file", message: "\(testFile) holds \(test.targetKind) targets but data.file holds \(train.targetKind)",
                                             fix: "give a held-out file whose targets have the training file's width"))
        }
    }

    // MARK: TrainingDataError → job keys

    /// TrainingData's parameter names → the job keys of a teacher–student task.
    static let teacherStudentKeys = [
        "inputDimension": "data.dimension", "width": "data.teacher_width", "depth": "data.teacher_depth",
        "outputs": "data.teacher_outputs", "labelNoise": "data.noise", "count": "data.samples", "firstSample": "data.samples",
    ]

    /// … of a Gaussian mixture.
    static let mixtureKeys = [
        "dimension": "data.dimension", "exponent0": "data.alpha", "exponent1": "data.alpha", "separation": "data.separation",
        "prior1": "data.prior1", "meanDirection": "data.mean_index", "count": "data.samples", "firstSample": "data.samples",
    ]

    /// … of an HDF5 source whose file is the key `file` (data.file or data.test_file).
    static func hdf5Keys(_ d: TrainParameters.Data, file: String) -> [String: String] {
        ["inputs": "data.inputs", "labels": "data.labels", "targets": "data.targets", "classes": "data.classes",
         "rows": "data.test_samples", "file": file]
    }

    /// Runs `make`, turning a ``TrainingDataError`` into a ``KeyedProblem`` on the job key its
    /// parameter maps to (the error's message names the file and dataset for HDF5 sources).
    static func keyed<T>(_ keys: [String: String], _ make: () throws -> T) throws -> T {
        do {
            return try make()
        } catch let e as TrainingDataError {
            let key = keys[e.parameter] ?? "data.kind"
            throw KeyedProblem(ConfigProblem(path: key, message: e.problem, fix: e.fix))
        }
    }
}
