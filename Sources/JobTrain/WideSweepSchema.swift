import JobKit

extension ActivationKind: ParameterChoice {}

/// How a wide-sweep's networks are parameterised (`sweep.parameterization`).
public enum Parameterization: String, ParameterChoice {
    /// NTK: N(0, 1) weights, forward scaled by 1/sqrt(fan_in), bias by β (the lazy-training limit).
    case ntk
    /// Standard: He-initialised weights, no forward scaling.
    case standard
}

/// How the (width, seed) runs of a sweep use the ranks (`sweep.distribute`).
public enum SweepDistribution: String, ParameterChoice {
    /// Each rank trains whole runs on its own (round robin over the runs, widest first).
    case runs
    /// Every run is trained by all ranks together (the global batch split over them).
    case data
}

/// The optimiser of the sweep's runs (`train.optimizer`).
public enum SweepOptimizer: String, ParameterChoice {
    /// Plain gradient descent (the lazy-training theory's gradient flow).
    case sgd
    /// Adam (it rescales each gradient coordinate, so the lazy-training scalings no longer hold exactly).
    case adam
}

/// The keys of a `wide-sweep` job.
public struct WideSweepParameters: ParameterSet {
    public struct Sweep: ParameterSet {
        @Required("sweep.widths", .integerList(count: 1 ... 64, element: 1 ... 1 << 16),
                  doc: "Hidden widths to train: an array, or a range \"first:last:*2\" (doubling: \"64:4096:*2\" is 64, 128, …, 4096) or \"first:last[:step]\".")
        public var widths: [Int]
        @Parameter("sweep.seeds", .integerList(count: 1 ... 1000, element: 0 ... 1 << 40),
                   doc: "Initialisation seeds, one run per (width, seed): an array or a range \"1:8\".")
        public var seeds = [1, 2, 3, 4]
        @Parameter("sweep.depth", .range(1 ... 16), doc: "Hidden layers of each network (dense, then the activation), followed by a dense output of one unit.")
        public var depth = 2
        @Parameter("sweep.activation", doc: "Activation after each hidden layer.")
        public var activation = ActivationKind.tanh
        @Parameter("sweep.parameterization", doc: "ntk (N(0,1) weights, 1/sqrt(fan_in) in the forward pass: the lazy-training limit) or standard (He initialisation).")
        public var parameterization = Parameterization.ntk
        @Parameter("sweep.beta", .range(0 ... 100), doc: "ntk: scale β of the biases in the forward pass.")
        public var beta = 0.1
        @Parameter("sweep.distribute", doc: "runs: each rank trains whole (width, seed) runs; data: every run uses all ranks (the batch split over them).")
        public var distribute = SweepDistribution.runs
        public init() {}
    }

    public struct Train: ParameterSet {
        @Parameter("train.steps", .range(1 ... 1 << 30), doc: "Optimiser steps of each run.")
        public var steps = 1000
        @Parameter("train.lr", .above(0, atMost: 1e3), doc: "Learning rate (constant). Under NTK parameterisation an O(1) rate is width-independent.")
        public var lr = 1.0
        @Parameter("train.optimizer", doc: "sgd (gradient descent, the theory's gradient flow) or adam.")
        public var optimizer = SweepOptimizer.sgd
        @Parameter("train.batch", .range(0 ... 1 << 24), doc: "Global batch per step; 0: full batch (data.samples). With sweep.distribute = \"data\" it must divide by the rank count.")
        public var batch = 0
        public init() {}
    }

    @Parameter("data.kind", .choices(["teacher-student"]), doc: "The task: teacher-student regression (one output: data.teacher_outputs must be 1).")
    public var dataKind = "teacher-student"
    public var data = TeacherStudentKeys()
    public var sweep = Sweep()
    public var train = Train()
    @Parameter("probe.samples", .range(1 ... 4096), doc: "Probe inputs (drawn like the training inputs, from their own stream) on which the linearisation gap and the empirical NTK are measured.")
    public var probeSamples = 64
    @Parameter("output.file", .fileName(extensions: [".h5", ".hdf5"]), doc: "HDF5 file of the per-width diagnostics in the output directory.")
    public var file = "wide_sweep.h5"

    public init() {}

    /// Samples per step.
    public var globalBatch: Int { train.batch == 0 ? data.samples : train.batch }
}
