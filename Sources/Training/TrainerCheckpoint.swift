import Learning
import Parallel

extension DataParallelTrainer {
    /// The state to checkpoint after a step (every rank holds the same; rank 0 writes it). With a
    /// sharded optimiser step the ranks' slices of the optimiser state are gathered first, so the
    /// state is the same whatever the rank count and sharding. Collective (call it on every rank).
    /// - Throws: `.unusableAfterFailure` after a failed step: its parameters may be partly updated.
    public func exportState() throws -> TrainerState {
        guard !hasFailed else { throw TrainingError.unusableAfterFailure }
        return TrainerState(step: step, epoch: epoch, batchInEpoch: batchInEpoch, seed: configuration.seed,
                            globalBatch: configuration.globalBatch, ranks: communicator.size,
                            parameters: model.store.values, optimizer: try gatheredOptimizerState())
    }

    /// Continues from `state` (every rank passes the same one, read from the same checkpoint):
    /// parameters are copied in place, the optimiser state imported (with a sharded step: this
    /// rank's slices of it; any rank count and sharding may have written it), the data position set. Then
    /// the replicas are verified. Collective. Clears an earlier failure.
    /// - Throws: `.badState` naming what does not fit (seed, batch, parameter count, position).
    public func restore(_ state: TrainerState) throws {
        guard state.parameters.count == model.store.count else {
            throw TrainingError.badState("it holds \(state.parameters.count) parameters, the model has \(model.store.count)")
        }
        guard state.seed == configuration.seed else {
            throw TrainingError.badState("it was written with train.seed = \(state.seed), this run has \(configuration.seed)")
        }
        guard state.globalBatch == configuration.globalBatch else {
            throw TrainingError.badState("it was written with train.batch = \(state.globalBatch), this run has \(configuration.globalBatch)")
        }
        guard state.step >= 0, state.epoch >= 0, (0 ..< batchesPerEpoch).contains(state.batchInEpoch),
              state.optimizer.stepCount == state.step else {
            throw TrainingError.badState("inconsistent position (step \(state.step), epoch \(state.epoch), "
                + "batch \(state.batchInEpoch) of \(batchesPerEpoch), optimiser step \(state.optimizer.stepCount))")
        }
        var imported = optimizer
        do {
            // Sharded: this rank keeps its own slices of the full state (every rank has all of it).
            let mine = try shardPlan.map { try Self.packed(state.optimizer, plan: $0, parameterCount: parameterCount) } ?? state.optimizer
            try imported.importState(mine)
        } catch let error as TrainingError {
            throw error
        } catch {
            throw TrainingError.badState("\(error)")
        }
        optimizer = imported
        // With shared memory the node's ranks share one parameter buffer: one of them writes it.
        if shared == nil || shared!.node.rank == 0 {
            model.store.withUnsafeMutableValues { v in
                state.parameters.withUnsafeBufferPointer { v.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
            }
        }
        try shared?.window.synchronize()
        setPosition(step: state.step, epoch: state.epoch, batchInEpoch: state.batchInEpoch)
        try verifyReplicas()
    }
}
