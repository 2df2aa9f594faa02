import JobKit
import Learning

/// Opens a `train` job's training and held-out sample sources from `data.*`: the one place to
/// wire the TrainingData module's sources in.
///
/// PLACEHOLDER: only teacher–student regression exists in this build, as
/// ``PlaceholderTeacherStudent`` (a small CounterRNG task inside JobTrain). The lead replaces
/// the switch cases by the TrainingData sources (teacher–student, Gaussian mixture with its
/// Bayes-optimal classifier, HDF5) and deletes ``unavailable(_:)``'s cases as they arrive.
enum TrainDataSources {
    /// Why `kind` cannot run in this build, or nil when it can (also reported by `cascade validate`).
    static func unavailable(_ kind: DataKind) -> String? {
        switch kind {
        case .teacherStudent: return nil
        case .gaussianMixture, .hdf5: return "data source \"\(kind.rawValue)\" is not available in this build of Cascade"
        }
    }

    /// The training source and the held-out one (nil when data.test_samples = 0). Runs on every
    /// rank; a source reads or draws only the samples it is asked for.
    static func open(_ p: TrainParameters) throws -> (train: any SampleSource, test: (any SampleSource)?) {
        if let reason = unavailable(p.data.kind) { throw RunError("data.kind: \(reason)") }
        let s = p.data.synthetic
        switch p.data.kind {
        case .teacherStudent:
            let teacher = PlaceholderTeacherStudent.Teacher(dimension: s.dimension, width: s.teacherWidth, depth: s.teacherDepth,
                                                            outputs: s.teacherOutputs, seed: UInt64(s.seed))
            let train = PlaceholderTeacherStudent(teacher: teacher, count: s.samples, noise: s.noise, split: 0)
            let test = s.testSamples > 0 ? PlaceholderTeacherStudent(teacher: teacher, count: s.testSamples, noise: s.noise, split: 1) : nil
            return (train, test)
        case .gaussianMixture, .hdf5:
            throw RunError("data.kind = \(p.data.kind.rawValue) is not available in this build of Cascade")
        }
    }
}
