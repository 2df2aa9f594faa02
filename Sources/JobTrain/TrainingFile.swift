import JobKit
import Parallel
import Storage

/// Series and arrays written by rank 0 into files every rank opens (collective calls, data on
/// rank 0 only), the way the other kinds write their results.
enum ResultWriter {
    /// A 1-D series that may be empty. Empty: an extendible dataset of length 0 (a fixed one
    /// cannot have length 0); otherwise fixed and contiguous (an extendible 1-D dataset is
    /// chunked per element, which costs HDF5 memory and time per element).
    static func series<T: H5Scalar>(_ file: H5File, _ path: String, _ values: [T], description: String? = nil) throws {
        if values.isEmpty {
            try file.createDataset(path, of: T.self, shape: [0], maxShape: [nil])
        } else {
            try array(file, path, values, shape: [values.count])
        }
        if let description { try file.setAttribute("description", .string(description), on: path) }
    }

    /// An array of a fixed, non-empty shape.
    static func array<T: H5Scalar>(_ file: H5File, _ path: String, _ values: [T], shape: [Int]) throws {
        let isRoot = file.communicator.isRoot
        try file.createDataset(path, of: T.self, shape: shape)
        try file.write(path, isRoot ? values : [], offset: shape.map { _ in 0 }, count: isRoot ? shape : shape.map { _ in 0 })
    }
}

/// `training.h5` of a `train` run (layout in docs/training.md), written atomically (a temporary
/// renamed into place on close) at every checkpoint and at the end:
///
/// - `/metrics/{step, loss, accuracy, grad_norm, learning_rate, samples_per_second, allreduce_hidden_fraction}`: one entry
///   per `train.log_interval` steps, `step` the axis;
/// - `/eval/{step, loss, accuracy}`: one entry per evaluation on the held-out samples;
/// - `/model/<name>` per parameter tensor (name = its ParameterView name, attributes `layer`,
///   `key`, `shape`), the model description as `/model`'s `description` attribute;
/// - for a diffusion model, `/model_ema/<name>` the same for the moving average of the weights (what
///   `diffusion-sample` uses) and `/diffusion`'s attributes: schedule, time steps, prediction, the field
///   side, coarsening and normalisation scale;
/// - for Gaussian-mixture data `/bayes/{network_accuracy, bayes_accuracy,
///   bayes_accuracy_stderr, bayes_accuracy_closed_form, agreement, logit_correlation}` (one value each).
///
/// Root attributes: everything in `attributes` (kind, data kind, loss, ranks, steps …) and the
/// Cascade version.
public enum TrainingFile {
    /// Writes the file at `path`. Collective; rank 0's values are written.
    public static func write(path: String, history: TrainingHistory, model: ModelRecord, average: ModelRecord? = nil,
                             diffusion: [String: AttributeValue]? = nil, bayes: BayesSummary?,
                             attributes: [String: AttributeValue], communicator: Communicator) throws {
        let file = try H5File.create(path, communicator: communicator)
        try file.setAttribute("cascade_version", .string(CascadeVersion.current))
        for key in attributes.keys.sorted() { try file.setAttribute(key, attributes[key]!) }

        try file.createGroup("/metrics")
        try ResultWriter.series(file, "/metrics/step", history.step, description: "optimiser steps done (the axis of /metrics)")
        try ResultWriter.series(file, "/metrics/loss", history.loss, description: "mean training loss over the global batches since the previous record")
        try ResultWriter.series(file, "/metrics/accuracy", history.accuracy, description: "training accuracy since the previous record (NaN for regression)")
        try ResultWriter.series(file, "/metrics/grad_norm", history.gradNorm, description: "global gradient norm before clipping, at the record's step")
        try ResultWriter.series(file, "/metrics/learning_rate", history.learningRate, description: "learning rate of the record's step")
        try ResultWriter.series(file, "/metrics/samples_per_second", history.samplesPerSecond, description: "training samples per second over all ranks since the previous record")
        try ResultWriter.series(file, "/metrics/allreduce_hidden_fraction", history.allreduceHiddenFraction, description: "fraction of the gradient-allreduce time (rank 0) hidden behind backward since the previous record; 1 on one rank")
        try file.createGroup("/eval")
        try ResultWriter.series(file, "/eval/step", history.evalStep, description: "optimiser steps done at each evaluation (the axis of /eval)")
        try ResultWriter.series(file, "/eval/loss", history.evalLoss, description: "mean loss over the held-out samples")
        try ResultWriter.series(file, "/eval/accuracy", history.evalAccuracy, description: "accuracy on the held-out samples (NaN for regression)")

        try writeModel(file, "/model", model)
        if let average { try writeModel(file, "/model_ema", average) }
        if let diffusion {
            try file.createGroup("/diffusion")
            for key in diffusion.keys.sorted() { try file.setAttribute(key, diffusion[key]!, on: "/diffusion") }
        }

        if let b = bayes {
            try file.createGroup("/bayes")
            let values: [(String, Double, String)] = [
                ("network_accuracy", b.networkAccuracy, "the network's accuracy on the held-out samples"),
                ("bayes_accuracy", b.bayesAccuracy, "accuracy of the Bayes-optimal (quadratic discriminant) classifier on the same samples"),
                ("bayes_accuracy_stderr", b.bayesAccuracyStandardError, "standard error (a(1 − a)/n)^(1/2) of bayes_accuracy, a Monte-Carlo estimate on these samples"),
                ("bayes_accuracy_closed_form", b.bayesAccuracyClosedForm, "p₁Φ(Δ/2 + L/Δ) + p₀Φ(Δ/2 − L/Δ), L = log(p₁/p₀) (Φ(Δ/2) for equal priors), Δ the Mahalanobis distance of the means; equal covariances only, NaN otherwise"),
                ("agreement", b.agreement, "fraction of samples on which the network and the Bayes classifier decide alike"),
                ("logit_correlation", b.logitCorrelation, "Pearson correlation of the network's logit with the optimal log-likelihood ratio"),
            ]
            for (name, value, text) in values {
                try ResultWriter.array(file, "/bayes/" + name, [value], shape: [1])
                try file.setAttribute("description", .string(text), on: "/bayes/" + name)
            }
            try file.setAttribute("samples", .int(b.samples), on: "/bayes")
        }
        try file.close()
    }

    /// One tensor per dataset under `group`, with the model description.
    static func writeModel(_ file: H5File, _ group: String, _ model: ModelRecord) throws {
        try file.createGroup(group)
        try file.setAttribute("description", .string(model.description), on: group)
        try file.setAttribute("parameters", .int(model.tensors.reduce(0) { $0 + $1.values.count }), on: group)
        for t in model.tensors {
            let path = group + "/" + t.name
            try ResultWriter.array(file, path, t.values, shape: t.shape)
            try file.setAttribute("layer", .string(t.layer), on: path)
            try file.setAttribute("key", .string(t.key), on: path)
            try file.setAttribute("shape", .ints(t.shape), on: path)
        }
    }
}
