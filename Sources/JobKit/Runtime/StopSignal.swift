import Foundation
import Parallel
import Synchronization

/// The signal that asked the job to stop (0: none), and how many arrived. Written by the
/// handler, read by the loop and the watchdog.
private let pendingSignal = Atomic<Int32>(0)
private let signalCount = Atomic<Int>(0)

/// SIGTERM (what `scancel` and a Slurm time limit send first), SIGUSR1 (Slurm's warning signal,
/// `#SBATCH --signal=B:USR1@120`) and SIGINT ask a job to stop.
///
/// The handler only records the signal. Kinds that can resume poll ``requested(_:)`` between
/// steps (it agrees across ranks, so all ranks stop at the same step), checkpoint and end as
/// `interrupted`. For kinds that cannot stop part-way (and for a second signal to any kind) a
/// watchdog thread records an honest final status in run.json and ends the process.
public enum StopSignal {
    /// Installs the handlers (idempotent).
    public static func install() {
        for sig in [SIGTERM, SIGUSR1, SIGINT] {
            signal(sig) { received in
                pendingSignal.store(received, ordering: .relaxed)
                signalCount.add(1, ordering: .relaxed)
            }
        }
    }

    /// The signal received on any rank, or 0 (collective: one Int reduction).
    public static func requested(_ communicator: Communicator) throws -> Int32 {
        let local = pendingSignal.load(ordering: .relaxed)
        return communicator.size == 1 ? local : Int32(try communicator.allreduce(Int(local), .max))
    }

    /// The signal received by this process, or 0 (not collective).
    public static var received: Int32 { pendingSignal.load(ordering: .relaxed) }

    /// How many stop signals this process received.
    static var count: Int { signalCount.load(ordering: .relaxed) }

    /// The signal's name, for messages.
    public static func name(_ sig: Int32) -> String {
        switch sig {
        case SIGTERM: return "SIGTERM"
        case SIGUSR1: return "SIGUSR1"
        case SIGINT: return "SIGINT"
        default: return "signal \(sig)"
        }
    }
}

/// Ends the process with an honest run record when a stop signal cannot be handled by the job:
/// at once for kinds that cannot checkpoint, on a second signal for those that can.
final class SignalWatchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var record: RunRecord
    private let directory: URL
    private let writesRecord: Bool
    private let cooperative: Bool
    private var finished = false

    init(record: RunRecord, directory: URL, writesRecord: Bool, cooperative: Bool) {
        self.record = record
        self.directory = directory
        self.writesRecord = writesRecord
        self.cooperative = cooperative
    }

    func start() {
        let thread = Thread { [self] in watch() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// The job ended by itself: the watchdog stands down.
    func standDown() {
        lock.lock()
        finished = true
        lock.unlock()
    }

    private func watch() {
        while true {
            usleep(50_000)
            lock.lock()
            let done = finished
            lock.unlock()
            if done { return }
            let count = StopSignal.count
            guard count > 0 else { continue }
            if cooperative && count < 2 { continue }
            let sig = StopSignal.received
            lock.lock()
            if finished { lock.unlock(); return }
            finished = true
            var r = record
            lock.unlock()
            if writesRecord {
                let now = Date()
                r.status = .failed
                r.finished = iso8601(now)
                r.succeeded = false
                r.error = cooperative
                    ? "stopped by a second \(StopSignal.name(sig)) before the checkpoint was written; resume from the previous checkpoint if there is one"
                    : "stopped by \(StopSignal.name(sig)) before it finished; \(r.kind) jobs cannot resume, so run it again"
                try? r.write(to: directory)
                Console.error("error: \(r.error!)\n")
            } else {
                // mpirun ends the whole job as soon as one rank exits: the other ranks wait so
                // that rank 0 writes run.json first (it exits within milliseconds).
                usleep(2_000_000)
            }
            Console.flush()
            _exit(128 + sig)
        }
    }
}
