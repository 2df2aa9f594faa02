import Foundation
import Parallel
import Synchronization

/// The signal that asked the job to stop (0: none). Written by the handler, read by the loop.
private let pendingSignal = Atomic<Int32>(0)

/// SIGTERM (what `scancel` and a Slurm time limit send first), SIGUSR1 (Slurm's warning signal,
/// `#SBATCH --signal=B:USR1@120`) and SIGINT ask a long job to checkpoint and stop.
///
/// The handler only records the signal; jobs poll ``requested(_:)`` between steps, which agrees
/// across ranks (a signal may reach ranks at different steps), so all ranks stop at the same step.
public enum StopSignal {
    /// Installs the handlers (idempotent).
    public static func install() {
        for sig in [SIGTERM, SIGUSR1, SIGINT] {
            signal(sig) { received in pendingSignal.store(received, ordering: .relaxed) }
        }
    }

    /// The signal received on any rank, or 0 (collective: one Int reduction).
    public static func requested(_ communicator: Communicator) throws -> Int32 {
        let local = pendingSignal.load(ordering: .relaxed)
        return communicator.size == 1 ? local : Int32(try communicator.allreduce(Int(local), .max))
    }

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
