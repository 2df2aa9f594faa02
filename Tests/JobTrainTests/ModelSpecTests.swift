import XCTest
@testable import JobKit
@testable import JobTrain
import Learning

/// The model description: parsing, spec-level shapes and parameter counts, the build into
/// Learning layers, and build-time shape errors turned into keyed problems.
final class ModelSpecTests: XCTestCase {
    func tables(_ inline: String) throws -> ConfigTables {
        let v = try TOMLParsing.parse("layers = \(inline)", source: "t")
        return ConfigTables(configValue: v.value(at: "layers")!)!
    }

    func spec(_ inline: String, input: [Int] = []) throws -> ModelSpec {
        let (s, problems) = ModelSpec.parse(input: input, layers: try tables(inline))
        XCTAssertEqual(problems, [])
        return try XCTUnwrap(s)
    }

    func testEveryLayerTypeParsesWithDefaults() throws {
        let s = try spec("""
            [{ type = "conv2d", channels = 8 }, { type = "groupnorm", groups = 4 }, { type = "silu" },
             { type = "conv2d", channels = 16, kernel = 1, stride = 2, padding = "periodic", init = "ntk", beta = 0.5 },
             { type = "avgpool" }, { type = "upsample", factor = 4 },
             { type = "residual", layers = [{ type = "conv2d", channels = 16 }, { type = "relu" }] },
             { type = "concat", branches = [[{ type = "conv2d", channels = 2, kernel = 1 }], []] },
             { type = "dense", units = 10, init = "glorot" }, { type = "gelu" }, { type = "tanh" }]
            """, input: [16, 16, 3])
        XCTAssertEqual(s.layers[0], .conv2d(Conv2dSpec(channels: 8)))
        XCTAssertEqual(s.layers[1], .groupNorm(groups: 4, epsilon: 1e-5))
        XCTAssertEqual(s.layers[3], .conv2d(Conv2dSpec(channels: 16, kernel: 1, stride: 2, padding: .periodic, initialization: .ntk, beta: 0.5)))
        XCTAssertEqual(s.layers[4], .averagePool(factor: 2))
        XCTAssertEqual(s.layers[5], .upsample(factor: 4))
        XCTAssertEqual(s.layers[8], .dense(units: 10, initialization: .glorot, beta: 0.1))
        // Shapes: 16² → conv(s2) 8² → pool 4² → up×4 16²; concat of 2 + 16 channels; dense 10.
        let shapes = try s.shapes().get()
        XCTAssertEqual(shapes.output, .vector(10))
        let params = (9 * 3 * 8 + 8) + 2 * 8 + (1 * 8 * 16 + 16) + (9 * 16 * 16 + 16) + (16 * 2 + 2) + (16 * 16 * 18 * 10 + 10)
        XCTAssertEqual(shapes.parameters, params)
        // The description lists every key and parses back to the same spec.
        let again = ModelSpec.parse(input: [16, 16, 3], layers: try tables(ConfigValue.array(s.layers.map(\.configValue)).tomlLiteral))
        XCTAssertEqual(again.spec, s)
        // Every layer type is built by Learning, with the parameter count the spec predicts and
        // composites' inner layers named by their position.
        let model = try s.build(batch: 2, seed: 3)
        XCTAssertEqual(model.outputShape, .vector(10))
        XCTAssertEqual(model.store.count, params)
        XCTAssertTrue(model.layers[0] is Conv2d && model.layers[1] is GroupNorm && model.layers[4] is AvgPool2d)
        XCTAssertTrue(model.layers[5] is NearestUpsample2d && model.layers[6] is Residual && model.layers[7] is Concatenate)
        XCTAssertEqual((model.layers[3] as? Conv2d)?.padding, .periodic)
        XCTAssertEqual((model.layers[3] as? Conv2d)?.stride, 2)
        XCTAssertEqual((model.layers[3] as? Conv2d)?.initialization, .ntk(beta: 0.5))
        XCTAssertTrue(model.store.views.contains { $0.name == "6.0.weight" }, "\(model.store.views.map(\.name))")
        XCTAssertTrue(s.hasConvolutions)
        // A forward pass of the whole model runs and gives finite outputs.
        var x = [Float](repeating: 0, count: 2 * 16 * 16 * 3)
        for i in x.indices { x[i] = Float((i * 7919) % 23) / 23 - 0.5 }
        let y = Array(model.forward(x, rows: 2))
        XCTAssertTrue(y.allSatisfy { $0.isFinite })
    }

    func testShapeProblemsNameTheLayerAndBothShapes() throws {
        func problem(_ inline: String, input: [Int]) throws -> ConfigProblem? {
            guard case .failure(let e) = try spec(inline, input: input).shapes() else { return nil }
            return e.problem
        }
        let stride = try problem("[{ type = \"conv2d\", channels = 4, stride = 2 }]", input: [7, 8, 1])
        XCTAssertEqual(stride?.path, "model.layers[0]")
        XCTAssertTrue(stride?.message.contains("[7, 8, 1]") ?? false, "\(String(describing: stride))")
        let pool = try problem("[{ type = \"conv2d\", channels = 4 }, { type = \"avgpool\", factor = 3 }]", input: [8, 8, 1])
        XCTAssertEqual(pool?.path, "model.layers[1]")
        let groups = try problem("[{ type = \"conv2d\", channels = 6 }, { type = \"groupnorm\", groups = 4 }]", input: [8, 8, 1])
        XCTAssertEqual(groups?.path, "model.layers[1]")
        XCTAssertTrue(groups?.message.contains("has 6") ?? false)
        let nested = try problem("[{ type = \"residual\", layers = [{ type = \"dense\", units = 4 }, { type = \"conv2d\", channels = 1 }] }]", input: [4])
        XCTAssertEqual(nested?.path, "model.layers[0].layers[1]")
        let branches = try problem("[{ type = \"concat\", branches = [[{ type = \"avgpool\" }], []] }]", input: [8, 8, 2])
        XCTAssertEqual(branches?.path, "model.layers[0]")
        XCTAssertTrue(branches?.message.contains("[4, 4, 2]") ?? false)
        let noInput = try spec("[{ type = \"dense\", units = 1 }]").shapes()
        if case .failure(let e) = noInput { XCTAssertEqual(e.problem.path, "model.input") } else { XCTFail("no input accepted") }
    }

    func testBuildMakesTheLearningModel() throws {
        let s = try spec("[{ type = \"dense\", units = 16, init = \"ntk\", beta = 0.2 }, { type = \"tanh\" }, { type = \"dense\", units = 3 }]", input: [5])
        let model = try s.build(batch: 4, seed: 7)
        XCTAssertEqual(model.outputShape, .vector(3))
        XCTAssertEqual(model.store.count, try s.shapes().get().parameters)
        XCTAssertEqual(model.store.views.map(\.name), ["0.weight", "0.bias", "2.weight", "2.bias"])
        XCTAssertEqual((model.layers[0] as? Dense)?.initialization, .ntk(beta: 0.2))
        XCTAssertTrue(model.layers[1] is Tanh)
        // The same seed gives the same parameters.
        XCTAssertEqual(try s.build(batch: 1, seed: 7).store.values, model.store.values)
        let record = ModelRecord(model: model, spec: s)
        XCTAssertEqual(record.tensors.map(\.key), ["model.layers[0]", "model.layers[0]", "model.layers[2]", "model.layers[2]"])
        XCTAssertEqual(record.tensors[2].layer, "Dense(16→3)")
        XCTAssertEqual(record.tensors[2].shape, [3, 16])
    }

    func testShapeErrorsBecomeKeyedProblems() throws {
        let s = try spec("[{ type = \"dense\", units = 4 }, { type = \"upsample\" }]", input: [4])
        let e = ShapeError(layerIndex: 1, layer: "Dense(8→2)", expected: [4, 8], actual: [4, 6])
        let p = s.problem(from: e)
        XCTAssertEqual(p.path, "model.layers[1]")
        XCTAssertTrue(p.message.contains("[4, 8]") && p.message.contains("[4, 6]"))
        XCTAssertFalse(s.hasConvolutions)
        // Learning refuses the upsampling of a vector at build, named by the layer's key.
        XCTAssertThrowsError(try s.build(batch: 1, seed: 0)) { e in
            XCTAssertEqual((e as? KeyedProblem)?.problem.path, "model.layers[1]", "\(e)")
        }
    }
}
