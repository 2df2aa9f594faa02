import DistributedFFT
import Foundation
import JobKit
import Turbulence

extension TimeScheme: ParameterChoice {}
extension ForcingKind: ParameterChoice {}

/// Initial vorticity fields of an ns2d run.
public enum InitialFieldType: String, ParameterChoice {
    case random, taylorGreen = "taylor-green", shear, rest, file
}

/// The keys of an `ns2d` job, by section.
public struct NS2DParameters: ParameterSet {
    public struct Grid: ParameterSet {
        @Parameter("grid.n", .range(4 ... 1 << 15),
                   doc: "Grid points per side N (even; any even N, not only powers of two). Rows are split over the ranks.")
        public var n = 256
        @Parameter("grid.box_length", .range(1e-6 ... 1e6),
                   doc: "Side L of the doubly periodic box; wavenumbers are multiples of 2π/L.")
        public var boxLength = 2 * Double.pi
        public init() {}
    }

    public struct Physics: ParameterSet {
        @Parameter("physics.viscosity", .range(0 ... 1e6), doc: "Viscosity ν of the term −ν(−∇²)^n ω (0 for inviscid runs).")
        public var viscosity = 1e-4
        @Parameter("physics.viscosity_order", .range(1 ... 8), doc: "Order n of the viscous term: 1 Newtonian, >1 hyperviscosity.")
        public var viscosityOrder = 1
        @Parameter("physics.damping", .range(0 ... 1e6), doc: "Coefficient α of the large-scale damping −α(−∇²)^m ω (0: none).")
        public var damping = 0.0
        @Parameter("physics.damping_order", .range(-8 ... 0), doc: "Order m ≤ 0 of the damping: 0 linear drag, negative hypoviscosity.")
        public var dampingOrder = 0
        public init() {}
    }

    public struct Time: ParameterSet {
        @Parameter("time.scheme", doc: "Time stepping: rk4 (4th order) or rk2 (2nd order, half the cost); both integrate the dissipative terms exactly.")
        public var scheme = TimeScheme.rk4
        @Required("time.t_end", .above(0, atMost: 1e9), resumable: true,
                  doc: "Simulated time to run to. With fixed dt the run takes ceil(t_end/dt) steps (at most 10¹⁰). May be raised for `--resume`.")
        public var tEnd: Double
        @Parameter("time.dt", .above(0, atMost: 1e6), doc: "Time step; with time.adaptive the largest step allowed (and the first one).")
        public var dt = 1e-3
        @Parameter("time.adaptive", doc: "Choose dt each step from the CFL number (time.cfl), at most time.dt.")
        public var adaptive = false
        @Parameter("time.cfl", .range(1e-3 ... 2), doc: "Target CFL number dt·(max|u| + max|v|)/Δx of adaptive stepping; below time.cfl_max.")
        public var cfl = 0.5
        @Parameter("time.cfl_max", .range(1e-3 ... 4), doc: "Blow-up guard: a CFL number above this (or a NaN/Inf) stops the run with an error.")
        public var cflMax = 1.0
        public init() {}
    }

    public struct Forcing: ParameterSet {
        @Parameter("forcing.type", doc: "none, white (white in time, injects forcing.rate in expectation), correlated (Ornstein–Uhlenbeck in time, injects forcing.rate exactly each step) or kolmogorov (force F sin(kf y) in x).")
        public var kind = ForcingKind.none
        @Parameter("forcing.rate", .above(0, atMost: 1e6), doc: "Energy injection rate ε of the white and correlated forcing.")
        public var rate = 0.1
        @Parameter("forcing.kf", .above(0, atMost: 1e6), doc: "Forcing wavenumber kf (physical units; 2π/L per unit of integer wavenumber).")
        public var kf = 8.0
        @Parameter("forcing.band_half_width", .range(0 ... 1e6), doc: "Random forcing acts on modes with kf − δk ≤ |k| ≤ kf + δk.")
        public var bandHalfWidth = 1.0
        @Parameter("forcing.correlation_time", .above(0, atMost: 1e6), doc: "Correlation time τ of the correlated forcing.")
        public var correlationTime = 0.5
        @Parameter("forcing.amplitude", .above(0, atMost: 1e6), doc: "Force amplitude F of the Kolmogorov forcing.")
        public var amplitude = 1.0
        @Parameter("forcing.seed", .atLeast(0), doc: "Seed of the forcing's random numbers (keyed by wavenumber and step: same run on any rank count).")
        public var seed = 1
        public init() {}
    }

    public struct Initial: ParameterSet {
        @Parameter("init.type", doc: "Initial vorticity: random phases with a spectrum, taylor-green cells, shear (Kolmogorov) flow, rest, or a field read from file.")
        public var type = InitialFieldType.random
        @Parameter("init.energy", .range(0 ... 1e6), doc: "random: total energy E = ½⟨|u|²⟩.")
        public var energy = 0.5
        @Parameter("init.k_peak", .above(0, atMost: 1e6), doc: "random: wavenumber k0 of the peak of E(k) ∝ k^s exp(−(s/2)(k/k0)²); at most the largest dealiased wavenumber.")
        public var kPeak = 4.0
        @Parameter("init.slope", .range(0.1 ... 100), doc: "random: low-wavenumber slope s of E(k).")
        public var slope = 4.0
        @Parameter("init.amplitude", .range(0 ... 1e6), doc: "taylor-green and shear: velocity amplitude U.")
        public var amplitude = 1.0
        @Parameter("init.wavenumber", .above(0, atMost: 1e6), doc: "taylor-green and shear: wavenumber k (a multiple of 2π/L).")
        public var wavenumber = 1.0
        @Parameter("init.seed", .atLeast(0), doc: "random: seed of the phases.")
        public var seed = 1
        @Parameter("init.file", doc: "file: an HDF5 file: a checkpoint.h5 (dataset omega_hat) or a snapshots file (3-D vorticity dataset) of any resolution; it is truncated or zero-padded spectrally to grid.n.")
        public var file = ""
        @Parameter("init.dataset", doc: "file: dataset to read; default omega_hat if present, else vorticity.")
        public var dataset = ""
        @Parameter("init.frame", .range(-(1 << 40) ... 1 << 40), doc: "file: frame of a snapshots dataset; negative counts from the end (−1: last).")
        public var frame = -1
        public init() {}
    }

    public struct Output: ParameterSet {
        @Parameter("output.diagnostics_interval", .range(0 ... 1e9), resumable: true,
                   doc: "Simulated time between records of the scalar time series (0: every step).")
        public var diagnosticsInterval = 0.1
        @Parameter("output.spectra_interval", .range(0 ... 1e9), resumable: true, doc: "Time between spectra and fluxes (0: never).")
        public var spectraInterval = 0.5
        @Parameter("output.statistics_interval", .range(0 ... 1e9), resumable: true,
                   doc: "Time between structure functions, PDFs and dissipation moments (0: never).")
        public var statisticsInterval = 1.0
        @Parameter("output.statistics_start", .range(0 ... 1e9),
                   doc: "Simulated time of the first spectra and statistics records (skip the transient); 0: from the start.")
        public var statisticsStart = 0.0
        @Parameter("output.snapshot_interval", .range(0 ... 1e9), resumable: true,
                   doc: "Time between vorticity snapshots appended to snapshots.h5 (0: never).")
        public var snapshotInterval = 1.0
        @Parameter("output.snapshot_start", .range(0 ... 1e9),
                   doc: "Simulated time of the first snapshot (skip the transient); 0: from the start.")
        public var snapshotStart = 0.0
        @Parameter("output.snapshot_velocity", doc: "Also store velocity_x and velocity_y in every snapshot.")
        public var snapshotVelocity = false
        @Parameter("output.checkpoint_interval", .range(0 ... 1e9), resumable: true,
                   doc: "Simulated time between checkpoints (0: only at the end, on SIGTERM/SIGUSR1 and at run.walltime_limit).")
        public var checkpointInterval = 0.0
        @Parameter("output.checkpoint_walltime", .range(0 ... 1e9), resumable: true, doc: "Wall-clock seconds between checkpoints (0: off).")
        public var checkpointWalltime = 0.0
        @Parameter("output.average_start", .range(0 ... 1e9),
                   doc: "Start of the time-averaging window of spectra, fluxes, statistics and scalars.")
        public var averageStart = 0.0
        @Parameter("output.average_end", .range(0 ... 1e9), resumable: true, doc: "End of the averaging window (0: the end of the run).")
        public var averageEnd = 0.0
        @Parameter("output.pdf_bins", .range(2 ... 100_000), doc: "Bins of the velocity and vorticity PDFs (over ±output.pdf_range standard deviations).")
        public var pdfBins = 101
        @Parameter("output.pdf_range", .range(0.1 ... 1000), doc: "Half-width of the PDF bins in standard deviations.")
        public var pdfRange = 8.0
        @Parameter("output.separations", .integerList(count: 0 ... 1000, element: 1 ... 1 << 15),
                   doc: "Separations (grid points) of the structure functions: an array, or a range \"first:last\" or \"first:last:step\" (e.g. \"1:128\"); empty: 1, 2, 3, 4, 6, 8, 12, … up to N/2.")
        public var separations: [Int] = []
        public init() {}
    }

    public var grid = Grid()
    public var physics = Physics()
    public var time = Time()
    public var forcing = Forcing()
    public var initial = Initial()
    public var output = Output()
    @Parameter("fft.effort", .choices(PlanningEffort.allCases.map(\.rawValue)),
               doc: "FFTW planning effort; measure/patient plans are saved as wisdom (fftw.wisdom) so a resumed run reuses them.")
    var effortName = "estimate"
    public var effort: PlanningEffort { PlanningEffort(rawValue: effortName)! }

    public init() {}
}
