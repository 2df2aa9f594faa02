// swift-tools-version:6.0
// Cascade: a Swift runtime for MPI batch jobs in the physics of learning.
//
// Layers, arrows pointing one way only (Tests/ArchitectureTests checks it from dump-package):
//   C bindings and kernels (CMPI, CFFTW, CHDF5, COpenBLAS, CScaLAPACK, CDNNL, CLearningKernels)
//     -> Parallel (communicators, collectives, decomposition)
//       -> numerics (Linalg, CounterRNG, DistributedFFT, Storage), data access (Datasets),
//          distributed matrices (DistributedLinalg: ScaLAPACK)
//         -> science modules (Spectra, SpectraReference, Learning: no MPI; Turbulence, Covariance,
//            Training: sharded / data-parallel; TrainingData: sample sources for training;
//            Diffusion: schedules, samplers, EMA, symmetry augmentation)
//           -> JobKit (typed parameters, validation, runner, run records, run loop, checkpoints)
//             -> Report (the HTML page of a run or pipeline folder)
//             -> one module per job kind (JobSelftest, JobNS2D, JobRMT, JobTrain, JobCompare, JobDiffusion, JobPipeline), never importing each other
//               -> JobCatalog (lists the kinds)
//                 -> the `cascade` executable.
import PackageDescription

let mpiProviders: [SystemPackageProvider] = [.apt(["libopenmpi-dev", "openmpi-bin"])]

let package = Package(
    name: "Cascade",
    products: [
        .executable(name: "cascade", targets: ["cascade"]),
        .executable(name: "cascade-mpitests", targets: ["MPITestSuite"]),
        .executable(name: "cascade-bench-fft", targets: ["BenchFFT"]),
        .executable(name: "cascade-bench-allreduce", targets: ["BenchAllreduce"]),
        .executable(name: "cascade-bench-ns2d", targets: ["BenchNS2D"]),
        .executable(name: "cascade-bench-covariance", targets: ["BenchCovariance"]),
        .executable(name: "cascade-bench-train", targets: ["BenchTrain"]),
        .executable(name: "cascade-bench-conv", targets: ["BenchConv"]),
        .executable(name: "cascade-bench-mlp", targets: ["BenchMLP"]),
        .executable(name: "cascade-bench-eigen", targets: ["BenchEigen"]),
        .executable(name: "cascade-bench-unet", targets: ["BenchUNet"]),
        .library(name: "Parallel", targets: ["Parallel"]),
        .library(name: "Linalg", targets: ["Linalg"]),
        .library(name: "CounterRNG", targets: ["CounterRNG"]),
        .library(name: "DistributedFFT", targets: ["DistributedFFT"]),
        .library(name: "Storage", targets: ["Storage"]),
        .library(name: "Turbulence", targets: ["Turbulence"]),
        .library(name: "JobKit", targets: ["JobKit"]),
        .library(name: "JobCatalog", targets: ["JobCatalog"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Spectra", targets: ["Spectra"]),
        .library(name: "SpectraReference", targets: ["SpectraReference"]),
        .library(name: "DistributedLinalg", targets: ["DistributedLinalg"]),
        .library(name: "Covariance", targets: ["Covariance"]),
        .library(name: "Learning", targets: ["Learning"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "TrainingData", targets: ["TrainingData"]),
        .library(name: "Diffusion", targets: ["Diffusion"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // MARK: C bindings
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: mpiProviders),
        // FFTW ships no .pc for its MPI library; mpi.h comes through ompi-c and the
        // modulemap links fftw3_mpi and fftw3.
        .systemLibrary(name: "CFFTW", pkgConfig: "ompi-c",
                       providers: [.apt(["libfftw3-dev", "libfftw3-mpi-dev"])] + mpiProviders),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5-openmpi",
                       providers: [.apt(["libhdf5-openmpi-dev", "hdf5-tools"])] + mpiProviders),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // oneDNN (libdnnl-dev ships no .pc): the modulemap links dnnl and its OpenMP runtime.
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        // ScaLAPACK with its BLACS (one Debian library): block-cyclic eigensolvers over a process grid.
        .systemLibrary(name: "CScaLAPACK", pkgConfig: "scalapack-openmpi",
                       providers: [.apt(["libscalapack-openmpi-dev"])] + mpiProviders),
        // CLearningKernels: elementwise float32 optimiser kernels, multiversioned (target_clones).
        .target(name: "CLearningKernels"),

        // MARK: Parallel layer
        .target(name: "Parallel", dependencies: ["CMPI"]),

        // MARK: Numerics layer
        .target(name: "Linalg", dependencies: ["COpenBLAS"]),
        .target(name: "CounterRNG"),
        .target(name: "DistributedFFT", dependencies: ["Parallel", "CFFTW", "CMPI"]),
        .target(name: "Storage", dependencies: ["Parallel", "CHDF5", "CMPI"]),
        // Datasets: samples of an HDF5 dataset (selection, collective reading, per-rank sample blocks).
        .target(name: "Datasets", dependencies: ["Parallel", "Storage"]),

        // DistributedLinalg: symmetric matrices in ScaLAPACK's 2-D block-cyclic layout (process grid,
        // assembly by reduce-scatter, pdsyevd/pdsyevr, strided parallel HDF5 writes).
        .target(name: "DistributedLinalg", dependencies: ["Parallel", "Linalg", "Storage", "CScaLAPACK", "COpenBLAS"]),

        // MARK: Science modules
        .target(name: "Turbulence", dependencies: ["Parallel", "DistributedFFT", "CounterRNG"]),
        // Spectra: random-matrix statistics of a spectrum (pure, no MPI).
        .target(name: "Spectra"),
        // SpectraReference: GOE, GUE and Poisson reference draws (no MPI).
        .target(name: "SpectraReference", dependencies: ["CounterRNG", "Linalg"]),
        // Covariance: sharded covariance/Gram matrices and synthetic data.
        .target(name: "Covariance", dependencies: ["Parallel", "Linalg", "DistributedLinalg", "CounterRNG", "DistributedFFT", "Datasets", "Spectra"]),
        // Learning: float32 layers (dense on OpenBLAS, convolutions on oneDNN), losses, a flat parameter
        // store, optimisers (C kernels), schedules and data order for training (no MPI inside).
        .target(name: "Learning", dependencies: ["CLearningKernels", "COpenBLAS", "CDNNL", "CounterRNG"]),
        // Training: the data-parallel trainer, the only training code that talks to communicators
        // (broadcast, bucketed non-blocking gradient allreduce, reduced metrics, checkpoint state).
        .target(name: "Training", dependencies: ["Parallel", "Learning", "CounterRNG"]),
        // TrainingData: SampleSources for the trainer (teacher-student and Gaussian-mixture tasks with
        // their Bayes-optimal classifier, HDF5 datasets read row by row) and periodic field sources for
        // diffusion models (ns2d snapshots checked and coarse-grained, Gaussian random fields with a
        // known spectrum); no MPI communication.
        .target(name: "TrainingData", dependencies: ["Learning", "Storage", "Linalg", "CounterRNG", "COpenBLAS", "DistributedFFT"]),
        // Diffusion: noise schedules, forward noising, DDPM/DDIM samplers over any noise predictor, EMA of
        // weights, D4 × translation augmentation of periodic fields; random numbers keyed by sample, never rank.
        .target(name: "Diffusion", dependencies: ["Learning", "CounterRNG"]),

        // MARK: Job core, job kinds, catalog and the executable
        .target(name: "JobKit", dependencies: [
            "Parallel", "Storage",
            .product(name: "TOMLKit", package: "TOMLKit"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Report: the HTML page of a run or pipeline folder (dygraphs inlined from Vendored/).
        .target(name: "Report", dependencies: ["JobKit", "Storage", "Parallel"],
                exclude: ["Vendored/update.sh", "Vendored/LICENSE"]),
        .target(name: "JobSelftest", dependencies: [
            "JobKit", "Parallel", "Linalg", "CounterRNG", "DistributedFFT", "Storage",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "JobNS2D", dependencies: [
            "JobKit", "Parallel", "DistributedFFT", "Storage", "Turbulence",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "JobRMT", dependencies: [
            "JobKit", "Parallel", "Linalg", "DistributedLinalg", "CounterRNG", "Storage", "Datasets", "Spectra", "SpectraReference", "Covariance",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "JobTrain", dependencies: [
            "JobKit", "Parallel", "Storage", "Learning", "Training", "CounterRNG",
            "TrainingData", "Diffusion",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // turbulence-compare: the ns2d diagnostics of several sets of vorticity fields side by side.
        .target(name: "JobCompare", dependencies: [
            "JobKit", "Parallel", "Storage", "Turbulence",
        ]),
        // diffusion-sample: fields drawn from a trained diffusion model, in ns2d's snapshots layout
        // (reads training.h5 itself: job kinds never import each other).
        .target(name: "JobDiffusion", dependencies: [
            "JobKit", "Parallel", "Storage", "Learning", "Diffusion",
        ]),
        // The pipeline kind runs other kinds' jobs, which it gets injected (it imports none of them).
        .target(name: "JobPipeline", dependencies: [
            "JobKit", "Parallel",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "JobCatalog", dependencies: ["JobKit", "JobSelftest", "JobNS2D", "JobRMT", "JobTrain", "JobCompare", "JobDiffusion", "JobPipeline"]),
        .executableTarget(name: "cascade", dependencies: [
            "JobCatalog", "JobKit", "Parallel", "Report",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Multi-rank checks, run under mpirun with 1-4 ranks by Tests/run-all.sh.
        .executableTarget(name: "MPITestSuite", dependencies: [
            "Parallel", "Linalg", "DistributedLinalg", "CounterRNG", "DistributedFFT", "Storage", "Turbulence", "Datasets", "Spectra",
            "SpectraReference", "Covariance", "Learning", "Training", "TrainingData", "JobKit",
        ]),

        // Benchmarks (bench/run.sh): each prints ratios against a reference in the same run.
        .executableTarget(name: "BenchFFT", dependencies: ["DistributedFFT", "Parallel", "CFFTW"],
                          path: "bench/fft", exclude: ["run.sh"]),
        .executableTarget(name: "BenchNS2D", dependencies: ["Turbulence", "DistributedFFT", "Parallel"],
                          path: "bench/ns2d", exclude: ["run.sh", "reference_fluidsim.py", "setup-venv.sh"]),
        .executableTarget(name: "BenchAllreduce", dependencies: ["Parallel"],
                          path: "bench/allreduce", exclude: ["run.sh", "reference_mpi4py.py"]),
        .executableTarget(name: "BenchCovariance", dependencies: ["Covariance", "Datasets", "Spectra", "SpectraReference", "Linalg", "Parallel"],
                          path: "bench/covariance", exclude: ["run.sh", "reference_numpy.py", "reference_empyricalrmt.py"]),
        .executableTarget(name: "BenchTrain", dependencies: ["Training", "Learning", "Parallel", "CounterRNG"],
                          path: "bench/train", exclude: ["run.sh", "reference_torch.py"]),
        .executableTarget(name: "BenchConv", dependencies: ["Learning"],
                          path: "bench/conv", exclude: ["run.sh", "reference_torch.py"]),
        .executableTarget(name: "BenchEigen", dependencies: ["DistributedLinalg", "Linalg", "Parallel", "CounterRNG"],
                          path: "bench/eigen", exclude: ["run.sh"]),
        .executableTarget(name: "BenchMLP", dependencies: ["Learning", "TrainingData", "Storage", "Parallel", "CounterRNG", "COpenBLAS"],
                          path: "bench/mlp", exclude: ["run.sh", "reference_torch.py"]),
        .executableTarget(name: "BenchUNet", dependencies: ["Learning", "Diffusion", "Parallel", "CounterRNG"],
                          path: "bench/unet", exclude: ["run.sh", "reference_torch.py"]),

        // MARK: Single-rank unit tests (`swift test`)
        .testTarget(name: "ParallelTests", dependencies: ["Parallel"]),
        .testTarget(name: "LinalgTests", dependencies: ["Linalg"]),
        .testTarget(name: "CounterRNGTests", dependencies: ["CounterRNG"]),
        .testTarget(name: "DistributedFFTTests", dependencies: ["DistributedFFT", "Parallel"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "Parallel"]),
        .testTarget(name: "JobKitTests", dependencies: ["JobKit", "JobCatalog", "JobNS2D", "JobRMT", "JobSelftest", "JobTrain", "Parallel", "Storage"]),
        .testTarget(name: "JobPipelineTests", dependencies: ["JobPipeline", "JobKit", "JobCatalog"]),
        .testTarget(name: "ArchitectureTests", dependencies: []),
        .testTarget(name: "ReportTests", dependencies: ["Report", "JobKit", "Storage", "Parallel"]),
        .testTarget(name: "TurbulenceTests", dependencies: ["Turbulence", "DistributedFFT", "Parallel", "CounterRNG"]),
        .testTarget(name: "LearningOptimTests", dependencies: ["Learning", "CounterRNG"]),
        // Float64 reference forward passes, finite differences and closeness checks shared by the Learning tests.
        .target(name: "LearningTestSupport", dependencies: ["Learning"], path: "Tests/LearningTestSupport"),
        .testTarget(name: "LearningTests", dependencies: ["Learning", "LearningTestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Learning", "Parallel", "CounterRNG"]),
        // Forward-mode derivatives and the wide-network (lazy-training) diagnostics.
        .testTarget(name: "LearningTangentTests", dependencies: ["Learning", "Linalg", "LearningTestSupport"]),
        // Image, normalisation and composite layers: backward and forward-mode derivatives against
        // finite differences of float64 references, GroupNorm against PyTorch, the C activation kernels.
        .testTarget(name: "LearningLayerTests", dependencies: ["Learning", "CLearningKernels", "LearningTestSupport"], exclude: ["Scripts"]),
        .testTarget(name: "LearningConvTests", dependencies: ["Learning", "CounterRNG"]),
        .testTarget(name: "TrainingDataTests", dependencies: ["TrainingData", "Learning", "Storage", "Linalg", "CounterRNG", "Parallel"],
                    exclude: ["llr_reference.py"]),
        .testTarget(name: "JobTrainTests", dependencies: ["JobTrain", "JobKit", "JobCatalog", "Learning", "Training", "Parallel", "Storage", "TrainingData"]),
        .testTarget(name: "DiffusionTests", dependencies: ["Diffusion", "Learning", "CounterRNG"]),
        .testTarget(name: "SpectraTests", dependencies: ["Spectra", "SpectraReference", "Covariance", "Datasets", "Linalg", "Parallel", "Storage"]),
    ],
    swiftLanguageModes: [.v6]
)
