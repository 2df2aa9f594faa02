import Foundation
import Synchronization

/// A thread that runs the backward pass while the MPI thread starts and progresses the gradient
/// allreduces (MPI is initialised FUNNELED: only the main thread calls MPI, so the computation is
/// what moves). Created once per trainer; running a pass allocates nothing.
final class BackwardWorker: @unchecked Sendable {
    /// Layers whose backward has finished in the current pass, counted from the top (release/acquire:
    /// when the MPI thread reads k, the gradients of the top k layers are visible to it).
    let finishedLayers = Atomic<Int>(0)
    private let go = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private var stopping = false
    /// The pass to run, set once by the trainer (it reads its per-step arguments from the trainer).
    var task: () -> Void = {}
    /// Monotonic time at which the last pass returned (read after `waitUntilFinished`).
    private(set) var finishedAt = 0.0

    init() {
        let thread = Thread { [self] in loop() }
        thread.name = "cascade-backward"
        thread.start()
    }

    private func loop() {
        while true {
            go.wait()
            if stopping { finished.signal(); return }
            task()
            finishedAt = DataParallelTrainer.now()
            finished.signal()
        }
    }

    /// Starts one pass of `task` (the semaphore orders every write before it, such as the rows of the
    /// step, before the worker's reads).
    func start() {
        finishedLayers.store(0, ordering: .relaxed)
        go.signal()
    }

    /// Blocks until the pass started by `start()` has returned.
    func waitUntilFinished() { finished.wait() }

    /// Ends the thread (called once, by the trainer's deinit).
    func stop() {
        stopping = true
        go.signal()
        finished.wait()
    }
}
