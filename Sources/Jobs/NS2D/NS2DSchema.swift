import Foundation
import Turbulence

extension NS2DJob {
    public static let schema = JobSchema(
        kind: "ns2d",
        summary: "Incompressible 2D Navier–Stokes turbulence (pseudo-spectral, distributed): forcing, dissipation, diagnostics, snapshots, checkpoints.",
        fields: [
            ConfigField("grid.n", .int(4 ... 1 << 15), default: .int(256),
                        "Grid points per side N (even; any even N, not only powers of two). Rows are split over the ranks."),
            ConfigField("grid.box_length", .double(above: 0), default: .double(2 * .pi),
                        "Side L of the doubly periodic box; wavenumbers are multiples of 2π/L."),
            ConfigField("physics.viscosity", .double(atLeast: 0), default: .double(1e-4),
                        "Viscosity ν of the term −ν(−∇²)^n ω (0 for inviscid runs)."),
            ConfigField("physics.viscosity_order", .int(1 ... 8), default: .int(1),
                        "Order n of the viscous term: 1 Newtonian, >1 hyperviscosity."),
            ConfigField("physics.damping", .double(atLeast: 0), default: .double(0),
                        "Coefficient α of the large-scale damping −α(−∇²)^m ω (0: none)."),
            ConfigField("physics.damping_order", .int(-8 ... 0), default: .int(0),
                        "Order m ≤ 0 of the damping: 0 linear drag, negative hypoviscosity."),
            ConfigField("time.scheme", .string(choices: TimeScheme.allCases.map(\.rawValue)), default: .string("rk4"),
                        "Time stepping: rk4 (4th order) or rk2 (2nd order, half the cost); both integrate the dissipative terms exactly."),
            ConfigField("time.t_end", .double(above: 0), default: nil,
                        "Simulated time to run to. With fixed dt the run takes ceil(t_end/dt) steps."),
            ConfigField("time.dt", .double(above: 0), default: .double(1e-3),
                        "Time step; with time.adaptive the largest step allowed (and the first one)."),
            ConfigField("time.adaptive", .bool, default: .bool(false),
                        "Choose dt each step from the CFL number (time.cfl), at most time.dt."),
            ConfigField("time.cfl", .double(above: 0, atMost: 2), default: .double(0.5),
                        "Target CFL number dt·(max|u| + max|v|)/Δx of adaptive stepping."),
            ConfigField("time.cfl_max", .double(above: 0, atMost: 4), default: .double(1.0),
                        "Blow-up guard: a CFL number above this (or a NaN/Inf) stops the run with an error."),
            ConfigField("forcing.type", .string(choices: ForcingKind.allCases.map(\.rawValue)), default: .string("none"),
                        "none, white (white in time, injects forcing.rate in expectation), correlated (Ornstein–Uhlenbeck in time, injects forcing.rate exactly each step) or kolmogorov (force F sin(kf y) in x)."),
            ConfigField("forcing.rate", .double(above: 0), default: .double(0.1),
                        "Energy injection rate ε of the white and correlated forcing."),
            ConfigField("forcing.kf", .double(above: 0), default: .double(8),
                        "Forcing wavenumber kf (physical units; 2π/L per unit of integer wavenumber)."),
            ConfigField("forcing.band_half_width", .double(atLeast: 0), default: .double(1),
                        "Random forcing acts on modes with kf − δk ≤ |k| ≤ kf + δk."),
            ConfigField("forcing.correlation_time", .double(above: 0), default: .double(0.5),
                        "Correlation time τ of the correlated forcing."),
            ConfigField("forcing.amplitude", .double(above: 0), default: .double(1),
                        "Force amplitude F of the Kolmogorov forcing."),
            ConfigField("forcing.seed", .int(0 ... Int.max), default: .int(1),
                        "Seed of the forcing's random numbers (keyed by wavenumber and step: same run on any rank count)."),
            ConfigField("init.type", .string(choices: ["random", "taylor-green", "shear", "rest", "file"]), default: .string("random"),
                        "Initial vorticity: random phases with a spectrum, taylor-green cells, shear (Kolmogorov) flow, rest, or a field read from file."),
            ConfigField("init.energy", .double(atLeast: 0), default: .double(0.5),
                        "random: total energy E = ½⟨|u|²⟩."),
            ConfigField("init.k_peak", .double(above: 0), default: .double(4),
                        "random: wavenumber k0 of the peak of E(k) ∝ k^s exp(−(s/2)(k/k0)²)."),
            ConfigField("init.slope", .double(above: 0), default: .double(4),
                        "random: low-wavenumber slope s of E(k)."),
            ConfigField("init.amplitude", .double(atLeast: 0), default: .double(1),
                        "taylor-green and shear: velocity amplitude U."),
            ConfigField("init.wavenumber", .double(above: 0), default: .double(1),
                        "taylor-green and shear: wavenumber k (a multiple of 2π/L)."),
            ConfigField("init.seed", .int(0 ... Int.max), default: .int(1),
                        "random: seed of the phases."),
            ConfigField("init.file", .string(), default: .string(""),
                        "file: an HDF5 file: a checkpoint.h5 (dataset omega_hat) or a snapshots file (3-D vorticity dataset) of any resolution; it is truncated or zero-padded spectrally to grid.n."),
            ConfigField("init.dataset", .string(), default: .string(""),
                        "file: dataset to read; default omega_hat if present, else vorticity."),
            ConfigField("init.frame", .int(), default: .int(-1),
                        "file: frame of a snapshots dataset; negative counts from the end (−1: last)."),
            ConfigField("output.diagnostics_interval", .double(atLeast: 0), default: .double(0.1),
                        "Simulated time between records of the scalar time series (0: every step)."),
            ConfigField("output.spectra_interval", .double(atLeast: 0), default: .double(0.5),
                        "Time between spectra and fluxes (0: never)."),
            ConfigField("output.statistics_interval", .double(atLeast: 0), default: .double(1),
                        "Time between structure functions, PDFs and dissipation moments (0: never)."),
            ConfigField("output.snapshot_interval", .double(atLeast: 0), default: .double(1),
                        "Time between vorticity snapshots appended to snapshots.h5 (0: never)."),
            ConfigField("output.snapshot_velocity", .bool, default: .bool(false),
                        "Also store velocity_x and velocity_y in every snapshot."),
            ConfigField("output.checkpoint_interval", .double(atLeast: 0), default: .double(0),
                        "Simulated time between checkpoints (0: only at the end and on SIGTERM/SIGUSR1)."),
            ConfigField("output.checkpoint_walltime", .double(atLeast: 0), default: .double(0),
                        "Wall-clock seconds between checkpoints (0: off)."),
            ConfigField("output.average_start", .double(atLeast: 0), default: .double(0),
                        "Start of the time-averaging window of spectra, fluxes, statistics and scalars."),
            ConfigField("output.average_end", .double(atLeast: 0), default: .double(0),
                        "End of the averaging window (0: the end of the run)."),
            ConfigField("output.pdf_bins", .int(2 ... 100_000), default: .int(101),
                        "Bins of the velocity and vorticity PDFs (over ±output.pdf_range standard deviations)."),
            ConfigField("output.pdf_range", .double(above: 0), default: .double(8),
                        "Half-width of the PDF bins in standard deviations."),
            ConfigField("output.separations", .intArray(count: 0 ... 1000, element: 1 ... 1 << 15), default: .array([]),
                        "Separations (grid points) of the structure functions; empty: 1, 2, 3, 4, 6, 8, 12, … up to N/2."),
            ConfigField("fft.effort", .string(choices: ["estimate", "measure", "patient"]), default: .string("estimate"),
                        "FFTW planning effort; measure/patient plans are saved as wisdom (fftw.wisdom) so a resumed run reuses them."),
        ])

    public static let supportsResume = true

    public static func problems(in config: JobConfig, ranks: Int) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        let n = config.int("grid.n"), box = config.double("grid.box_length")
        if n % 2 != 0 {
            problems.append(ConfigProblem(path: "grid.n", message: "\(n) is odd",
                                          fix: "use an even N, e.g. \(n + 1)"))
        } else {
            // FFTW-MPI splits N rows (real space) and N/2+1 columns (spectral space) in blocks of
            // ceil(count/ranks); every rank must get some of both.
            func splits(_ count: Int) -> Bool { count - (ranks - 1) * ((count + ranks - 1) / ranks) > 0 }
            func fits(_ m: Int) -> Bool { splits(m) && splits(m / 2 + 1) }
            if !fits(n) {
                let good = stride(from: n + 2, through: 4 * n + 8 * ranks, by: 2).first(where: fits) ?? 0
                problems.append(ConfigProblem(path: "grid.n",
                    message: "N = \(n) cannot be split over \(ranks) ranks: FFTW-MPI's blocks of rows (N) or spectral columns (N/2+1) would leave a rank with none",
                    fix: "use N = \(good) or fewer ranks"))
            }
        }
        let dk = 2 * Double.pi / box
        let kmax = Double((n - 1) / 3) * dk
        let type = ForcingKind(rawValue: config.string("forcing.type"))!
        let kf = config.double("forcing.kf"), width = config.double("forcing.band_half_width")
        if type == .white || type == .correlated {
            if kf + width > kmax + 1e-9 * kmax {
                problems.append(ConfigProblem(path: "forcing.kf",
                    message: "the band reaches kf + δk = \(kf + width), beyond the largest dealiased wavenumber \(String(format: "%.6g", kmax)) of N = \(n) (2/3 rule)",
                    fix: "lower forcing.kf/forcing.band_half_width or raise grid.n"))
            } else if kf - width < dk * 0.5 && kf + width < dk {
                problems.append(ConfigProblem(path: "forcing.kf", message: "the band [\(kf - width), \(kf + width)] holds no wavenumber of the box (2π/L = \(dk))",
                                              fix: "use forcing.kf ≥ \(dk)"))
            }
        }
        if type == .kolmogorov {
            let m = kf / dk
            if abs(m - m.rounded()) > 1e-9 * max(m, 1) || m.rounded() < 1 {
                problems.append(ConfigProblem(path: "forcing.kf", message: "\(kf) is not a multiple of 2π/L = \(dk)",
                                              fix: "use forcing.kf = \(max(m.rounded(), 1) * dk)"))
            } else if kf > kmax {
                problems.append(ConfigProblem(path: "forcing.kf", message: "\(kf) is beyond the largest dealiased wavenumber \(kmax) of N = \(n)",
                                              fix: "lower forcing.kf or raise grid.n"))
            }
        }
        let dt = config.double("time.dt"), tEnd = config.double("time.t_end")
        if dt > tEnd {
            problems.append(ConfigProblem(path: "time.dt", message: "\(dt) is longer than time.t_end = \(tEnd)",
                                          fix: "use time.dt ≤ \(tEnd)"))
        }
        let initType = config.string("init.type")
        if initType == "taylor-green" || initType == "shear" {
            let k = config.double("init.wavenumber"), m = k / dk
            if abs(m - m.rounded()) > 1e-9 * max(m, 1) || m.rounded() < 1 {
                problems.append(ConfigProblem(path: "init.wavenumber", message: "\(k) is not a multiple of 2π/L = \(dk)",
                                              fix: "use init.wavenumber = \(max(m.rounded(), 1) * dk)"))
            } else if k > kmax {
                problems.append(ConfigProblem(path: "init.wavenumber", message: "\(k) is beyond the largest dealiased wavenumber \(kmax)",
                                              fix: "lower init.wavenumber or raise grid.n"))
            }
            // The initial velocity is known: max|u| + max|v| = 2U (taylor-green) or U (shear).
            let u = config.double("init.amplitude") * (initType == "taylor-green" ? 2 : 1)
            let cfl = dt * u / (box / Double(n))
            if !config.bool("time.adaptive") && cfl > config.double("time.cfl_max") {
                problems.append(ConfigProblem(path: "time.dt",
                    message: "\(dt) is too large: the initial CFL number would be \(String(format: "%.3g", cfl)) > time.cfl_max = \(config.double("time.cfl_max"))",
                    fix: "use time.dt ≤ \(String(format: "%.3g", config.double("time.cfl_max") * box / Double(n) / u)) or time.adaptive = true"))
            }
        }
        if initType == "file" {
            let file = config.string("init.file")
            if file.isEmpty {
                problems.append(ConfigProblem(path: "init.file", message: "is empty but init.type is \"file\"",
                                              fix: "set init.file to a checkpoint.h5 or snapshots.h5 path"))
            } else if !FileManager.default.fileExists(atPath: file) {
                problems.append(ConfigProblem(path: "init.file", message: "\(file) does not exist",
                                              fix: "give the path of an existing checkpoint.h5 or snapshots.h5"))
            }
        }
        for key in ["output.average_end"] where config.double(key) > 0 && config.double(key) <= config.double("output.average_start") {
            problems.append(ConfigProblem(path: key, message: "ends before output.average_start",
                                          fix: "use a value above output.average_start, or 0 for the end of the run"))
        }
        for r in config.ints("output.separations") where r > n / 2 {
            problems.append(ConfigProblem(path: "output.separations", message: "separation \(r) exceeds N/2 = \(n / 2)",
                                          fix: "use separations between 1 and \(n / 2)"))
            break
        }
        return problems
    }
}
