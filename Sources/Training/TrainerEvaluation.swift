import Learning
import Parallel

extension DataParallelTrainer {
    /// Loss and accuracy of the current parameters over the WHOLE evaluation source, sharded over
    /// ranks and reduced (the same on every rank, independent of the rank count to round-off).
    /// Samples are taken in index order in chunks of the global batch; each rank evaluates its share
    /// of each chunk. Nil without an evaluation source. Collective.
    public func evaluate() throws -> EvaluationMetrics? {
        guard let source = evaluationSource else { return nil }
        let n = source.count, b = configuration.globalBatch, comm = communicator
        var lossSum = 0.0, correct = 0.0, bad = 0.0
        source.beginPass(SamplePass.evaluation)
        if n > 0 {
            var indices = [Int](repeating: 0, count: localCapacity)
            for chunk in 0 ..< BatchSharding.batchCount(count: n, batchSize: b) {
                let global = BatchSharding.globalRange(batch: chunk, batchSize: b, count: n)
                let share = BatchSharding.shareRange(rank: comm.rank, ranks: comm.size, count: global.count)
                let rows = share.count
                for (k, i) in share.enumerated() { indices[k] = global.lowerBound + i }
                try indices.withUnsafeBufferPointer { try batch.load(UnsafeBufferPointer(rebasing: $0[0 ..< rows]), from: source) }
                guard (try? batch.checkLabels(rows: rows)) != nil else { bad = 1; continue }
                let output = model.forward(UnsafeBufferPointer(start: batch.inputs, count: rows * model.inputFeatures), rows: rows)
                lossSum += Double(batch.evaluate(loss, output, rows: rows, globalBatch: n))
                correct += Double(batch.correct(output, rows: rows))
            }
        }
        let totals = comm.size > 1 ? try comm.allreduce([lossSum, correct, bad], .sum) : [lossSum, correct, bad]
        guard totals[2] == 0 else {
            throw TrainingError.mismatch("an evaluation sample's label is outside the classes 0 ..< \(batch.classes ?? 0)")
        }
        return EvaluationMetrics(loss: totals[0], accuracy: batch.classes == nil || n == 0 ? nil : totals[1] / Double(n),
                                 samples: n)
    }
}
