import XCTest
@testable import JobKit
@testable import JobTrain
import Learning

/// The `unet` layer of a diffusion model: every key parsed, every bad value refused naming its key,
/// the spec-level shape checks, and the analytic parameter count against built models.
final class UNetSpecTests: XCTestCase {
    /// `model.layers = inline` parsed (no shapes checked).
    func parse(_ inline: String) throws -> (spec: ModelSpec?, problems: [ConfigProblem]) {
        let v = try TOMLParsing.parse("layers = \(inline)", source: "t")
        return ModelSpec.parse(input: [], layers: ConfigTables(configValue: v.value(at: "layers")!)!)
    }

    /// The unet of `keys` (a layer table's inside, without `type`).
    func unet(_ keys: String) throws -> UNetSpec {
        let (spec, problems) = try parse("[{ type = \"unet\"\(keys.isEmpty ? "" : ", " + keys) }]")
        XCTAssertEqual(problems, [])
        guard case .unet(let u)? = spec?.layers.first else { throw XCTSkip("no unet parsed from \(keys)") }
        return u
    }

    /// Asserts `keys` are refused with one problem on `model.layers[0].<key>` whose text holds `fragment`.
    func assertRefused(_ keys: String, key: String, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (spec, problems) = try parse("[{ type = \"unet\", \(keys) }]")
        XCTAssertNil(spec, file: file, line: line)
        XCTAssertEqual(problems.map { $0.path ?? "" }, ["model.layers[0].\(key)"], "\(problems)", file: file, line: line)
        XCTAssertTrue(problems.first?.description.contains(fragment) ?? false, "'\(problems)' lacks '\(fragment)'", file: file, line: line)
    }

    /// The spec-level shape problem of the model `inline` on rows of `input` (nil: accepted).
    func shapeProblem(_ inline: String, input: [Int]) throws -> ConfigProblem? {
        let spec = try XCTUnwrap(try parse(inline).spec)
        guard case .failure(let e) = spec.shapes(input: TensorShape(input)) else { return nil }
        return e.problem
    }

    func testEveryKeyParsesAndDefaultsFillIn() throws {
        XCTAssertEqual(try unet(""), UNetSpec(levels: 3, channels: 32, multipliers: [], blocks: 1, groups: 8, attention: false, heads: 1))
        let u = try unet("levels = 2, channels = 12, multipliers = [1, 3], blocks = 2, groups = 6, attention = true, heads = 3")
        XCTAssertEqual(u, UNetSpec(levels: 2, channels: 12, multipliers: [1, 3], blocks: 2, groups: 6, attention: true, heads: 3))
        XCTAssertEqual(u.configuration.levelChannels, [12, 36])
        XCTAssertEqual(u.configuration.attentionHeads, 3)
        XCTAssertEqual(u.configuration.blocksPerLevel, 2)
        // Multipliers default to 1, 2, 2, … and the description (every key) reads back to the same spec.
        XCTAssertEqual(try unet("levels = 4, channels = 4, groups = 2").configuration.multipliers, [1, 2, 2, 2])
        let text = ConfigValue.array([LayerSpec.unet(u).configValue]).tomlLiteral
        XCTAssertEqual(try parse(text).spec?.layers, [.unet(u)], text)
        XCTAssertEqual(LayerSpec.unet(u).typeName, "unet")
        XCTAssertTrue(LayerSpec.typeNames.contains("unet"))
    }

    func testBadValuesAreRefusedNamingTheKey() throws {
        try assertRefused("levels = 0", key: "levels", "0 is out of range")
        try assertRefused("levels = 99", key: "levels", "99 is out of range")
        try assertRefused("levels = 2, multipliers = [1, 2, 2]", key: "multipliers", "3 entries for 2 levels")
        try assertRefused("multipliers = [1, 0, 2]", key: "multipliers", "integers in 1...64")
        try assertRefused("channels = 7", key: "channels", "even channel count")
        try assertRefused("channels = nan", key: "channels", "found float")
        try assertRefused("channels = 9223372036854775807", key: "channels", "out of range")
        try assertRefused("blocks = 0", key: "blocks", "out of range")
        try assertRefused("blocks = inf", key: "blocks", "found float")
        try assertRefused("groups = 1e300", key: "groups", "found float")
        try assertRefused("groups = -8", key: "groups", "out of range")
        try assertRefused("heads = 2", key: "heads", "only with attention = true")
        try assertRefused("attention = true, heads = 1000", key: "heads", "out of range")
        try assertRefused("attention = 1", key: "attention", "true or false")
        try assertRefused("level = 2", key: "level", "did you mean `levels`")
    }

    func testShapeChecksNameTheLayerAndTheFix() throws {
        let side16 = [16 * 16 + 1]
        XCTAssertNil(try shapeProblem("[{ type = \"unet\", levels = 3, channels = 8, groups = 4 }]", input: side16))
        // Groups must divide every level's channels, heads the lowest level's.
        let groups = try shapeProblem("[{ type = \"unet\", levels = 2, channels = 6, groups = 4 }]", input: side16)
        XCTAssertEqual(groups?.path, "model.layers[0]")
        XCTAssertTrue(groups?.message.contains("groups = 4 must divide every level's channels [6, 12]") ?? false, "\(String(describing: groups))")
        XCTAssertTrue(groups?.fix.contains("e.g. 6") ?? false, "\(String(describing: groups))")
        let heads = try shapeProblem("[{ type = \"unet\", levels = 2, channels = 4, groups = 2, attention = true, heads = 3 }]", input: side16)
        XCTAssertTrue(heads?.message.contains("heads = 3 must divide the lowest level's 8 channels") ?? false, "\(String(describing: heads))")
        // The side must halve levels − 1 times: 12 = 4·3 takes 3 levels, not 4.
        let side12 = [12 * 12 + 1]
        XCTAssertNil(try shapeProblem("[{ type = \"unet\", levels = 3, channels = 4, groups = 2 }]", input: side12))
        let side = try shapeProblem("[{ type = \"unet\", levels = 4, channels = 4, groups = 2 }]", input: side12)
        XCTAssertTrue(side?.message.contains("the side must be a multiple of 8") ?? false, "\(String(describing: side))")
        XCTAssertTrue(side?.fix.contains("levels ≤ 3") ?? false, "\(String(describing: side))")
        // Rows that are not a square field then t: a vector of other length, an image.
        for input in [[16 * 16], [11], [16, 16, 1]] {  // [10] would be a 3 × 3 field then t
            let p = try shapeProblem("[{ type = \"unet\", levels = 1, channels = 4, groups = 2 }]", input: input)
            XCTAssertTrue(p?.message.contains("N² + 1 values") ?? false, "\(input): \(String(describing: p))")
            XCTAssertTrue(p?.fix.contains("gaussian-random-field") ?? false)
        }
        // A unet is the whole model: not after another layer, not inside a composite.
        let after = try shapeProblem("[{ type = \"dense\", units = 257 }, { type = \"unet\", levels = 1, channels = 4, groups = 2 }]", input: side16)
        XCTAssertEqual(after?.path, "model.layers[1]")
        XCTAssertTrue(after?.fix.contains("the only layer") ?? false, "\(String(describing: after))")
        let inside = try shapeProblem("[{ type = \"residual\", layers = [{ type = \"unet\", levels = 1, channels = 4, groups = 2 }] }]", input: side16)
        XCTAssertEqual(inside?.path, "model.layers[0].layers[0]")
        XCTAssertTrue(inside?.message.contains("whole model") ?? false, "\(String(describing: inside))")
    }

    /// The analytic count (used for validation and the memory estimate) is the built model's.
    func testParameterCountIsTheBuiltModels() throws {
        let cases: [(side: Int, keys: String)] = [
            (8, "levels = 1, channels = 4, groups = 2"),
            (8, "levels = 1, channels = 4, groups = 2, attention = true, heads = 2"),
            (8, "levels = 2, channels = 4, groups = 2, blocks = 2"),
            (16, "levels = 2, channels = 6, groups = 3, attention = true, heads = 3"),
            (16, "levels = 3, channels = 4, groups = 2, multipliers = [1, 2, 3], attention = true, heads = 4"),
            (16, "levels = 3, channels = 4, groups = 4, multipliers = [2, 1, 3], blocks = 2"),
            (16, "levels = 2, channels = 8, groups = 8, multipliers = [1, 1], blocks = 2, attention = true, heads = 2"),
        ]
        for (side, keys) in cases {
            let spec = try XCTUnwrap(try parse("[{ type = \"unet\", \(keys) }]").spec, keys)
            guard case .unet(let u) = spec.layers[0] else { return XCTFail(keys) }
            let model = try spec.build(input: .vector(side * side + 1), batch: 1, seed: 1)
            XCTAssertEqual(u.configuration.parameterCount(fieldChannels: 1), model.store.count, keys)
            XCTAssertEqual(try spec.shapes(input: .vector(side * side + 1)).get().parameters, model.store.count, keys)
            XCTAssertEqual(model.outputShape, .image(height: side, width: side, channels: 1), keys)
        }
    }

    func testFieldSideOfARow() {
        XCTAssertEqual(UNetSpec.fieldSide(rowElements: 16 * 16 + 1), 16)
        XCTAssertEqual(UNetSpec.fieldSide(rowElements: 2), 1)
        XCTAssertNil(UNetSpec.fieldSide(rowElements: 1))
        XCTAssertNil(UNetSpec.fieldSide(rowElements: 16 * 16))
        XCTAssertNil(UNetSpec.fieldSide(rowElements: 0))
    }
}
