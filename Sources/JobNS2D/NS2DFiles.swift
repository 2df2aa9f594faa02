import DistributedFFT
import Foundation
import JobKit
import Parallel
import Storage
import Turbulence

/// `snapshots.h5`: vorticity (and optionally velocity) frames, samples × Ny × Nx, with `time`
/// and an XDMF sidecar `snapshots.xmf`.
///
/// Created atomically (empty, under a temporary name), then opened once in place and frames are
/// appended to it: never copied. ``commit(reopen:)`` flushes it at each checkpoint, which records
/// the committed frame count (`snapshots`); a resumed run cuts the file back to that count, so
/// frames recorded after the checkpoint are dropped. I/O per checkpoint does not grow with the
/// number of frames.
final class SnapshotFile {
    static let fileName = "snapshots.h5"
    let path: String
    let grid: SpectralGrid2D
    let withVelocity: Bool
    private var file: H5File?
    private(set) var times: [Double] = []

    private var fields: [String] { withVelocity ? ["vorticity", "velocity_x", "velocity_y"] : ["vorticity"] }

    /// A new, empty file.
    init(directory: URL, grid: SpectralGrid2D, withVelocity: Bool) throws {
        path = directory.appendingPathComponent(SnapshotFile.fileName).path
        self.grid = grid
        self.withVelocity = withVelocity
        let f = try H5File.create(path, communicator: grid.communicator)
        for name in fields {
            try f.createExtendibleDataset("/" + name, of: Double.self, frameShape: [grid.n, grid.n])
            try f.setAttribute("description", .string("\(name) on the N×N grid, frames × y × x; point (i, j) at (x, y) = (j, i)·L/N"), on: "/" + name)
        }
        try f.createExtendibleDataset("/time", of: Double.self, frameShape: [])
        try f.setAttribute("n", .int(grid.n))
        try f.setAttribute("box_length", .double(grid.boxLength))
        try f.setAttribute("cascade_version", .string(CascadeVersion.current))
        try f.close()
        file = try H5File.open(path, mode: .readWrite, communicator: grid.communicator)
    }

    /// The file of an interrupted run, cut back to its first `frames` frames.
    init(resuming directory: URL, grid: SpectralGrid2D, withVelocity: Bool, frames: Int) throws {
        path = directory.appendingPathComponent(SnapshotFile.fileName).path
        self.grid = grid
        self.withVelocity = withVelocity
        let f = try H5File.open(path, mode: .readWrite, communicator: grid.communicator)
        let present = try f.frameCount(of: "/time")
        guard present >= frames else {
            throw RunError("--resume: \(path) holds \(present) snapshots but the checkpoint expects \(frames); the file does not belong to this checkpoint")
        }
        for name in fields + ["time"] { try f.setFrameCount("/" + name, frames) }
        times = frames > 0 ? try f.read("/time", as: Double.self) : []
        file = f
    }

    /// Appends the current state of `ns` at its time (collective). `real`, `u`, `v`: real scratch;
    /// `spectral`: spectral scratch.
    func append(_ ns: NavierStokes2D, real: FFTArray, u: FFTArray, v: FFTArray, spectral: FFTArray) throws {
        guard let file else { throw RunError("snapshots file is closed") }
        ns.physicalVorticity(into: real, scratch: spectral)
        var arrays = [("vorticity", real)]
        if withVelocity {
            ns.velocity(intoU: u, v: v)
            arrays += [("velocity_x", u), ("velocity_y", v)]
        }
        let n = grid.n, rows = grid.localRows
        var slab = [Double](repeating: 0, count: rows * n)
        for (name, array) in arrays {
            for r in 0 ..< rows {
                for c in 0 ..< n { slab[r * n + c] = array.pointer[r * grid.rowStride + c] }
            }
            try file.appendFrame("/" + name, slab, offset: [grid.rows.lowerBound, 0], count: [rows, n])
        }
        let frame = times.count
        try file.setFrameCount("/time", frame + 1)
        let isRoot = grid.communicator.isRoot
        try file.write("/time", isRoot ? [ns.time] : [], offset: [frame], count: [isRoot ? 1 : 0])
        times.append(ns.time)
    }

    /// Flushes the frames so far to disk (in place) and writes the sidecar; without `reopen`
    /// (the end of the run), closes the file. Collective.
    func commit(reopen: Bool) throws {
        guard let f = file else { return }
        try f.flush()
        if !reopen {
            try f.close()
            file = nil
        }
        if !times.isEmpty {
            var xdmf = try XDMFWriter(dimensions: [grid.n, grid.n], spacing: [grid.spacing, grid.spacing])
            for name in fields { xdmf.addTimeSeries(name, file: SnapshotFile.fileName, dataset: "/" + name) }
            xdmf.times = times
            try xdmf.write(to: (path as NSString).deletingPathExtension + ".xmf", communicator: grid.communicator)
        }
    }
}

/// Where a run is: everything besides the fields that a resumed run needs to continue exactly.
struct NS2DRunState {
    var time = 0.0
    var step = 0
    var dt = 0.0
    var scalarRecords = 0
    var spectraRecords = 0
    var statisticsRecords = 0
    var snapshots = 0
    var checkpoints = 0
    /// Energy and enstrophy injected since the last scalar record, and over which time.
    var injectedEnergy = 0.0
    var injectedEnstrophy = 0.0
    var injectionTime = 0.0

    static let integerKeys = ["step", "scalar_records", "spectra_records", "statistics_records", "snapshots", "checkpoints"]
}

/// `checkpoint.h5` (``CheckpointFile``): the spectral state and the forcing's memory
/// (``NS2DSolverParts``), the run state (``NS2DRunStateBox``) and the whole diagnostics log
/// (``MetricsLog``) — everything to continue bit for bit. Replaced atomically each time.
enum NS2DCheckpoint {
    static let fileName = CheckpointFile.fileName

    /// Global layout of a spectral array: [kx 0…N/2][ky 0…N−1][re, im]; each rank writes its kx block.
    static func writeSpectral(_ file: H5File, _ path: String, _ a: FFTArray, grid: SpectralGrid2D) throws {
        try file.createDataset(path, of: Double.self, shape: [grid.n / 2 + 1, grid.n, 2])
        let nx = grid.plan.localSpectralRange.count
        try file.write(path, UnsafeBufferPointer(start: a.pointer, count: nx * grid.n * 2),
                       offset: [grid.xIndexStart, 0, 0], count: [nx, grid.n, 2])
    }

    static func readSpectral(_ file: H5File, _ path: String, into a: FFTArray, grid: SpectralGrid2D) throws {
        let nx = grid.plan.localSpectralRange.count
        try file.read(path, into: UnsafeMutableBufferPointer(start: a.pointer, count: nx * grid.n * 2),
                      offset: [grid.xIndexStart, 0, 0], count: [nx, grid.n, 2])
    }

    /// A checkpoint of another grid gets advice on re-gridding rather than a list of differing keys.
    static func checkGrid(_ file: H5File, grid: SpectralGrid2D) throws {
        let attributes = try file.attributes(of: "/")
        guard attributes["n"]?.intValue == grid.n,
              let box = attributes["box_length"]?.doubleValue, abs(box - grid.boxLength) <= 1e-12 * box else {
            throw RunError("--resume: \(file.path) is a \(attributes["n"]?.intValue ?? 0)² checkpoint of box \(attributes["box_length"]?.doubleValue ?? 0); the job has grid.n = \(grid.n), box_length = \(grid.boxLength). To continue at another resolution start a new run with init.type = \"file\" and init.file = \"\(file.path)\"")
        }
    }
}

extension NS2DSolverParts: Checkpointable {
    func writeCheckpoint(to file: H5File) throws {
        let grid = ns.grid
        try NS2DCheckpoint.writeSpectral(file, "/state/omega_hat", ns.omega, grid: grid)
        try file.setAttribute("description", .string("normalised Fourier coefficients of vorticity, [kx 0…N/2][ky 0…N−1 in FFT order][re, im]"), on: "/state/omega_hat")
        if let ou = forcing.state { try NS2DCheckpoint.writeSpectral(file, "/state/forcing_ou", ou, grid: grid) }
        try file.setAttribute("n", .int(grid.n))
        try file.setAttribute("box_length", .double(grid.boxLength))
    }

    func readCheckpoint(from file: H5File) throws {
        let grid = ns.grid
        try NS2DCheckpoint.checkGrid(file, grid: grid)
        try NS2DCheckpoint.readSpectral(file, "/state/omega_hat", into: ns.omega, grid: grid)
        if let ou = forcing.state {
            guard try file.exists("/state/forcing_ou") else {
                throw RunError("--resume: \(file.path) has no correlated-forcing state; the checkpoint was made with another forcing.type")
            }
            try NS2DCheckpoint.readSpectral(file, "/state/forcing_ou", into: ou, grid: grid)
        }
    }
}

/// The run state as a checkpoint part (a class, so that reading a checkpoint fills it in).
final class NS2DRunStateBox: Checkpointable {
    var state = NS2DRunState()

    func writeCheckpoint(to file: H5File) throws {
        try file.setAttribute("time", .double(state.time))
        try file.setAttribute("dt", .double(state.dt))
        let ints = [state.step, state.scalarRecords, state.spectraRecords, state.statisticsRecords, state.snapshots, state.checkpoints]
        for (key, value) in zip(NS2DRunState.integerKeys, ints) { try file.setAttribute(key, .int(value)) }
        try file.setAttribute("injected", .doubles([state.injectedEnergy, state.injectedEnstrophy, state.injectionTime]))
    }

    func readCheckpoint(from file: H5File) throws {
        let attributes = try file.attributes(of: "/")
        var s = NS2DRunState()
        s.time = attributes["time"]?.doubleValue ?? 0
        s.dt = attributes["dt"]?.doubleValue ?? 0
        let ints = NS2DRunState.integerKeys.map { attributes[$0]?.intValue ?? 0 }
        (s.step, s.scalarRecords, s.spectraRecords) = (ints[0], ints[1], ints[2])
        (s.statisticsRecords, s.snapshots, s.checkpoints) = (ints[3], ints[4], ints[5])
        if case .doubles(let inj)? = attributes["injected"], inj.count == 3 {
            (s.injectedEnergy, s.injectedEnstrophy, s.injectionTime) = (inj[0], inj[1], inj[2])
        }
        state = s
    }
}

/// `diagnostics.h5`: the log with averages divided by their counts, rewritten atomically at
/// each checkpoint and at the end.
enum NS2DDiagnosticsFile {
    static let fileName = "diagnostics.h5"

    static func write(directory: URL, log: MetricsLog, grid: SpectralGrid2D, window: ClosedRange<Double>) throws {
        let file = try H5File.create(directory.appendingPathComponent(fileName).path, communicator: grid.communicator)
        try log.write(to: file, under: "/", raw: false)
        try file.setAttribute("n", .int(grid.n))
        try file.setAttribute("box_length", .double(grid.boxLength))
        try file.setAttribute("average_window", .doubles([window.lowerBound, window.upperBound]))
        for group in ["scalars", "spectra", "statistics"] {
            try file.setAttribute("records_averaged_" + group, .int(log.averageCounts[group] ?? 0))
        }
        try file.setAttribute("cascade_version", .string(CascadeVersion.current))
        try file.close()
    }
}
