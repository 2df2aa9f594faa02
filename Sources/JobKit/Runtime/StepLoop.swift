import Foundation
import Parallel

/// A schedule in simulated time: records due at t ≥ start + k·interval for k = 0, 1, 2, …
///
/// The count of records made is the cadence's state: it goes into checkpoints, so a resumed run
/// keeps the same schedule.
public struct Cadence: Sendable, Equatable {
    /// Simulated time between records (0: never).
    public var interval: Double
    /// Simulated time of the first record.
    public var start: Double
    /// Records made so far.
    public var count: Int

    public init(interval: Double, start: Double = 0, count: Int = 0) {
        self.interval = interval
        self.start = start
        self.count = count
    }

    /// Whether the next record is due at simulated time `t` (with a relative tolerance of 1e-9
    /// of the interval, so that t = k·interval reached by summing steps counts as reached).
    public func isDue(at t: Double) -> Bool {
        interval > 0 && t >= start + Double(count) * interval - 1e-9 * interval
    }
}

/// The control side of a time-stepping job: stop signals agreed across ranks, the wall-time
/// limit (`run.walltime_limit`), wall-clock checkpoint cadence, and progress in the job's units.
///
/// ``poll()`` is collective and costs one small reduction per call, so a loop calls it once per
/// step; every rank gets the same answer and all stop at the same step.
public final class StepLoop {
    /// Why a loop must stop before it is done.
    public enum Stop: Equatable, Sendable {
        case signal(Int32)
        case walltimeLimit(Double)

        /// For messages: "SIGTERM", "the wall-time limit of 3600 s".
        public var reason: String {
            switch self {
            case .signal(let s): return StopSignal.name(s)
            case .walltimeLimit(let l): return "run.walltime_limit = \(l) s"
            }
        }
    }

    private let context: RunContext
    private let checkpointWalltime: Double
    private var lastCheckpoint: Double
    /// The wall-time limit leaves this long for the final checkpoint and records.
    private let limit: Double
    private var flags = [Double](repeating: 0, count: 3)

    /// - Parameter checkpointWalltime: wall-clock seconds between checkpoints (0: off).
    public init(context: RunContext, checkpointWalltime: Double) {
        self.context = context
        self.checkpointWalltime = checkpointWalltime
        self.lastCheckpoint = MPIEnvironment.wtime()
        self.limit = context.common.walltimeLimit
    }

    /// The agreed verdict of all ranks: a stop (signal on any rank, or rank 0's clock past the
    /// wall-time limit) and whether a wall-clock checkpoint is due (rank 0's clock). Collective.
    public func poll() throws -> (stop: Stop?, checkpointDue: Bool) {
        let now = MPIEnvironment.wtime()
        let comm = context.communicator
        flags[0] = Double(StopSignal.received)
        flags[1] = comm.isRoot && limit > 0 && now - context.startTime >= limit ? 1 : 0
        flags[2] = comm.isRoot && checkpointWalltime > 0 && now - lastCheckpoint >= checkpointWalltime ? 1 : 0
        if comm.size > 1 { try comm.allreduce(inPlace: &flags, .max) }
        if flags[0] != 0 { return (.signal(Int32(flags[0])), false) }
        if flags[1] != 0 { return (.walltimeLimit(limit), false) }
        return (nil, flags[2] != 0)
    }

    /// Restarts the wall-clock checkpoint timer (call after any checkpoint).
    public func checkpointWritten() { lastCheckpoint = MPIEnvironment.wtime() }
}
