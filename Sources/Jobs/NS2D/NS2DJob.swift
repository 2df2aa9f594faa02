import DistributedFFT
import Foundation
import Logging
import Parallel
import Storage
import Turbulence

/// The `ns2d` job: forced or decaying 2D turbulence with diagnostics, snapshots and checkpoints.
///
/// Outputs (documented in docs/ns2d.md): `diagnostics.h5`, `snapshots.h5` (+ `.xmf`),
/// `checkpoint.h5`, and `fftw.wisdom` when planning with measure/patient.
public struct NS2DJob: JobKind {
    let config: JobConfig

    public init(config: JobConfig) throws { self.config = config }

    public func run(in context: RunContext) throws -> JobOutcome {
        let comm = context.communicator
        let log = context.logger
        let dir = context.outputDirectory
        StopSignal.install()

        // MARK: Set-up (plans, buffers: made once)
        let effort = PlanningEffort(rawValue: config.string("fft.effort"))!
        let grid = try SpectralGrid2D(n: config.int("grid.n"), boxLength: config.double("grid.box_length"),
                                      communicator: comm, effort: effort,
                                      wisdomFile: effort == .estimate ? nil : context.outputPath("fftw.wisdom"))
        log.info("\(grid.summary)")
        let dissipation = Dissipation(viscosity: config.double("physics.viscosity"),
                                      viscosityOrder: config.int("physics.viscosity_order"),
                                      damping: config.double("physics.damping"),
                                      dampingOrder: config.int("physics.damping_order"))
        let scheme = TimeScheme(rawValue: config.string("time.scheme"))!
        let ns = try NavierStokes2D(grid: grid, dissipation: dissipation, scheme: scheme)
        let forcing = try Forcing2D(kind: ForcingKind(rawValue: config.string("forcing.type"))!, grid: grid,
                                    injectionRate: config.double("forcing.rate"), kf: config.double("forcing.kf"),
                                    bandHalfWidth: config.double("forcing.band_half_width"),
                                    correlationTime: config.double("forcing.correlation_time"),
                                    amplitude: config.double("forcing.amplitude"),
                                    seed: UInt64(config.int("forcing.seed")))
        ns.steadyForcing = forcing.steadyTerm()
        if forcing.kind == .white || forcing.kind == .correlated {
            log.info("forcing \(forcing.kind.rawValue): ε = \(forcing.injectionRate) on \(forcing.globalModeCount) modes with \(forcing.kf - forcing.bandHalfWidth) ≤ |k| ≤ \(forcing.kf + forcing.bandHalfWidth)")
        }
        let parts = NS2DSolverParts(ns: ns, forcing: forcing)
        let tEnd = config.double("time.t_end")
        let averageEnd = config.double("output.average_end") > 0 ? config.double("output.average_end") : .infinity
        let window = config.double("output.average_start") ... averageEnd
        let separations = config.ints("output.separations").isEmpty
            ? StructureFunctions2D.defaultSeparations(n: grid.n) : config.ints("output.separations")

        // MARK: Initial state or checkpoint
        var state: NS2DRunState
        let diagnostics: DiagnosticsLog
        if context.resume {
            (state, diagnostics) = try NS2DCheckpoint.read(directory: dir, parts: parts)
            ns.time = state.time
            ns.stepCount = state.step
            ns.stateChanged()
            log.info("resuming from checkpoint at step \(state.step), t = \(state.time)")
            guard state.time < tEnd else {
                throw RunError("--resume: the checkpoint is at t = \(state.time), already at or past time.t_end = \(tEnd); raise time.t_end (e.g. --set time.t_end=\(2 * tEnd))")
            }
        } else {
            try initialCondition().apply(to: ns) { try loadInitialField(into: ns, context: context) }
            state = NS2DRunState()
            state.dt = config.double("time.dt")
            diagnostics = DiagnosticsLog()
        }

        // Refuse a time step that is too large for the initial field, before any step or output.
        try ns.prepareStep()
        let dtMax = config.double("time.dt"), adaptive = config.bool("time.adaptive")
        let cflMax = config.double("time.cfl_max"), cflTarget = config.double("time.cfl")
        let speed = ns.maxVelocity.u + ns.maxVelocity.v
        guard speed.isFinite else { throw RunError("the initial field is not finite (NaN or Inf velocity)") }
        if !adaptive && ns.cfl(dt: state.dt) > cflMax {
            throw RunError("time.dt = \(state.dt) is too large for this flow: CFL = \(String(format: "%.3g", ns.cfl(dt: state.dt))) > time.cfl_max = \(cflMax) at t = \(ns.time); use time.dt ≤ \(String(format: "%.3g", cflMax * grid.spacing / speed)) or time.adaptive = true")
        }

        let recorder = try NS2DRecorder(solver: parts, log: diagnostics, separations: separations,
                                        pdfBins: config.int("output.pdf_bins"), pdfRange: config.double("output.pdf_range"),
                                        window: window)
        let snapshots = context.resume
            ? try SnapshotFile(resuming: dir, grid: grid, withVelocity: config.bool("output.snapshot_velocity"), frames: state.snapshots)
            : try SnapshotFile(directory: dir, grid: grid, withVelocity: config.bool("output.snapshot_velocity"))
        let scratch = (grid.makeReal(), grid.makeReal(), grid.makeReal(), grid.makeSpectral())
        let intervals = (scalars: config.double("output.diagnostics_interval"), spectra: config.double("output.spectra_interval"),
                         statistics: config.double("output.statistics_interval"), snapshots: config.double("output.snapshot_interval"),
                         checkpoints: config.double("output.checkpoint_interval"))
        let configText = config.values.tomlDocument

        /// Whether the `count`-th record of an `interval` is due at the current time.
        func due(_ interval: Double, _ count: Int) -> Bool {
            interval > 0 && ns.time >= Double(count) * interval - 1e-9 * interval
        }
        func record(cfl: Double) throws {
            if intervals.scalars == 0 || due(intervals.scalars, state.scalarRecords) {
                let t = state.injectionTime
                try recorder.recordScalars(dt: state.dt, cfl: cfl,
                                           injection: t > 0 ? (state.injectedEnergy / t, state.injectedEnstrophy / t) : (0, 0))
                state.injectedEnergy = 0; state.injectedEnstrophy = 0; state.injectionTime = 0
                state.scalarRecords += 1
            }
            if due(intervals.spectra, state.spectraRecords) { try recorder.recordSpectra(); state.spectraRecords += 1 }
            if due(intervals.statistics, state.statisticsRecords) { try recorder.recordStatistics(); state.statisticsRecords += 1 }
            if due(intervals.snapshots, state.snapshots) {
                try snapshots.append(ns, real: scratch.0, u: scratch.1, v: scratch.2, spectral: scratch.3)
                state.snapshots += 1
            }
        }
        /// `scheduled`: one of the output.checkpoint_interval series (counted, so the schedule
        /// survives a resume); wall-clock, signal and final checkpoints are not counted.
        func checkpoint(final: Bool, scheduled: Bool = false) throws {
            state.time = ns.time
            state.step = ns.stepCount
            if scheduled { state.checkpoints += 1 }
            // Snapshots first: a checkpoint never refers to frames that are not on disk.
            try snapshots.commit(reopen: !final)
            try NS2DCheckpoint.write(directory: dir, parts: parts, state: state, log: diagnostics, configText: configText)
            try NS2DDiagnosticsFile.write(directory: dir, log: diagnostics, grid: grid, window: window)
        }

        if !context.resume { try record(cfl: ns.cfl(dt: state.dt)) }

        // MARK: Time loop
        let fixedSteps = adaptive ? 0 : Int((tEnd / dtMax - 1e-9).rounded(.up))
        let progress = context.progress(adaptive ? "simulated time (‰ of t_end)" : "time steps",
                                        total: adaptive ? 1000 : fixedSteps, unit: adaptive ? "‰" : "steps")
        let walltimeInterval = config.double("output.checkpoint_walltime")
        var lastWalltimeCheckpoint = MPIEnvironment.wtime()
        let started = MPIEnvironment.wtime(), startStep = ns.stepCount
        var interruptedBy: Int32 = 0
        func finished() -> Bool { adaptive ? ns.time >= tEnd * (1 - 1e-12) : ns.stepCount >= fixedSteps }
        while !finished() {
            // Stop requested (SIGTERM, SIGUSR1, SIGINT) on any rank: checkpoint and leave.
            let signal = try StopSignal.requested(comm)
            if signal != 0 { interruptedBy = signal; break }
            if walltimeInterval > 0 {
                let dueNow = try comm.broadcast(MPIEnvironment.wtime() - lastWalltimeCheckpoint >= walltimeInterval ? 1 : 0)
                if dueNow == 1 { try checkpoint(final: false); lastWalltimeCheckpoint = MPIEnvironment.wtime() }
            }
            try ns.prepareStep()
            let speed = ns.maxVelocity.u + ns.maxVelocity.v
            if adaptive {
                let ideal = speed > 0 ? min(dtMax, cflTarget * grid.spacing / speed) : dtMax
                // Change dt only when it must shrink or can grow by 20%: fewer exp() recomputations.
                if ideal < state.dt || ideal > 1.2 * state.dt { state.dt = ideal }
                state.dt = min(state.dt, tEnd - ns.time)
            }
            let cfl = ns.cfl(dt: state.dt)
            guard speed.isFinite, cfl <= cflMax else {
                let saved = FileManager.default.fileExists(atPath: context.outputPath(NS2DCheckpoint.fileName))
                throw RunError(blowUpMessage(step: ns.stepCount, time: ns.time, cfl: cfl, finite: speed.isFinite, cflMax: cflMax, saved: saved))
            }
            if forcing.kind == .kolmogorov, let term = ns.steadyForcing {
                let p = try forcing.steadyInjection(ns.omega, term: term)
                state.injectedEnergy += p.energy * state.dt
                state.injectedEnstrophy += p.enstrophy * state.dt
            }
            try ns.step(dt: state.dt)
            let kicked = try forcing.kick(ns.omega, step: ns.stepCount - 1, dt: state.dt)
            state.injectedEnergy += kicked.energy
            state.injectedEnstrophy += kicked.enstrophy
            state.injectionTime += state.dt
            try record(cfl: cfl)
            if due(intervals.checkpoints, state.checkpoints + 1) && !finished() {
                try checkpoint(final: false, scheduled: true)
            }
            progress.update(adaptive ? min(1000, Int(1000 * ns.time / tEnd)) : ns.stepCount)
        }

        // MARK: Finish
        try checkpoint(final: true)
        let seconds = MPIEnvironment.wtime() - started
        let steps = ns.stepCount - startStep
        let e = try ns.scalars()
        let outputs = [NS2DDiagnosticsFile.fileName, SnapshotFile.fileName] + (snapshots.times.isEmpty ? [] : ["snapshots.xmf"])
            + [NS2DCheckpoint.fileName] + (effort == .estimate ? [] : ["fftw.wisdom"])
        let rate = steps > 0 ? String(format: "%.4g s/step", seconds / Double(steps)) : "no steps"
        if interruptedBy != 0 {
            let text = "ns2d interrupted by \(StopSignal.name(interruptedBy)) at step \(ns.stepCount), t = \(ns.time); checkpoint written. Continue with: cascade run \(context.outputPath("job.toml")) --out \(dir.path) --resume"
            log.warning("\(text)")
            return JobOutcome(succeeded: true, summary: text, outputs: outputs, interrupted: true)
        }
        let summary = "ns2d \(grid.n)² on \(comm.size) rank(s): \(steps) steps to t = \(String(format: "%.6g", ns.time)) (\(rate)); E = \(String(format: "%.6g", e.energy)), Z = \(String(format: "%.6g", e.enstrophy)); \(state.snapshots) snapshots"
        return JobOutcome(succeeded: true, summary: summary, outputs: outputs)
    }

    private func blowUpMessage(step: Int, time: Double, cfl: Double, finite: Bool, cflMax: Double, saved: Bool) -> String {
        let what = finite ? "CFL number \(String(format: "%.5g", cfl)) exceeds time.cfl_max = \(cflMax)" : "the velocity is not finite (NaN or Inf)"
        let kept = saved ? "the last good checkpoint (checkpoint.h5) is kept" : "no checkpoint was written yet"
        return "blow-up at step \(step), t = \(time): \(what); \(kept). Lower time.dt, use time.adaptive = true, or raise physics.viscosity"
    }

    private func initialCondition() -> InitialFieldChoice {
        let u = config.double("init.amplitude"), k = config.double("init.wavenumber")
        switch config.string("init.type") {
        case "taylor-green": return .analytic(.taylorGreen(amplitude: u, wavenumber: k))
        case "shear": return .analytic(.shear(amplitude: u, wavenumber: k))
        case "rest": return .analytic(.rest)
        case "file": return .file
        default:
            return .analytic(.random(energy: config.double("init.energy"), peak: config.double("init.k_peak"),
                                     slope: config.double("init.slope"), seed: UInt64(config.int("init.seed"))))
        }
    }

    /// Reads `init.file`: a checkpoint's omega_hat or a frame of a 3-D vorticity dataset, at any
    /// resolution, and puts it on the grid spectrally.
    private func loadInitialField(into ns: NavierStokes2D, context: RunContext) throws {
        let path = config.string("init.file")
        let comm = context.communicator
        let file = try H5File.open(path, communicator: comm)
        var dataset = config.string("init.dataset")
        if dataset.isEmpty { dataset = try file.exists("/state/omega_hat") ? "/state/omega_hat" : "/vorticity" }
        guard try file.exists(dataset) else {
            throw RunError("init.file \(path) has no dataset \(dataset); set init.dataset to the vorticity dataset (see `cascade inspect \(path)`)")
        }
        let shape = try file.shape(of: dataset)
        if shape.count == 3 && shape[2] == 2 && shape[1] == 2 * (shape[0] - 1) {
            let m = shape[1]
            let spectrum: [Double] = try file.read(dataset)
            SpectralResampling.load(fullSpectrum: spectrum, size: m, into: ns.omega, grid: ns.grid)
            context.logger.info("initial field: \(m)² spectral state \(dataset) of \(path)")
        } else if shape.count == 3 && shape[1] == shape[2] && shape[1] % 2 == 0 {
            guard shape[0] > 0 else { throw RunError("init.file \(path): \(dataset) holds no frames") }
            let requested = config.int("init.frame")
            let frame = requested < 0 ? shape[0] + requested : requested
            guard frame >= 0 && frame < shape[0] else {
                throw RunError("init.frame = \(requested) is outside the \(shape[0]) frames of \(dataset) in \(path); use 0…\(shape[0] - 1) or −1 for the last")
            }
            let field: [Double] = try file.readFrame(dataset, frame)
            let spectrum = try SpectralResampling.spectrum(ofPhysical: field, size: shape[1], communicator: comm)
            SpectralResampling.load(fullSpectrum: spectrum, size: shape[1], into: ns.omega, grid: ns.grid)
            context.logger.info("initial field: frame \(frame) of \(dataset) (\(shape[1])²) in \(path)")
        } else {
            throw RunError("init.file \(path): \(dataset) has shape \(shape); expected frames × N × N vorticity (even N) or a checkpoint's (N/2+1) × N × 2 omega_hat")
        }
        try file.close()
    }
}

/// An initial field: in closed form, or read from `init.file`.
enum InitialFieldChoice {
    case analytic(InitialCondition2D)
    case file

    func apply(to ns: NavierStokes2D, load: () throws -> Void) throws {
        switch self {
        case .analytic(let ic): try ic.apply(to: ns)
        case .file:
            try load()
            ns.time = 0
            ns.stepCount = 0
            ns.stateChanged()
        }
    }
}
