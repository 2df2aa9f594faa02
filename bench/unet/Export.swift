import CounterRNG
import Foundation
import Learning

/// Writes what bench/unet/reference_torch.py needs to check that its PyTorch U-Net is the same
/// network: every parameter (with its name, shape and place in the store), a batch of 2 inputs,
/// MSE targets, the forward output, the loss and every parameter gradient of one backward.
/// PATH.bin holds float32 values (parameters, gradients, inputs, targets, output, in that order);
/// PATH.json says where each part starts. Both are written to a temporary name then renamed.
func exportModel(_ s: BenchSettings) throws {
    let f = s.field.elements, rows = 2
    let model = try Sequential(input: .vector(f + 1), batch: rows, seed: 3, [UNet(field: s.field, configuration: s.configuration)])
    let loss = MSE(features: f, batch: rows)
    let (x, targets) = trainingBatch(rows: rows, fieldElements: f, seed: 11)
    model.store.zeroGradients()
    let y = Array(model.forward(x, rows: rows))
    let value = targets.withUnsafeBufferPointer { t in y.withUnsafeBufferPointer { loss.evaluate($0, t, rows: rows, globalBatch: rows) } }
    model.backward(loss.gradient, rows: rows)
    let p = model.store.count
    let parts: [(String, [Float])] = [("values", model.store.values), ("gradients", model.store.gradients),
                                      ("inputs", x), ("targets", targets), ("output", y)]
    var offsets: [String: Int] = [:], data = Data(), at = 0
    for (name, values) in parts {
        offsets[name] = at
        at += values.count
        values.withUnsafeBytes { data.append(contentsOf: $0) }
    }
    let manifest: [String: Any] = [
        "parameters": p, "rows": rows, "field": [s.size, s.size, s.fieldChannels], "loss": Double(value),
        "levels": s.levels, "channels": s.channels, "multipliers": s.configuration.multipliers, "blocks": s.blocks,
        "groups": s.groups, "attention": s.attention, "offsets": offsets,
        "views": model.store.views.map { ["name": $0.name, "shape": $0.shape, "offset": $0.offset, "count": $0.count] as [String: Any] },
    ]
    let json = try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys])
    try data.write(to: URL(fileURLWithPath: s.exportPath + ".bin"), options: .atomic)
    try json.write(to: URL(fileURLWithPath: s.exportPath + ".json"), options: .atomic)
    print("cascade_export parameters=\(p) loss=\(value) out=\(s.exportPath).json,.bin \(s.description)")
}

/// `rows` U-Net input rows (a standard-normal field, then t ∈ [0, 1000) an integer as a float) and
/// standard-normal MSE targets, from CounterRNG (the same whatever the machine).
func trainingBatch(rows: Int, fieldElements f: Int, seed: UInt64) -> (inputs: [Float], targets: [Float]) {
    let noise = CounterRNG(seed: seed, stream: 0), times = CounterRNG(seed: seed, stream: 1), eps = CounterRNG(seed: seed, stream: 2)
    var x = [Float](repeating: 0, count: rows * (f + 1))
    for r in 0 ..< rows {
        for i in 0 ..< f { x[r * (f + 1) + i] = Float(noise.normal(at: UInt64(r * f + i))) }
        x[r * (f + 1) + f] = Float(Int(times.uniform(at: UInt64(r)) * 1000))
    }
    return (x, (0 ..< rows * f).map { Float(eps.normal(at: UInt64($0))) })
}
