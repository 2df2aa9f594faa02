import Foundation
import Parallel
import Storage
import XCTest
@testable import JobTrain
import Learning
import JobKit

/// training.h5 and wide_sweep.h5 written from plain values and read back with Storage.
final class OutputFileTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "cascade-jobtrain-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    func testTrainingFileLayout() throws {
        var h = TrainingHistory()
        h.record(step: 10, loss: 0.5, accuracy: 0.75, gradNorm: 2, learningRate: 1e-3, samplesPerSecond: 1000, allreduceHiddenFraction: 0.5)
        h.record(step: 20, loss: 0.25, accuracy: 0.875, gradNorm: 1, learningRate: 1e-3, samplesPerSecond: 1100)
        h.recordEval(step: 20, loss: 0.3, accuracy: 0.8)
        let (spec, _) = ModelSpec.parse(input: [3], layers: ConfigTablesFixture.dense(2))
        let model = try XCTUnwrap(spec).build(batch: 1, seed: 3)
        let record = ModelRecord(model: model, spec: spec!)
        let bayes = BayesSummary(networkAccuracy: 0.9, bayesAccuracy: 0.91, bayesAccuracyStandardError: 0.003, bayesAccuracyClosedForm: 0.912, agreement: 0.97,
                                    logitCorrelation: 0.95, samples: 1000)
        let path = directory + "/training.h5"
        try TrainingFile.write(path: path, history: h, model: record, bayes: bayes, attributes: ["kind": .string("train")],
                               communicator: .world)
        let f = try H5File.open(path)
        defer { try? f.close() }
        XCTAssertEqual(try f.read("/metrics/step", as: Int.self), [10, 20])
        XCTAssertEqual(try f.read("/metrics/loss", as: Double.self), [0.5, 0.25])
        XCTAssertEqual(try f.read("/metrics/samples_per_second", as: Double.self), [1000, 1100])
        XCTAssertEqual(try f.read("/metrics/allreduce_hidden_fraction", as: Double.self), [0.5, 1])
        XCTAssertEqual(try f.read("/eval/accuracy", as: Double.self), [0.8])
        XCTAssertEqual(try f.read("/model/0.weight", as: Float.self), Array(model.store.values[model.store.views[0].range]))
        XCTAssertEqual(try f.shape(of: "/model/0.weight"), [2, 3])
        XCTAssertEqual(try f.attribute("layer", of: "/model/0.weight"), .string("Dense(3→2)"))
        XCTAssertEqual(try f.attribute("shape", of: "/model/0.bias"), .ints([2]))
        XCTAssertEqual(try f.attribute("key", of: "/model/0.bias"), .string("model.layers[0]"))
        XCTAssertEqual(try f.attribute("description", of: "/model")?.stringValue, spec!.description)
        XCTAssertEqual(try f.read("/bayes/agreement", as: Double.self), [0.97])
        XCTAssertEqual(try f.read("/bayes/bayes_accuracy_closed_form", as: Double.self), [0.912])
        XCTAssertEqual(try f.read("/bayes/bayes_accuracy_stderr", as: Double.self), [0.003])
        XCTAssertEqual(try f.attribute("kind"), .string("train"))
    }

    func testEmptyHistoryAndNoBayesStillWrite() throws {
        let (spec, _) = ModelSpec.parse(input: [3], layers: ConfigTablesFixture.dense(1))
        let model = try spec!.build(batch: 1, seed: 0)
        let path = directory + "/t.h5"
        try TrainingFile.write(path: path, history: TrainingHistory(), model: ModelRecord(model: model, spec: spec!), bayes: nil,
                               attributes: [:], communicator: .world)
        let f = try H5File.open(path)
        defer { try? f.close() }
        XCTAssertEqual(try f.shape(of: "/metrics/loss"), [0])
        XCTAssertFalse(try f.exists("/bayes"))
    }

    func testSlopeRecoversAPowerLawAndItsError() {
        let widths = [64, 128, 256, 512, 1024].flatMap { [$0, $0] }
        let exact = widths.map { 3 * pow(Double($0), -0.5) }
        let fit = WideSweepFile.slope(widths: widths, values: exact)
        XCTAssertEqual(fit.slope, -0.5, accuracy: 1e-12)
        XCTAssertEqual(fit.standardError, 0, accuracy: 1e-12)
        // Scatter ±10% alternating by seed: the slope stays, the error is the OLS formula's.
        let noisy = exact.enumerated().map { $0.element * ($0.offset % 2 == 0 ? 1.1 : 0.9) }
        let n = WideSweepFile.slope(widths: widths, values: noisy + [Double.nan])
        XCTAssertEqual(n.points, 10)
        XCTAssertEqual(n.slope, -0.5, accuracy: 1e-12)
        let r = (log(1.1) - log(0.9)) / 2
        let sxx = [64.0, 128, 256, 512, 1024].map { l in pow(log(l) - log(256), 2) }.reduce(0, +) * 2
        XCTAssertEqual(n.standardError, (10 * r * r / 8 / sxx).squareRoot(), accuracy: 1e-12)
        XCTAssertTrue(WideSweepFile.slope(widths: [64, 64], values: [1, 2]).slope.isNaN)
    }

    func testWideSweepFileLayoutAndSlopes() throws {
        let widths = [64, 256, 1024], seeds = [1, 2]
        var results: [WideRunResult] = []
        for w in widths {
            for s in seeds {
                let x = pow(Double(w), -0.5)
                results.append(WideRunResult(width: w, seed: s, relativeWeightChange: x, linearizationGap: x * x, ntkChange: x,
                                             secondOrderRatio: .nan, finalLoss: 0.1, parameters: 10 * w))
            }
        }
        let path = directory + "/wide_sweep.h5"
        try WideSweepFile.write(path: path, widths: widths, seeds: seeds, results: Array(results.dropLast()), attributes: [:], communicator: .world)
        let f = try H5File.open(path)
        defer { try? f.close() }
        XCTAssertEqual(try f.read("/widths", as: Int.self), widths)
        XCTAssertEqual(try f.shape(of: "/relative_weight_change"), [3, 2])
        let rwc = try f.read("/relative_weight_change", as: Double.self)
        XCTAssertEqual(rwc[2], 1.0 / 16, accuracy: 1e-15)
        XCTAssertTrue(rwc[5].isNaN)   // the missing run
        XCTAssertEqual(try f.attribute("slope", of: "/linearization_gap")?.doubleValue ?? 0, -1, accuracy: 1e-12)
        XCTAssertEqual(try f.attribute("slope", of: "/ntk_change")?.doubleValue ?? 0, -0.5, accuracy: 1e-12)
        XCTAssertTrue(try f.attribute("slope", of: "/second_order_ratio")?.doubleValue?.isNaN ?? false)
        XCTAssertEqual(try f.read("/parameters", as: Int.self), [640, 2560, 10240])
    }

    func testSweepAssignmentCoversEveryRunOnce() {
        let widths = [64, 128, 256], seeds = [1, 2, 3]
        for ranks in 1 ... 4 {
            let parts = (0 ..< ranks).map { WideSweepJob.assignment(widths: widths, seeds: seeds, distribute: .runs, rank: $0, ranks: ranks) }
            let all = parts.flatMap { $0 }.map { "\($0.width)/\($0.seed)" }
            XCTAssertEqual(all.count, 9)
            XCTAssertEqual(Set(all).count, 9)
            XCTAssertEqual(parts[0].first?.width, 256)   // widest first
        }
        XCTAssertEqual(WideSweepJob.assignment(widths: widths, seeds: seeds, distribute: .data, rank: 1, ranks: 2).count, 9)
    }
}

/// Small layer lists for the file tests.
enum ConfigTablesFixture {
    static func dense(_ units: Int) -> ConfigTables {
        ConfigTables([["type": .string("dense"), "units": .int(units)]])
    }
}
