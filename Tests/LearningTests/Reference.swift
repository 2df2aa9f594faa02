import Foundation

/// Float64 losses from their definitions (means over the global batch), for the loss checks;
/// the layer references are in LearningTestSupport.
func refMSE(_ p: [Double], _ t: [Double], features: Int, globalBatch: Int) -> Double {
    zip(p, t).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(features * globalBatch)
}

/// Softmax cross-entropy as defined: Σ_rows (log Σ_j e^{z_j} − z_label) / N, with the max shifted out.
func refCE(_ z: [Double], _ labels: [Int32], classes c: Int, globalBatch: Int) -> Double {
    var sum = 0.0
    for r in 0 ..< labels.count {
        let row = Array(z[r * c ..< (r + 1) * c]), m = row.max()!
        sum += m + log(row.map { exp($0 - m) }.reduce(0, +)) - row[Int(labels[r])]
    }
    return sum / Double(globalBatch)
}

/// Binary cross-entropy of σ(z) against t, as −t·log σ(z) − (1 − t)·log(1 − σ(z)) in a stable form.
func refBCE(_ z: [Double], _ t: [Double], features: Int, globalBatch: Int) -> Double {
    var sum = 0.0
    for (zi, ti) in zip(z, t) {
        // log σ(z) = −log(1 + e^{−z}); log(1 − σ(z)) = −z − log(1 + e^{−z}).
        let softplusNeg = zi >= 0 ? log1p(exp(-zi)) : -zi + log1p(exp(zi))
        sum += ti * softplusNeg + (1 - ti) * (zi + softplusNeg)
    }
    return sum / Double(features * globalBatch)
}
