import Foundation
import JobKit
import Turbulence

extension NS2DJob {
    public static let name = "ns2d"
    public static let summary = "Incompressible 2D Navier–Stokes turbulence (pseudo-spectral, distributed): forcing, dissipation, diagnostics, snapshots, checkpoints."
    public static let supportsResume = true

    /// Most time steps a run may take (the step counter and every record count stay far from overflow).
    static let maximumSteps = 1e10

    public static func outputNames(_ p: NS2DParameters) -> [String] {
        [NS2DDiagnosticsFile.fileName, SnapshotFile.fileName, "snapshots.xmf", NS2DCheckpoint.fileName, "fftw.wisdom"]
    }

    public static func memoryEstimate(_ p: NS2DParameters, ranks: Int) -> MemoryEstimate {
        var m = MemoryEstimate()
        let n = Double(p.grid.n)
        // Spectral and real arrays of N² doubles each, split over the ranks: the state, the RK
        // stages, the forcing, the recorder's and the snapshot writer's scratch.
        m.add("solver, forcing and diagnostics arrays", elements: 24 * n * n / Double(max(ranks, 1)), keys: ["grid.n"])
        return m
    }

    public static func problems(in p: NS2DParameters, ranks: Int) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        let n = p.grid.n, box = p.grid.boxLength
        if n % 2 != 0 {
            problems.append(ConfigProblem(p.grid.$n, "\(n) is odd", fix: "use an even N, e.g. \(n + 1)"))
        } else {
            // FFTW-MPI splits N rows (real space) and N/2+1 columns (spectral space) in blocks of
            // ceil(count/ranks); every rank must get some of both.
            func splits(_ count: Int) -> Bool { count - (ranks - 1) * ((count + ranks - 1) / ranks) > 0 }
            func fits(_ m: Int) -> Bool { splits(m) && splits(m / 2 + 1) }
            if !fits(n) {
                let maxRanks = (1 ... max(1, min(ranks, n / 2 + 1))).last { r in
                    func s(_ c: Int) -> Bool { c - (r - 1) * ((c + r - 1) / r) > 0 }
                    return s(n) && s(n / 2 + 1)
                } ?? 1
                let good = stride(from: n + 2, through: min(4 * n + 8 * ranks, 1 << 15), by: 2).first(where: fits)
                problems.append(ConfigProblem(p.grid.$n,
                    "N = \(n) cannot be split over \(ranks) ranks: FFTW-MPI's blocks of rows (N) or spectral columns (N/2+1) would leave a rank with none",
                    fix: good.map { "use N = \($0) or at most \(maxRanks) ranks" } ?? "use at most \(maxRanks) ranks"))
            }
        }
        let dk = 2 * Double.pi / box
        let kmax = Double((n - 1) / 3) * dk
        let kf = p.forcing.kf, width = p.forcing.bandHalfWidth
        if p.forcing.kind == .white || p.forcing.kind == .correlated {
            if kf + width > kmax + 1e-9 * kmax {
                problems.append(ConfigProblem(p.forcing.$kf,
                    "the band reaches kf + δk = \(kf + width), beyond the largest dealiased wavenumber \(String(format: "%.6g", kmax)) of N = \(n) (2/3 rule)",
                    fix: "lower forcing.kf/forcing.band_half_width or raise grid.n"))
            } else if kf - width < dk * 0.5 && kf + width < dk {
                problems.append(ConfigProblem(p.forcing.$kf, "the band [\(kf - width), \(kf + width)] holds no wavenumber of the box (2π/L = \(dk))",
                                              fix: "use forcing.kf ≥ \(dk)"))
            }
        }
        if p.forcing.kind == .kolmogorov {
            let m = kf / dk
            if abs(m - m.rounded()) > 1e-9 * max(m, 1) || m.rounded() < 1 {
                problems.append(ConfigProblem(p.forcing.$kf, "\(kf) is not a multiple of 2π/L = \(dk)",
                                              fix: "use forcing.kf = \(max(m.rounded(), 1) * dk)"))
            } else if kf > kmax {
                problems.append(ConfigProblem(p.forcing.$kf, "\(kf) is beyond the largest dealiased wavenumber \(kmax) of N = \(n)",
                                              fix: "lower forcing.kf or raise grid.n"))
            }
        }
        let dt = p.time.dt, tEnd = p.time.tEnd
        if dt > tEnd {
            problems.append(ConfigProblem(p.time.$dt, "\(dt) is longer than time.t_end = \(tEnd)", fix: "use time.dt ≤ \(tEnd)"))
        } else if tEnd / dt > maximumSteps {
            // With time.adaptive, dt is the largest step, so t_end/dt bounds the step count from below.
            problems.append(ConfigProblem(p.time.$dt, "time.t_end / time.dt = \(String(format: "%.3g", tEnd / dt)) steps is more than a run can take (\(String(format: "%.0e", maximumSteps)))",
                                          fix: "use time.dt ≥ \(String(format: "%.3g", tEnd / maximumSteps)) or a shorter time.t_end"))
        }
        if p.time.adaptive && p.time.cfl >= p.time.cflMax {
            problems.append(ConfigProblem(p.time.$cfl, "the target \(p.time.cfl) is not below the blow-up guard time.cfl_max = \(p.time.cflMax); every step would be at the guard",
                                          fix: "use time.cfl ≤ \(String(format: "%.3g", 0.8 * p.time.cflMax)) (or raise time.cfl_max)"))
        }
        let initType = p.initial.type
        if initType == .random && p.initial.kPeak < 0.5 * dk {
            problems.append(ConfigProblem(p.initial.$kPeak, "\(p.initial.kPeak) is below half the lowest wavenumber 2π/L = \(String(format: "%.6g", dk)) of the box: the spectrum would underflow on every mode and the field would hold no energy",
                                          fix: "use init.k_peak ≥ \(String(format: "%.6g", dk)) (or a larger grid.box_length)"))
        }
        if initType == .random && p.initial.kPeak > kmax {
            problems.append(ConfigProblem(p.initial.$kPeak, "\(p.initial.kPeak) is beyond the largest dealiased wavenumber \(String(format: "%.6g", kmax)) of N = \(n): the field would hold no energy",
                                          fix: "use init.k_peak ≤ \(String(format: "%.6g", kmax / 2)) or raise grid.n"))
        }
        if initType == .taylorGreen || initType == .shear {
            let k = p.initial.wavenumber, m = k / dk
            if abs(m - m.rounded()) > 1e-9 * max(m, 1) || m.rounded() < 1 {
                problems.append(ConfigProblem(p.initial.$wavenumber, "\(k) is not a multiple of 2π/L = \(dk)",
                                              fix: "use init.wavenumber = \(max(m.rounded(), 1) * dk)"))
            } else if k > kmax {
                problems.append(ConfigProblem(p.initial.$wavenumber, "\(k) is beyond the largest dealiased wavenumber \(kmax)",
                                              fix: "lower init.wavenumber or raise grid.n"))
            }
            // The initial velocity is known: max|u| + max|v| = 2U (taylor-green) or U (shear).
            let u = p.initial.amplitude * (initType == .taylorGreen ? 2 : 1)
            let cfl = dt * u / (box / Double(n))
            if !p.time.adaptive && cfl > p.time.cflMax {
                problems.append(ConfigProblem(p.time.$dt,
                    "\(dt) is too large: the initial CFL number would be \(String(format: "%.3g", cfl)) > time.cfl_max = \(p.time.cflMax)",
                    fix: "use time.dt ≤ \(String(format: "%.3g", p.time.cflMax * box / Double(n) / u)) or time.adaptive = true"))
            }
        }
        if initType == .file {
            let file = p.initial.file
            if file.isEmpty {
                problems.append(ConfigProblem(p.initial.$file, "is empty but init.type is \"file\"",
                                              fix: "set init.file to a checkpoint.h5 or snapshots.h5 path"))
            } else if !FileManager.default.fileExists(atPath: file) {
                problems.append(ConfigProblem(p.initial.$file, "\(file) does not exist",
                                              fix: "give the path of an existing checkpoint.h5 or snapshots.h5"))
            }
        }
        if p.output.averageEnd > 0 && p.output.averageEnd <= p.output.averageStart {
            problems.append(ConfigProblem(p.output.$averageEnd, "ends before output.average_start",
                                          fix: "use a value above output.average_start, or 0 for the end of the run"))
        }
        if let r = p.output.separations.first(where: { $0 > n / 2 }) {
            problems.append(ConfigProblem(p.output.$separations, "separation \(r) exceeds N/2 = \(n / 2)",
                                          fix: "use separations between 1 and \(n / 2), e.g. \"1:\(n / 2)\""))
        }
        return problems
    }

    /// Things that are legal but probably not what the user meant (recorded in run.json).
    public static func warnings(in p: NS2DParameters) -> [String] {
        var w: [String] = []
        let tEnd = p.time.tEnd
        if p.output.averageStart >= tEnd {
            w.append("output.average_start = \(p.output.averageStart) is not before time.t_end = \(tEnd): the time averages are empty (NaN)")
        }
        if p.output.snapshotInterval > 0 && p.output.snapshotStart > tEnd {
            w.append("output.snapshot_start = \(p.output.snapshotStart) is after time.t_end = \(tEnd): no snapshots will be written")
        }
        if p.output.statisticsStart > tEnd {
            w.append("output.statistics_start = \(p.output.statisticsStart) is after time.t_end = \(tEnd): no spectra or statistics will be recorded")
        }
        return w
    }
}
