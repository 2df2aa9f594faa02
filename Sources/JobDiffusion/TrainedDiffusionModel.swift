import Diffusion
import Foundation
import JobKit
import Learning
import Parallel
import Storage

/// A diffusion model read back from a `train` run's training.h5: the U-Net rebuilt from `/diffusion`'s
/// attributes, its weights (`/model_ema` or `/model`) checked against the rebuilt model tensor by tensor,
/// the schedule from the stored β and the normalisation to undo.
///
/// Reading refuses, naming the file (and the dataset or attribute): a missing or non-HDF5 file, one
/// without `/diffusion` (not a diffusion training), missing or impossible attributes, tensors whose names,
/// shapes or count differ from the rebuilt U-Net, and NaN or Inf weights.
struct TrainedDiffusionModel {
    /// What the U-Net and schedule need, from `/diffusion`.
    struct Description {
        var side: Int
        var configuration: UNet.Configuration
        var betas: [Double]
        var prediction: String
        var normalizationScale: Double
        var emaUpdates: Int
        /// Every attribute of `/diffusion`, copied into the samples file.
        var attributes: [String: AttributeValue]
    }

    let file: String
    let description: Description
    /// The group the weights come from (`/model_ema` or `/model`).
    let group: String
    /// The weights in the rebuilt model's store order.
    let values: [Float]
    /// The schedule the model was trained with.
    let schedule: NoiseSchedule

    /// Reads and checks `file` (a one-rank communicator: every rank reads the same small file).
    init(file: String, weights: SampleWeights, solo: Communicator) throws {
        let key = "model.file"
        guard FileManager.default.fileExists(atPath: file) else {
            throw RunError("`\(key)` = \"\(file)\": no such file (fix: give the training.h5 of a diffusion `train` run)")
        }
        let h5: H5File
        do { h5 = try H5File.open(file, communicator: solo) } catch {
            throw RunError("`\(key)` = \"\(file)\": cannot be read as HDF5: \(error)")
        }
        defer { try? h5.close() }
        guard try h5.kind(of: "/diffusion") == .group else {
            throw RunError("`\(key)` = \"\(file)\" has no /diffusion group, so it is not the training of a diffusion model (fix: train one with data.kind = \"snapshots\" or \"gaussian-random-field\" and a unet layer)")
        }
        let d = try Self.describe(try h5.attributes(of: "/diffusion"), file: file)
        let group = weights == .ema ? "/model_ema" : "/model"
        if weights == .ema {
            guard try h5.kind(of: group) == .group, d.emaUpdates > 0 else {
                throw RunError("`model.weights` = \"ema\": \"\(file)\" holds no moving average of the weights (/model_ema missing or /diffusion ema_updates = \(d.emaUpdates): trained with diffusion.ema_decay = 0 or for no step); fix: model.weights = \"raw\"")
            }
        } else {
            guard try h5.kind(of: group) == .group else {
                throw RunError("`\(key)` = \"\(file)\" has no /model group (fix: give a complete training.h5)")
            }
        }
        self.file = file
        self.description = d
        self.group = group
        do { schedule = try NoiseSchedule(betas: d.betas) } catch {
            throw RunError("`\(key)` = \"\(file)\": /diffusion betas: \(error)")
        }
        values = try Self.readWeights(h5, group: group, file: file, description: d)
    }

    /// The U-Net (weights not loaded) for batches of `batch` fields. Throws for attributes the U-Net refuses.
    static func build(_ d: Description, batch: Int, file: String) throws -> Sequential {
        let side = d.side
        do {
            return try Sequential(input: .vector(side * side + 1), batch: batch, seed: 0,
                                  [UNet(field: .image(height: side, width: side, channels: 1), configuration: d.configuration)])
        } catch let e as ShapeError {
            throw RunError("`model.file` = \"\(file)\": the U-Net of /diffusion's attributes cannot be built on \(side)² fields: \(e) (fix: the file's unet_* attributes were edited or the file is damaged; retrain)")
        }
    }

    /// The network with these weights, for batches of `batch` fields.
    func model(batch: Int) throws -> Sequential {
        let m = try Self.build(description, batch: batch, file: file)
        values.withUnsafeBufferPointer { src in
            m.store.withUnsafeMutableValues { dst in _ = dst.update(fromContentsOf: src) }
        }
        return m
    }

    /// `/diffusion`'s attributes, each checked for presence, type and range before the U-Net's
    /// preconditions could see it.
    static func describe(_ a: [String: AttributeValue], file: String) throws -> Description {
        func fail(_ name: String, _ what: String) -> RunError {
            RunError("`model.file` = \"\(file)\": /diffusion attribute \(name) \(what) (fix: give an unmodified training.h5 of a diffusion `train` run)")
        }
        func int(_ name: String, _ range: ClosedRange<Int>) throws -> Int {
            guard let v = a[name]?.intValue else { throw fail(name, "is missing or not an integer") }
            guard range.contains(v) else { throw fail(name, "= \(v) is outside \(range.lowerBound) … \(range.upperBound)") }
            return v
        }
        func ints(_ name: String) throws -> [Int] {
            guard case .ints(let v)? = a[name] else {
                if let one = a[name]?.intValue { return [one] }
                throw fail(name, "is missing or not a list of integers")
            }
            return v
        }
        let side = try int("field_side", 4 ... 4096)
        let levels = try int("unet_levels", 1 ... 12)
        let channels = try int("unet_channels", 2 ... 4096)
        let multipliers = try ints("unet_multipliers")
        guard multipliers.allSatisfy({ (1 ... 64).contains($0) }) else {
            throw fail("unet_multipliers", "= \(multipliers) is not one multiplier in 1 … 64 per level (unet_levels = \(levels))")
        }
        let blocks = try int("unet_blocks", 1 ... 64)
        let groups = try int("unet_groups", 1 ... 4096)
        let attention = try int("unet_attention", 0 ... 1) == 1
        let heads = try int("unet_heads", 1 ... 4096)
        let configuration = UNet.Configuration(levels: levels, channels: channels, multipliers: multipliers, blocksPerLevel: blocks,
                                               groups: groups, attention: attention, attentionHeads: heads)
        // Learning's rules, worded with the attributes' names.
        if let problem = configuration.problems(side: side).first {
            switch problem {
            case .oddChannels(let c):
                throw fail("unet_channels", "= \(c) is odd (the time embedding needs an even width)")
            case let .multiplierCount(m, l):
                throw fail("unet_multipliers", "= \(m) is not one multiplier in 1 … 64 per level (unet_levels = \(l))")
            case let .sideNotMultiple(n, _, factor):
                throw fail("field_side", "= \(n) is not a multiple of 2^(unet_levels − 1) = \(factor)")
            case let .groupsDoNotDivide(g, c, _):
                throw fail("unet_groups", "= \(g) does not divide every level's channels \(c)")
            case let .headsDoNotDivide(h, lowest):
                throw fail("unet_heads", "= \(h) does not divide the lowest level's \(lowest) channels")
            }
        }
        let timesteps = try int("timesteps", 1 ... 100_000)
        guard case .doubles(let betas)? = a["betas"] else { throw fail("betas", "is missing or not a list of numbers") }
        guard betas.count == timesteps else { throw fail("betas", "has \(betas.count) entries for timesteps = \(timesteps)") }
        guard let prediction = a["prediction"]?.stringValue, ["noise", "velocity"].contains(prediction) else {
            throw fail("prediction", "is missing or neither \"noise\" nor \"velocity\"")
        }
        guard let scale = a["normalization_scale"]?.doubleValue, scale.isFinite, scale > 0 else {
            throw fail("normalization_scale", "is missing or not a positive finite number")
        }
        let updates = a["ema_updates"]?.intValue ?? 0
        return Description(side: side, configuration: configuration, betas: betas, prediction: prediction,
                           normalizationScale: scale, emaUpdates: updates, attributes: a)
    }

    /// The tensors of `group` in the rebuilt model's store order, refusing missing, extra or
    /// misshapen tensors and non-finite values.
    static func readWeights(_ h5: H5File, group: String, file: String, description d: Description) throws -> [Float] {
        let reference = try build(d, batch: 1, file: file)
        let views = reference.store.views
        let stored = Set(try h5.contents().filter { $0.kind == .dataset }.map(\.path)
                            .filter { $0.hasPrefix(group + "/") }.map { String($0.dropFirst(group.count + 1)) })
        let expected = Set(views.map(\.name))
        if let extra = stored.subtracting(expected).sorted().first {
            throw RunError("`model.file` = \"\(file)\": dataset \(group)/\(extra) is not a parameter of the U-Net that /diffusion describes (\(views.count) tensors, \(reference.store.count) parameters; the file holds \(stored.count)); fix: the file's unet_* attributes do not match its weights, retrain or restore the file")
        }
        var values = [Float](repeating: 0, count: reference.store.count)
        for v in views {
            let path = group + "/" + v.name
            guard stored.contains(v.name) else {
                throw RunError("`model.file` = \"\(file)\": dataset \(path) (shape \(v.shape)) is missing: the weights do not match the U-Net that /diffusion describes (fix: retrain or restore the file)")
            }
            let shape = try h5.shape(of: path)
            guard shape == v.shape else {
                throw RunError("`model.file` = \"\(file)\": dataset \(path) has shape \(shape) but the U-Net that /diffusion describes needs \(v.shape) (fix: the unet_* attributes do not match the weights; retrain or restore the file)")
            }
            let tensor = try h5.read(path, as: Float.self)
            if let bad = tensor.firstIndex(where: { !$0.isFinite }) {
                throw RunError("`model.file` = \"\(file)\": dataset \(path) holds \(tensor[bad]) at element \(bad): the training diverged or the file is damaged (fix: use another checkpoint or model.weights = \"\(group == "/model" ? "ema" : "raw")\")")
            }
            values.replaceSubrange(v.range, with: tensor)
        }
        return values
    }
}
