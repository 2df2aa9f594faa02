import XCTest
import Learning

/// The U-Net's one validation (each rule refused with its numbers, valid sizes accepted and
/// built), its analytic parameter count against built models and its activation count against
/// a hand count.
final class UNetConfigurationTests: XCTestCase {
    func config(levels: Int, channels: Int, multipliers: [Int]? = nil, blocks: Int = 1, groups: Int,
                attention: Bool = false, heads: Int = 1) -> UNet.Configuration {
        UNet.Configuration(levels: levels, channels: channels, multipliers: multipliers, blocksPerLevel: blocks, groups: groups,
                           attention: attention, attentionHeads: heads)
    }

    /// Builds the U-Net on `side`² fields of `fieldChannels` channels (throws what its build throws).
    func built(_ c: UNet.Configuration, side: Int, fieldChannels: Int = 1) throws -> Sequential {
        let field = TensorShape.image(height: side, width: side, channels: fieldChannels)
        return try Sequential(input: .vector(field.elements + 1), batch: 1, seed: 1, [UNet(field: field, configuration: c)])
    }

    func testValidSizesAreAcceptedAndBuild() throws {
        let valid = config(levels: 3, channels: 8, multipliers: [1, 2, 3], blocks: 2, groups: 4, attention: true, heads: 2)
        XCTAssertEqual(valid.problems(side: 16), [])
        XCTAssertEqual(valid.problems(side: nil), [])
        XCTAssertNoThrow(try built(valid, side: 16))
        // Heads only count with attention; one level never halves the side.
        XCTAssertEqual(config(levels: 2, channels: 4, groups: 2, heads: 3).problems(side: 8), [])
        XCTAssertEqual(config(levels: 1, channels: 4, groups: 2).problems(side: 7), [])
    }

    func testEachRuleIsRefusedWithItsNumbers() throws {
        XCTAssertEqual(config(levels: 1, channels: 7, groups: 1).problems(side: 8), [.oddChannels(channels: 7)])
        XCTAssertEqual(config(levels: 2, channels: 4, multipliers: [1, 2, 2], groups: 1).problems(side: 8),
                       [.multiplierCount(multipliers: [1, 2, 2], levels: 2)])
        XCTAssertEqual(config(levels: 2, channels: 4, multipliers: [], groups: 1).problems(side: 8),
                       [.multiplierCount(multipliers: [], levels: 2)])
        // 12 = 4 · 3 halves twice (3 levels), not three times.
        XCTAssertEqual(config(levels: 3, channels: 4, groups: 2).problems(side: 12), [])
        XCTAssertEqual(config(levels: 4, channels: 4, groups: 2).problems(side: 12), [.sideNotMultiple(side: 12, levels: 4, factor: 8)])
        XCTAssertEqual(config(levels: 4, channels: 4, groups: 2).problems(side: nil), [], "no side, no side rule")
        XCTAssertEqual(config(levels: 2, channels: 6, groups: 4).problems(side: 8),
                       [.groupsDoNotDivide(groups: 4, levelChannels: [6, 12], firstBad: 6)])
        XCTAssertEqual(config(levels: 2, channels: 2, multipliers: [2, 3], groups: 4).problems(side: 8),
                       [.groupsDoNotDivide(groups: 4, levelChannels: [4, 6], firstBad: 6)])
        XCTAssertEqual(config(levels: 2, channels: 4, groups: 2, attention: true, heads: 3).problems(side: 8),
                       [.headsDoNotDivide(heads: 3, lowestChannels: 8)])
        // Every broken rule, in order.
        XCTAssertEqual(config(levels: 3, channels: 3, multipliers: [1, 2], groups: 2, attention: true, heads: 4).problems(side: 6),
                       [.oddChannels(channels: 3), .multiplierCount(multipliers: [1, 2], levels: 3),
                        .sideNotMultiple(side: 6, levels: 3, factor: 4),
                        .groupsDoNotDivide(groups: 2, levelChannels: [3, 6], firstBad: 3), .headsDoNotDivide(heads: 4, lowestChannels: 6)])
    }

    /// The rules the U-Net's build enforces are the ones `problems` reports.
    func testRefusedSizesDoNotBuild() {
        XCTAssertThrowsError(try built(config(levels: 4, channels: 4, groups: 2), side: 12))
        XCTAssertThrowsError(try built(config(levels: 2, channels: 6, groups: 4), side: 8))
        XCTAssertThrowsError(try built(config(levels: 2, channels: 4, groups: 2, attention: true, heads: 3), side: 8))
    }

    func testParameterCountIsTheBuiltModels() throws {
        let cases: [(UNet.Configuration, side: Int)] = [
            (config(levels: 1, channels: 4, groups: 2), 8),
            (config(levels: 1, channels: 4, groups: 2, attention: true, heads: 2), 8),
            (config(levels: 2, channels: 4, blocks: 2, groups: 2), 8),
            (config(levels: 3, channels: 4, multipliers: [2, 1, 3], blocks: 2, groups: 4), 16),
            (config(levels: 2, channels: 8, multipliers: [1, 1], blocks: 2, groups: 8, attention: true, heads: 2), 8),
        ]
        for (c, side) in cases {
            for fieldChannels in [1, 3] {
                let model = try built(c, side: side, fieldChannels: fieldChannels)
                XCTAssertEqual(c.parameterCount(fieldChannels: fieldChannels), model.store.count, "\(c), \(fieldChannels) channels")
            }
        }
    }

    func testActivationsPerSampleAgainstAHandCount() {
        // 2 levels, c = [4, 8], one block, 8 × 8: level 0 (blocks down and up: 2) holds (6·2 + 4) · 4 · 8² = 4096,
        // level 1 (lowest, one block) (6 + 4) · 8 · 4² = 1280.
        XCTAssertEqual(config(levels: 2, channels: 4, groups: 2).activationsPerSample(side: 8), 4096 + 1280)
        // One level, two blocks, 2 channels on 6 × 6: (6·2 + 4) · 2 · 36.
        XCTAssertEqual(config(levels: 1, channels: 2, blocks: 2, groups: 1).activationsPerSample(side: 6), 16 * 2 * 36)
        // 3 levels, c = [2, 6, 4], 2 blocks on 16 × 16: 28 · 2 · 256 + 28 · 6 · 64 + 16 · 4 · 16.
        XCTAssertEqual(config(levels: 3, channels: 2, multipliers: [1, 3, 2], blocks: 2, groups: 1).activationsPerSample(side: 16),
                       28 * 2 * 256 + 28 * 6 * 64 + 16 * 4 * 16)
        // A count beyond Int saturates (a memory check then refuses it) instead of trapping.
        XCTAssertEqual(config(levels: 1, channels: 1 << 40, groups: 1).activationsPerSample(side: 1 << 20), .max)
    }
}
