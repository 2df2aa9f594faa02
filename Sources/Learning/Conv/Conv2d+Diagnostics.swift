extension Conv2d {
    /// Seconds per copy of the weights from the store's canonical layout into the layout oneDNN
    /// picked (the reorder each oneDNN step runs, forward and, when backward-data picks another
    /// layout, once more), the median of `repetitions` calls; 0 when no reorder runs (im2col, or a
    /// oneDNN layout equal to OHWI with s_w = 1). For benchmarks: it tells whether the per-step
    /// reorder matters next to the convolution itself.
    public func weightReorderSeconds(repetitions: Int = 51) -> Double {
        guard let store, let oneDNN = engine as? OneDNNConvolution, oneDNN.reordersWeights else { return 0 }
        return store.withUnsafeValues { v in
            oneDNN.medianReorderSeconds(weights: v.baseAddress! + weight.offset, repetitions: repetitions)
        }
    }
}

extension OneDNNConvolution {
    /// Median seconds of the built batch's weight feeds (forward, and backward-data if separate).
    func medianReorderSeconds(weights: UnsafePointer<Float>, repetitions: Int) -> Double {
        let p = primitivesForBuiltBatch
        let clock = ContinuousClock()
        var times: [Double] = []
        for _ in 0 ..< max(repetitions, 1) {
            let t = clock.measure {
                p.forwardFeed.load(weights, on: stream)
                if let feed = p.backwardFeed, feed !== p.forwardFeed { feed.load(weights, on: stream) }
            }
            times.append(Double(t.components.seconds) + Double(t.components.attoseconds) * 1e-18)
        }
        return times.sorted()[times.count / 2]
    }
}
