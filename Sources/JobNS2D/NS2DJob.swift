import DistributedFFT
import Foundation
import JobKit
import Logging
import Parallel
import Storage
import Turbulence

/// The `ns2d` job: forced or decaying 2D turbulence with diagnostics, snapshots and checkpoints.
///
/// Outputs (documented in docs/ns2d.md): `diagnostics.h5`, `snapshots.h5` (+ `.xmf`),
/// `checkpoint.h5`, and `fftw.wisdom` when planning with measure/patient.
public struct NS2DJob: JobKind {
    let p: NS2DParameters

    public init(parameters: NS2DParameters) throws { p = parameters }

    /// Adaptive stepping re-sets dt when the CFL target allows a step this much longer. A change
    /// of dt recomputes the integrating factors lazily within the first stage pass (measured at
    /// 0.94–1.04× a fixed-dt step), so the step stays within 2% of the target.
    static let dtHysteresis = 1.02

    public func run(in context: RunContext) throws -> JobOutcome {
        let comm = context.communicator
        let log = context.logger
        let dir = context.outputDirectory
        let warnings = NS2DJob.warnings(in: p)
        if comm.isRoot { for w in warnings { log.warning("\(w)") } }

        // MARK: Set-up (plans, buffers: made once)
        let effort = p.effort
        let grid = try SpectralGrid2D(n: p.grid.n, boxLength: p.grid.boxLength,
                                      communicator: comm, effort: effort,
                                      wisdomFile: effort == .estimate ? nil : context.outputPath("fftw.wisdom"))
        log.info("\(grid.summary)")
        let dissipation = Dissipation(viscosity: p.physics.viscosity, viscosityOrder: p.physics.viscosityOrder,
                                      damping: p.physics.damping, dampingOrder: p.physics.dampingOrder)
        let ns = try NavierStokes2D(grid: grid, dissipation: dissipation, scheme: p.time.scheme)
        let forcing = try Forcing2D(kind: p.forcing.kind, grid: grid,
                                    injectionRate: p.forcing.rate, kf: p.forcing.kf,
                                    bandHalfWidth: p.forcing.bandHalfWidth,
                                    correlationTime: p.forcing.correlationTime,
                                    amplitude: p.forcing.amplitude,
                                    seed: UInt64(p.forcing.seed))
        ns.steadyForcing = forcing.steadyTerm()
        if forcing.kind == .white || forcing.kind == .correlated {
            log.info("forcing \(forcing.kind.rawValue): ε = \(forcing.injectionRate) on \(forcing.globalModeCount) modes with \(forcing.kf - forcing.bandHalfWidth) ≤ |k| ≤ \(forcing.kf + forcing.bandHalfWidth)")
        }
        let parts = NS2DSolverParts(ns: ns, forcing: forcing)
        let tEnd = p.time.tEnd
        let window = p.output.averageStart ... (p.output.averageEnd > 0 ? p.output.averageEnd : .infinity)
        let separations = p.output.separations.isEmpty
            ? StructureFunctions2D.defaultSeparations(n: grid.n) : p.output.separations

        // MARK: Initial state or checkpoint
        var state: NS2DRunState
        let diagnostics = MetricsLog()
        if context.resume {
            let box = NS2DRunStateBox()
            try CheckpointFile.read([parts, box, diagnostics], context: context) { try NS2DCheckpoint.checkGrid($0, grid: grid) }
            state = box.state
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
            state.dt = p.time.dt
        }

        // Refuse a time step that is too large for the initial field, before any step or output.
        try ns.prepareStep()
        let dtMax = p.time.dt, adaptive = p.time.adaptive
        let cflMax = p.time.cflMax, cflTarget = p.time.cfl
        let speed = ns.maxVelocity.u + ns.maxVelocity.v
        guard speed.isFinite else { throw RunError("the initial field is not finite (NaN or Inf velocity)") }
        if !adaptive && ns.cfl(dt: state.dt) > cflMax {
            throw RunError("time.dt = \(state.dt) is too large for this flow: CFL = \(String(format: "%.3g", ns.cfl(dt: state.dt))) > time.cfl_max = \(cflMax) at t = \(ns.time); use time.dt ≤ \(String(format: "%.3g", cflMax * grid.spacing / speed)) or time.adaptive = true")
        }

        let recorder = try NS2DRecorder(solver: parts, log: diagnostics, separations: separations,
                                        pdfBins: p.output.pdfBins, pdfRange: p.output.pdfRange,
                                        window: window)
        let snapshots = context.resume
            ? try SnapshotFile(resuming: dir, grid: grid, withVelocity: p.output.snapshotVelocity, frames: state.snapshots)
            : try SnapshotFile(directory: dir, grid: grid, withVelocity: p.output.snapshotVelocity)
        let scratch = (grid.makeReal(), grid.makeReal(), grid.makeReal(), grid.makeSpectral())
        let statisticsStart = p.output.statisticsStart

        /// Whether the `count`-th record of an `interval` starting at `start` is due now.
        func due(_ interval: Double, _ count: Int, start: Double = 0) -> Bool {
            Cadence(interval: interval, start: start, count: count).isDue(at: ns.time)
        }
        func record(cfl: Double) throws {
            let scalars = p.output.diagnosticsInterval
            if scalars == 0 || due(scalars, state.scalarRecords) {
                let t = state.injectionTime
                try recorder.recordScalars(dt: state.dt, cfl: cfl,
                                           injection: t > 0 ? (state.injectedEnergy / t, state.injectedEnstrophy / t) : (0, 0))
                state.injectedEnergy = 0; state.injectedEnstrophy = 0; state.injectionTime = 0
                state.scalarRecords += 1
            }
            if due(p.output.spectraInterval, state.spectraRecords, start: statisticsStart) {
                try recorder.recordSpectra(); state.spectraRecords += 1
            }
            if due(p.output.statisticsInterval, state.statisticsRecords, start: statisticsStart) {
                try recorder.recordStatistics(); state.statisticsRecords += 1
            }
            if due(p.output.snapshotInterval, state.snapshots, start: p.output.snapshotStart) {
                try snapshots.append(ns, real: scratch.0, u: scratch.1, v: scratch.2, spectral: scratch.3)
                state.snapshots += 1
            }
        }
        let loop = StepLoop(context: context, checkpointWalltime: p.output.checkpointWalltime)
        /// `scheduled`: one of the output.checkpoint_interval series (counted, so the schedule
        /// survives a resume); wall-clock, signal and final checkpoints are not counted.
        func checkpoint(final: Bool, scheduled: Bool = false) throws {
            state.time = ns.time
            state.step = ns.stepCount
            if scheduled { state.checkpoints += 1 }
            // Snapshots first: a checkpoint never refers to frames that are not on disk.
            try snapshots.commit(reopen: !final)
            let box = NS2DRunStateBox()
            box.state = state
            try CheckpointFile.write([parts, box, diagnostics], context: context)
            try NS2DDiagnosticsFile.write(directory: dir, log: diagnostics, grid: grid, window: window)
            loop.checkpointWritten()
        }

        if !context.resume { try record(cfl: ns.cfl(dt: state.dt)) }

        // MARK: Time loop
        let fixedSteps = adaptive ? 0 : Int((tEnd / dtMax - 1e-9).rounded(.up))
        let progress = adaptive
            ? context.progress("simulated time", total: tEnd, unit: .simulatedTime)
            : context.progress("time steps", total: Double(fixedSteps), unit: .count("steps"))
        let started = MPIEnvironment.wtime(), startStep = ns.stepCount
        var stoppedBy: StepLoop.Stop? = nil
        func finished() -> Bool { adaptive ? ns.time >= tEnd * (1 - 1e-12) : ns.stepCount >= fixedSteps }
        while !finished() {
            // Stop requested (SIGTERM, SIGUSR1, SIGINT on any rank, or the wall-time limit):
            // checkpoint and leave. One reduction per step decides for all ranks.
            let (stop, checkpointDue) = try loop.poll()
            if let stop { stoppedBy = stop; break }
            if checkpointDue { try checkpoint(final: false) }
            try ns.prepareStep()
            let speed = ns.maxVelocity.u + ns.maxVelocity.v
            if adaptive {
                let ideal = speed > 0 ? min(dtMax, cflTarget * grid.spacing / speed) : dtMax
                // Change dt only when it must shrink or can grow by the hysteresis factor.
                if ideal < state.dt || ideal > NS2DJob.dtHysteresis * state.dt { state.dt = ideal }
                state.dt = min(state.dt, tEnd - ns.time)
            }
            let cfl = ns.cfl(dt: state.dt)
            // The guard has a relative margin of 1e-9: a step set to exactly cfl_max by the
            // adaptive rule must not trip it through round-off.
            guard speed.isFinite, cfl <= cflMax * (1 + 1e-9) else {
                let saved = FileManager.default.fileExists(atPath: context.outputPath(NS2DCheckpoint.fileName))
                throw RunError(blowUpMessage(step: ns.stepCount, time: ns.time, cfl: cfl, finite: speed.isFinite, cflMax: cflMax,
                                             saved: saved, adaptive: adaptive))
            }
            if forcing.kind == .kolmogorov, let term = ns.steadyForcing {
                let inj = try forcing.steadyInjection(ns.omega, term: term)
                state.injectedEnergy += inj.energy * state.dt
                state.injectedEnstrophy += inj.enstrophy * state.dt
            }
            try ns.step(dt: state.dt)
            let kicked = try forcing.kick(ns.omega, step: ns.stepCount - 1, dt: state.dt)
            state.injectedEnergy += kicked.energy
            state.injectedEnstrophy += kicked.enstrophy
            state.injectionTime += state.dt
            try record(cfl: cfl)
            if due(p.output.checkpointInterval, state.checkpoints + 1) && !finished() {
                try checkpoint(final: false, scheduled: true)
            }
            progress.update(adaptive ? ns.time : Double(ns.stepCount))
        }

        // MARK: Finish
        try checkpoint(final: true)
        let seconds = MPIEnvironment.wtime() - started
        let steps = ns.stepCount - startStep
        let e = try ns.scalars()
        let outputs = [NS2DDiagnosticsFile.fileName, SnapshotFile.fileName] + (snapshots.times.isEmpty ? [] : ["snapshots.xmf"])
            + [NS2DCheckpoint.fileName] + (effort == .estimate ? [] : ["fftw.wisdom"])
        let rate = steps > 0 ? String(format: "%.4g s/step", seconds / Double(steps)) : "no steps"
        if let stoppedBy {
            let text = "ns2d interrupted by \(stoppedBy.reason) at step \(ns.stepCount), t = \(ns.time); checkpoint written. Continue with: cascade run \(context.outputPath("job.toml")) --out \(dir.path) --resume"
            log.warning("\(text)")
            return JobOutcome(succeeded: true, summary: text, outputs: outputs, interrupted: true, warnings: warnings)
        }
        let summary = "ns2d \(grid.n)² on \(comm.size) rank(s): \(steps) steps to t = \(String(format: "%.6g", ns.time)) (\(rate)); E = \(String(format: "%.6g", e.energy)), Z = \(String(format: "%.6g", e.enstrophy)); \(state.snapshots) snapshots"
        return JobOutcome(succeeded: true, summary: summary, outputs: outputs, warnings: warnings)
    }

    private func blowUpMessage(step: Int, time: Double, cfl: Double, finite: Bool, cflMax: Double, saved: Bool,
                               adaptive: Bool) -> String {
        let what = finite ? "CFL number \(String(format: "%.5g", cfl)) exceeds time.cfl_max = \(cflMax)" : "the velocity is not finite (NaN or Inf)"
        let kept = saved ? "the last good checkpoint (checkpoint.h5) is kept" : "no checkpoint was written yet"
        let fix = adaptive ? "Lower time.cfl, or raise physics.viscosity" : "Lower time.dt, use time.adaptive = true, or raise physics.viscosity"
        return "blow-up at step \(step), t = \(time): \(what); \(kept). \(fix)"
    }

    private func initialCondition() -> InitialFieldChoice {
        let u = p.initial.amplitude, k = p.initial.wavenumber
        switch p.initial.type {
        case .taylorGreen: return .analytic(.taylorGreen(amplitude: u, wavenumber: k))
        case .shear: return .analytic(.shear(amplitude: u, wavenumber: k))
        case .rest: return .analytic(.rest)
        case .file: return .file
        case .random:
            return .analytic(.random(energy: p.initial.energy, peak: p.initial.kPeak,
                                     slope: p.initial.slope, seed: UInt64(p.initial.seed)))
        }
    }

    /// Reads `init.file`: a checkpoint's omega_hat or a frame of a 3-D vorticity dataset, at any
    /// resolution, and puts it on the grid spectrally.
    private func loadInitialField(into ns: NavierStokes2D, context: RunContext) throws {
        let path = p.initial.file
        let comm = context.communicator
        let file = try H5File.open(path, communicator: comm)
        var dataset = p.initial.dataset
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
            let requested = p.initial.frame
            let frame = requested < 0 ? shape[0] + requested : requested
            guard frame >= 0 && frame < shape[0] else {
                throw RunError("init.frame = \(requested) is outside the \(shape[0]) frames of \(dataset) in \(path); use 0…\(shape[0] - 1) or −1 for the last")
            }
            // float32 fields (as written by other codes) are read as such and widened.
            let field: [Double] = try file.elementType(of: dataset) == .float32
                ? try file.readFrame(dataset, frame, as: Float.self).map(Double.init)
                : try file.readFrame(dataset, frame)
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
