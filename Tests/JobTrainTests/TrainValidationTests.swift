import XCTest
import JobCatalog
@testable import JobKit
@testable import JobTrain

/// Bad `train` job files: each refused before anything runs, with the exact key named.
final class TrainValidationTests: XCTestCase, JobFileRefusals {
    static let base = """
        kind = "train"
        [data]
        kind = "teacher-student"
        samples = 512
        dimension = 8
        [model]
        input = [8]
        [[model.layers]]
        type = "dense"
        units = 16
        [[model.layers]]
        type = "relu"
        [[model.layers]]
        type = "dense"
        units = 1
        [train]
        steps = 10
        batch = 32

        """

    func testBaseIsValidAndDecodes() throws {
        let job = try load(Self.base)
        let p = TrainParameters.decode(job.config)
        XCTAssertEqual(p.model.layers.tables.count, 3)
        XCTAssertEqual(p.train.batch, 32)
        XCTAssertEqual(job.outputs, ["training.h5", "checkpoint.h5"])
        // Every key has a declaration with a doc, and the resolved file reads back the same.
        let again = try load(job.config.values.tomlDocument)
        XCTAssertEqual(again.config.values, job.config.values)
    }

    func testLayerKeyProblemsNameTheLayerAndKey() {
        assertRefused(["model.layers=[{type=\"dense\"},{type=\"dense\",units=1}]"], [("model.layers[0].units", "required")])
        assertRefused(["model.layers=[{type=\"dense\",unit=4},{type=\"dense\",units=1}]"],
                      [("model.layers[0].units", "required"), ("model.layers[0].unit", "did you mean `units`")])
        assertRefused(["model.layers=[{type=\"relux\"},{type=\"dense\",units=1}]"], [("model.layers[0].type", "did you mean \"relu\"")])
        assertRefused(["model.layers=[{units=4},{type=\"dense\",units=1}]"], [("model.layers[0].type", "required")])
        assertRefused(["model.layers=[{type=\"dense\",units=0}]"], [("model.layers[0].units", "out of range")])
        assertRefused(["model.layers=[{type=\"dense\",units=4.0}]"], [("model.layers[0].units", "found float")])
        assertRefused(["model.layers=[{type=\"dense\",units=1,init=\"lecun\"}]"], [("model.layers[0].init", "one of \"he\", \"glorot\", \"ntk\"")])
        assertRefused(["model.layers=[{type=\"dense\",units=1,beta=0.5}]"], [("model.layers[0].beta", "only with init = \"ntk\"")])
        assertRefused(["model.layers=[{type=\"tanh\",units=3},{type=\"dense\",units=1}]"], [("model.layers[0].units", "no keys besides `type`")])
        assertRefused(["model.layers=[1, 2]"], [("model.layers", "not a table")])
    }

    func testEveryLayerTypeParsesAndIsCheckedForRange() {
        // Composite layers validate (and build: problems(in:) builds a batch-1 model).
        XCTAssertNoThrow(try load(Self.base, overrides: ["model.layers=[{type=\"dense\",units=4},{type=\"residual\",layers=[{type=\"dense\",units=4}]},{type=\"dense\",units=1}]"]))
        assertRefused(["model.layers=[{type=\"conv2d\",channels=4,stride=3},{type=\"dense\",units=1}]"], [("model.layers[0].stride", "one of 1, 2")])
        assertRefused(["model.layers=[{type=\"conv2d\",channels=4,kernel=5},{type=\"dense\",units=1}]"], [("model.layers[0].kernel", "one of 1, 3")])
        assertRefused(["model.layers=[{type=\"conv2d\",channels=4,padding=\"reflect\"},{type=\"dense\",units=1}]"], [("model.layers[0].padding", "\"zero\", \"periodic\"")])
        assertRefused(["model.layers=[{type=\"conv2d\",kernel=1},{type=\"dense\",units=1}]"], [("model.layers[0].channels", "required")])
        assertRefused(["model.layers=[{type=\"avgpool\",factor=1},{type=\"dense\",units=1}]"], [("model.layers[0].factor", "out of range")])
        assertRefused(["model.layers=[{type=\"groupnorm\"},{type=\"dense\",units=1}]"], [("model.layers[0].groups", "required")])
        assertRefused(["model.layers=[{type=\"residual\"},{type=\"dense\",units=1}]"], [("model.layers[0].layers", "required")])
        assertRefused(["model.layers=[{type=\"residual\",layers=[{type=\"dense\",units=8},{type=\"gelu\",x=1}]},{type=\"dense\",units=1}]"],
                      [("model.layers[0].layers[1].x", "not a key of a gelu layer")])
        assertRefused(["model.layers=[{type=\"concat\",branches=[[{type=\"dense\"}], []]},{type=\"dense\",units=1}]"],
                      [("model.layers[0].branches[0][0].units", "required")])
        assertRefused(["model.layers=[{type=\"concat\",branches=[[]]},{type=\"dense\",units=1}]"], [("model.layers[0].branches", "2 or more branches")])
    }

    func testShapesThatDoNotChainNameTheLayerAndBothShapes() {
        // conv2d on a vector (after a dense layer): the layer's key and both shapes.
        let found = problems(Self.base, ["model.layers=[{type=\"dense\",units=16},{type=\"conv2d\",channels=4},{type=\"dense\",units=1}]"])
        let shape = found.first { $0.message.contains("needs an image") }
        XCTAssertEqual(shape?.path, "model.layers[1]")
        XCTAssertTrue(shape?.message.contains("[16]") ?? false, "\(found)")
        let stride = problems(Self.base, ["model.input=[7, 8, 1]", "data.kind=hdf5", "data.file=x.h5", "data.targets=y",
                                          "model.layers=[{type=\"conv2d\",channels=4,stride=2},{type=\"dense\",units=1}]"])
        // The file's shape is known once it is open, but the spec is checked from its own model.input now.
        XCTAssertTrue(stride.contains { $0.path == "model.layers[0]" && $0.message.contains("stride 2 needs an even height and width but receives [7, 8, 1]") }, "\(stride)")
        XCTAssertEqual(stride.count, 1, "the only problem is the stride: \(stride)")
        let residual = problems(Self.base, ["model.layers=[{type=\"residual\",layers=[{type=\"dense\",units=4}]},{type=\"dense\",units=1}]"])
        XCTAssertTrue(residual.contains { $0.path == "model.layers[0]" && $0.message.contains("[8] into [4]") }, "\(residual)")
        assertRefused(["model.input=[16]"], [("model.input", "[16] but the data's samples have shape [8]")])
        assertRefused(["model.input=[2, 8]"], [("model.input", "2 extents")])
    }

    func testModelAndLossMustAgreeWithTheData() {
        assertRefused(["model.layers=[{type=\"dense\",units=3}]"], [("model.layers[0]", "output [3] does not fit mse on 1 output(s)")])
        assertRefused(["loss.kind=cross-entropy"], [("loss.kind", "needs class labels")])
        assertRefused(["loss.kind=softmax"], [("loss.kind", "is not allowed")])
    }

    func testBatchMustDivideOverTheRanks() {
        assertRefused(["train.batch=30"], [("train.batch", "does not divide over 4 ranks")], ranks: 4)
        let p = problems(Self.base, ["train.batch=30"], ranks: 4)
        XCTAssertTrue(p.first?.fix.contains("28 or 32") ?? false, "\(p)")
        XCTAssertNoThrow(try load(Self.base, overrides: ["train.batch=32"], ranks: 4))
        assertRefused(["train.batch=1024"], [("train.batch", "larger than the 512 training samples")])
    }

    func testOptimiserAndScheduleChecks() {
        assertRefused(["optimizer.kind=adamm"], [("optimizer.kind", "did you mean \"adam\"")])
        assertRefused(["optimizer.nesterov=true", "optimizer.kind=sgd"], [("optimizer.nesterov", "momentum > 0")])
        assertRefused(["optimizer.momentum=0.9"], [("optimizer.momentum", "applies to sgd only")])
        assertRefused(["schedule.kind=cosine", "schedule.warmup_steps=10"], [("schedule.warmup_steps", "nothing of the 10 steps")])
        assertRefused(["schedule.kind=warmup"], [("schedule.warmup_steps", "is 0")])
        assertRefused(["schedule.min_lr=1"], [("schedule.min_lr", "above optimizer.lr")])
        assertRefused(["train.steps=0"], [("train.steps", "nothing to train")])
        assertRefused(["train.epochs=2"], [("train.epochs", "together with train.steps")])
        XCTAssertNoThrow(try load(Self.base, overrides: ["train.steps=0", "train.epochs=2"]))
    }

    func testDataSourceKeys() {
        assertRefused(["data.kind=hdf5"], [("data.file", "required"), ("data.labels", "neither")])
        assertRefused(["data.kind=hdf5", "data.file=a.h5", "data.labels=y"], [("data.classes", "number of classes")])
        assertRefused(["data.kind=gaussian-mixture", "data.test_samples=0"], [("data.test_samples", "Bayes-optimal")])
        assertRefused(["data.kind=gaussian-mixture", "data.dimension=9000", "model.input=[]"], [("data.dimension", "≤ 8192")])
        assertRefused(["data.kind=gaussian-mixture", "data.mean_direction=eigenvector", "data.mean_index=0"], [("data.mean_index", "1…8")])
        assertRefused(["data.kind=gaussian-mixture", "data.mean_direction=axis", "data.mean_index=8"], [("data.mean_index", "0…7")])
        assertRefused(["data.kind=gaussian-mixture", "data.prior1=1"], [("data.prior1", "too large")])
        assertRefused(["data.kind=gaussian-mixture", "data.separation_measure=cosine"], [("data.separation_measure", "mahalanobis")])
        XCTAssertNoThrow(try load(Self.base, overrides: ["data.kind=gaussian-mixture", "data.mean_direction=axis", "data.mean_index=7", "data.prior1=0.3"]))
    }

    func testMemoryEstimateCountsParametersOptimiserAndActivations() {
        let p = TrainParameters.decode(try! load(Self.base).config)
        let m = TrainJob.memoryEstimate(p, ranks: 1)
        // 8·16 + 16 + 16·1 + 1 = 161 parameters × (values, gradients, Adam m and v) × 4 bytes.
        XCTAssertEqual(m.items.first?.bytes, 161 * 4 * 4)
        // (16 + 16 + 1) activations × 2 (outputs and input gradients) + 8 inputs, × 32 samples × 4 bytes.
        XCTAssertEqual(m.items.last?.bytes, Double((2 * 33 + 8) * 32 * 4))
        let huge = problems(Self.base, ["model.layers=[{type=\"dense\",units=100000},{type=\"dense\",units=100000},{type=\"dense\",units=1}]"])
        XCTAssertTrue(huge.contains { $0.message.contains("the job needs about") }, "\(huge)")
    }
}
