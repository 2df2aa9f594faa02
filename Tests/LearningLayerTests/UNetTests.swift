import XCTest
@testable import Learning
import LearningTestSupport

/// The whole U-Net: gradients against central differences, periodic translation equivariance
/// for the shifts its strided convolutions allow, structure and build-time errors.
final class UNetTests: XCTestCase {
    let field = TensorShape.image(height: 8, width: 8, channels: 1)
    let tiny = UNet.Configuration(levels: 2, channels: 4, multipliers: [1, 2], blocksPerLevel: 1, groups: 2, attention: true)

    func rows(_ n: Int, seed: UInt64) -> [Float] {
        let f = field.elements
        var x = testValues(n * (f + 1), seed: seed)
        for r in 0 ..< n { x[r * (f + 1) + f] = 0.3 + 1.7 * Float(r) }
        return x
    }

    func testTinyUNetGradients() throws {
        var check = try FloatGradientCheck([UNet(field: field, configuration: tiny)], input: .vector(field.elements + 1),
                                           rows: 2, x: rows(2, seed: 3))
        XCTAssertEqual(check.model.outputShape, field)
        check.check("UNet 8×8, 2 levels, 4 channels, attention", perTensor: 6)
    }

    /// Shifts by multiples of 2^(levels−1) commute; a one-pixel shift need not (stride 2).
    func testCommutesWithPeriodicShiftsOfTheCoarseGrid() throws {
        for cfg in [tiny, UNet.Configuration(levels: 3, channels: 4, multipliers: [1, 1, 2], blocksPerLevel: 2, groups: 1, attention: true,
                                             attentionHeads: 2)] {
            let model = try Sequential(input: .vector(field.elements + 1), batch: 2, seed: 4, [UNet(field: field, configuration: cfg)])
            model.store.values = testValues(model.store.count, seed: 9, scale: 0.5)
            let x = rows(2, seed: 5), stride = field.elements + 1, step = 1 << (cfg.levels - 1)
            let y = Array(model.forward(x, rows: 2))
            for (a, b) in [(step, 0), (0, 3 * step), (2 * step, step)] {
                let ys = Array(model.forward(rollField(x, samples: 2, stride: stride, height: 8, width: 8, channels: 1, by: a, b), rows: 2))
                let expected = rollField(y, samples: 2, stride: 64, height: 8, width: 8, channels: 1, by: a, b)
                let e = assertClose(ys, expected.map(Double.init), tolerance: 1e-5, "\(cfg.levels) levels, shift (\(a), \(b))")
                print("UNet \(cfg.levels) levels, shift (\(a), \(b)): relative error \(e)")
            }
            let ys = Array(model.forward(rollField(x, samples: 2, stride: stride, height: 8, width: 8, channels: 1, by: 1, 0), rows: 2))
            let e = relativeError(ys, rollField(y, samples: 2, stride: 64, height: 8, width: 8, channels: 1, by: 1, 0).map(Double.init))
            print("UNet \(cfg.levels) levels, shift (1, 0) (not a symmetry): relative difference \(e)")
            XCTAssertGreaterThan(e, 1e-3, "a one-pixel shift is expected to change the coarse grids' samples")
        }
    }

    /// Training builds the model without dL/dx (the trainer's default): the parameter gradients
    /// must not change. Rows are independent (GroupNorm and attention per sample), so a partial
    /// batch gives the same rows as a full one.
    func testTrainingModeAndPartialBatches() throws {
        let x = rows(3, seed: 8), r = testValues(3 * field.elements, seed: 2)
        var grads: [[Float]] = [], outputs: [[Float]] = [], cfg = tiny
        cfg.zeroInitialOutputs = false  // every gradient non-zero at the start
        for inputGradient in [true, false] {
            let model = try Sequential(input: .vector(field.elements + 1), batch: 3, seed: 6, inputGradient: inputGradient,
                                       [UNet(field: field, configuration: cfg)])
            model.store.zeroGradients()
            outputs.append(Array(model.forward(x, rows: 3)))
            r.withUnsafeBufferPointer { _ = model.backward($0, rows: 3) }
            grads.append(model.store.gradients)
            XCTAssertTrue(grads.last!.contains { $0 != 0 })
            // Row 2 alone (a partial batch of 1) equals row 2 of the full batch.
            let alone = Array(model.forward(Array(x[(2 * (field.elements + 1))...]), rows: 1))
            XCTAssertEqual(alone, Array(outputs.last![(2 * field.elements)...]))
        }
        XCTAssertEqual(outputs[0], outputs[1])
        XCTAssertEqual(grads[0], grads[1])
    }

    /// DDPM's start: the head, every block's last convolution and the attention's output
    /// projection are zero, so ε = 0 and only the head's parameters get a gradient at first.
    func testZeroInitialisedOutputs() throws {
        let x = rows(2, seed: 8), r = testValues(2 * field.elements, seed: 2)
        let model = try Sequential(input: .vector(field.elements + 1), batch: 2, seed: 6, [UNet(field: field, configuration: tiny)])
        XCTAssertTrue(model.forward(x, rows: 2).allSatisfy { $0 == 0 })
        model.store.zeroGradients()
        r.withUnsafeBufferPointer { _ = model.backward($0, rows: 2) }
        let g = model.store.gradients
        let withGradient = model.store.views.filter { v in v.range.contains { g[$0] != 0 } }.map(\.name)
        XCTAssertEqual(withGradient, ["0.1.6.weight", "0.1.6.bias"])
        let zeroed = model.store.views.filter { v in v.range.allSatisfy { model.store.values[$0] == 0 } && v.name.hasSuffix("weight") }
        // Head, the three blocks' second convolutions (two levels: down, inner, up) and the attention output.
        XCTAssertEqual(Set(zeroed.map(\.name)), ["0.1.6.weight", "0.1.1.2.2.weight", "0.1.2.1.1.2.2.weight", "0.1.2.1.2.2.weight",
                                                 "0.1.3.2.2.weight"])
        var plain = tiny
        plain.zeroInitialOutputs = false
        let other = try Sequential(input: .vector(field.elements + 1), batch: 2, seed: 6, [UNet(field: field, configuration: plain)])
        XCTAssertTrue(other.forward(x, rows: 2).contains { $0 != 0 })
    }

    func testStructureAndNames() throws {
        let model = try Sequential(input: .vector(field.elements + 1), batch: 1, seed: 1, [UNet(field: field, configuration: tiny)])
        let unet = model.layers[0] as! UNet
        XCTAssertEqual(unet.model.timeLayers.count, 5)
        // stem, block, Concatenate, block, GroupNorm, SiLU, Conv.
        XCTAssertEqual(unet.model.bodyLayers.map { String(describing: type(of: $0)) },
                       ["Conv2d", "ResidualBlock", "Concatenate", "ResidualBlock", "GroupNorm", "SiLU", "Conv2d"])
        let names = model.store.views.map(\.name)
        XCTAssertEqual(names.first, "0.0.1.weight")
        XCTAssertTrue(names.contains("0.1.2.1.2.0.weight"), "the attention's GroupNorm inside the lower level: \(names)")
        XCTAssertTrue(names.contains("0.1.3.3.0.weight"), "the up block's 1×1 skip from 4 + 8 channels")
        XCTAssertEqual(model.store.views.first { $0.name == "0.1.3.3.0.weight" }?.shape, [4, 1, 1, 12])
        XCTAssertTrue(unet.summary.contains("attention 1 head"), unet.summary)
    }

    func testBuildErrors() {
        func build(_ f: TensorShape, _ cfg: UNet.Configuration, width: Int? = nil) throws {
            _ = try Sequential(input: .vector(width ?? f.elements + 1), batch: 2, seed: 1, [UNet(field: f, configuration: cfg)])
        }
        // 10 is not a multiple of 2^(3−1) = 4 (12 is).
        let three = UNet.Configuration(levels: 3, channels: 4, groups: 2)
        XCTAssertThrowsError(try build(.image(height: 10, width: 8, channels: 1), three)) { e in
            let err = e as! ShapeError
            XCTAssertTrue(err.layer.contains("UNet") && err.layer.contains("multiples of 2^(levels−1) = 4"), err.layer)
            XCTAssertEqual(err.expected, [2, 12, 8, 1])
            XCTAssertEqual(err.actual, [2, 10, 8, 1])
        }
        XCTAssertNoThrow(try build(.image(height: 12, width: 8, channels: 1), three))
        // A row without t.
        XCTAssertThrowsError(try build(field, tiny, width: 64)) { e in
            XCTAssertEqual((e as! ShapeError).expected, [2, 65])
        }
        // Groups that do not divide a level's channels.
        XCTAssertThrowsError(try build(field, UNet.Configuration(levels: 2, channels: 6, multipliers: [1, 2], groups: 4))) { e in
            XCTAssertTrue((e as! ShapeError).layer.contains("groups must divide"), "\(e)")
        }
        // Heads that do not divide the lowest channels.
        XCTAssertThrowsError(try build(field, UNet.Configuration(levels: 2, channels: 4, multipliers: [1, 2], groups: 2,
                                                                  attention: true, attentionHeads: 3))) { e in
            XCTAssertTrue((e as! ShapeError).layer.contains("heads"), "\(e)")
        }
    }
}
