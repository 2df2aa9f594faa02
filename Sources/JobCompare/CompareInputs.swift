import Foundation
import JobKit
import Parallel
import Storage
import Turbulence

/// One set of fields: the frames of a snapshot file's vorticity dataset that the job compares
/// (an input) or searches (the novelty reference set).
struct CompareInput {
    var name: String
    var file: String
    var frames: [Int]
    /// The side of the stored fields (before coarse-graining).
    var storedSide: Int
    /// The block side c of the coarse-graining: fields are (storedSide/c)² block means.
    var coarsening: Int
    /// The key that sets `coarsening`, for errors (`inputs.coarsen[i]` or `novelty.coarsen`).
    var coarseningKey: String
    /// The key that names the file, for errors (`inputs.files[i]` or `novelty.file`).
    var fileKey: String
    /// The keys that select the frames, for errors.
    var framesKeys: String
    /// The file's path with symbolic links resolved: two sets hold the same field when they
    /// hold the same frame of the same canonical file.
    var canonicalFile: String { URL(fileURLWithPath: file).standardizedFileURL.resolvingSymlinksInPath().path }
}

/// The inputs resolved against their files: one grid for all.
struct ResolvedInputs {
    var n: Int
    var boxLength: Double
    var inputs: [CompareInput]
    /// The novelty reference set (an input's frames, or those of `novelty.file`).
    var reference: CompareInput
    /// The input that is the reference set, nil for `novelty.file`.
    var referenceInput: Int?

    /// Fields of all inputs, in input order: global field t of input i is `offsets[i] + local`.
    var offsets: [Int] { inputs.reduce(into: [0]) { $0.append($0.last! + $1.frames.count) }.dropLast() }
    var totalFields: Int { inputs.reduce(0) { $0 + $1.frames.count } }

    /// Resolves every input and the reference set (metadata only: existence, dataset, shape,
    /// frame ranges, one N and box for all), throwing one error that names the key and the file.
    /// `solo`: a one-rank communicator.
    static func resolve(_ p: CompareParameters, solo: Communicator) throws -> ResolvedInputs {
        let dataset = "/" + p.dataset.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        var inputs: [CompareInput] = []
        var grid: (n: Int, box: Double, key: String, c: Int, cKey: String)? = nil
        func open(_ name: String, label: String, file: String, fileKey: String, first: Int, stride: Int, count: Int,
                  coarsening c: Int, coarseningKey: String, keys: (first: String, count: String)) throws -> CompareInput {
            let (shape, box) = try inspect(file: file, key: fileKey, dataset: dataset, solo: solo)
            let stored = shape[1]
            guard stored % c == 0, stored / c >= minimumSide else {
                throw RunError("`\(coarseningKey)` = \(c) for the \(stored) × \(stored) fields of `\(fileKey)` = \"\(file)\": " + (stored % c != 0 ? "\(c) does not divide \(stored)" : "leaves \(stored / c) × \(stored / c) fields, below \(minimumSide) × \(minimumSide)")
                               + " (fix: a factor that divides \(stored) and leaves at least \(minimumSide) points per side, e.g. \(divisors(of: stored).filter { stored / $0 >= minimumSide }.map(String.init).joined(separator: ", ")))")
            }
            let n = stored / c
            if let g = grid {
                guard g.n == n else {
                    throw RunError(differentSides(file: file, key: fileKey, stored: stored, c: c, cKey: coarseningKey, grid: g))
                }
                guard abs(g.box - box) <= 1e-12 * g.box else {
                    throw RunError("`\(fileKey)` = \"\(file)\" has box_length \(box) but `\(g.key)` has \(g.box): the fields must share one box")
                }
            } else {
                grid = (n, box, fileKey, c, coarseningKey)
            }
            let available = shape[0] > first ? (shape[0] - first + stride - 1) / stride : 0
            guard available > 0 else {
                throw RunError("`\(keys.first)` = \(first): \"\(file)\" (dataset \(dataset)) has \(shape[0]) frames, so the frame range of \(label) is empty (fix: a first frame below \(shape[0]))")
            }
            guard count <= available else {
                throw RunError("`\(keys.count)` = \(count): \"\(file)\" has only \(available) frames from frame \(first) every \(stride) (fix: at most \(available), or 0 for all)")
            }
            let frames = (0 ..< (count == 0 ? available : count)).map { first + $0 * stride }
            return CompareInput(name: name, file: file, frames: frames, storedSide: stored, coarsening: c, coarseningKey: coarseningKey, fileKey: fileKey,
                                framesKeys: "`\(keys.first)`/`\(keys.count)`")
        }
        for (i, name) in p.names.enumerated() {
            inputs.append(try open(name, label: "input \(name)", file: p.files[i], fileKey: "inputs.files[\(i)]",
                                   first: p.first.isEmpty ? 0 : p.first[i], stride: p.stride.isEmpty ? 1 : p.stride[i],
                                   count: p.count.isEmpty ? 0 : p.count[i], coarsening: p.coarsen.isEmpty ? 1 : p.coarsen[i],
                                   coarseningKey: "inputs.coarsen[\(i)]", keys: ("inputs.first[\(i)]", "inputs.count[\(i)]")))
        }
        let referenceInput = p.referenceInput
        let reference = try referenceInput.map { inputs[$0] }
            ?? open("novelty.file", label: "the novelty reference set", file: p.referenceFile, fileKey: "novelty.file", first: p.referenceFirst,
                    stride: p.referenceStride, count: p.referenceCount, coarsening: p.referenceCoarsen, coarseningKey: "novelty.coarsen",
                    keys: ("novelty.first", "novelty.count"))
        if let smallest = inputs.min(by: { $0.frames.count < $1.frames.count }), p.block > smallest.frames.count {
            throw RunError("`bootstrap.block` = \(p.block) is longer than input \(smallest.name), which has \(smallest.frames.count) fields (\(smallest.framesKeys)); fix: a block of at most \(smallest.frames.count) fields")
        }
        let resolved = ResolvedInputs(n: grid!.n, boxLength: grid!.box, inputs: inputs, reference: reference, referenceInput: referenceInput)
        try resolved.checkEveryFieldHasACandidate()
        return resolved
    }

    /// The smallest side of the compared fields (after coarse-graining): the statistics need
    /// separations up to N/2 and at least two of them in the fit range.
    static let minimumSide = 4

    /// The divisors of `n` in increasing order (the factors `inputs.coarsen` may take).
    private static func divisors(of n: Int) -> [Int] { (1 ... n).filter { n % $0 == 0 } }

    /// The refusal of a set whose side after coarse-graining differs from the first set's,
    /// suggesting the factor that would match when the ratio of the sides is an integer.
    private static func differentSides(file: String, key: String, stored: Int, c: Int, cKey: String,
                                       grid g: (n: Int, box: Double, key: String, c: Int, cKey: String)) -> String {
        func side(_ stored: Int, _ c: Int) -> String { c == 1 ? "N = \(stored)" : "N = \(stored)/\(c) = \(stored / c) after coarse-graining" }
        let n = stored / c
        var fixes: [String] = []
        if stored % g.n == 0 {
            fixes.append(stored == g.n ? "set `\(cKey)` = 1 to keep these fields at \(g.n)²" : "set `\(cKey)` = \(stored / g.n) to block-average these fields to \(g.n)²")
        }
        if n < g.n && (g.n * g.c) % n == 0 {
            fixes.append("set `\(g.cKey)` = \(g.n * g.c / n) to block-average the fields of `\(g.key)` to \(n)²")
        }
        let fix = fixes.isEmpty
            ? "compare fields of one resolution: coarse-grain with `inputs.coarsen` / `novelty.coarsen` to a common side, or re-grid one set first"
            : fixes.joined(separator: ", or ")
        return "`\(key)` = \"\(file)\" has \(side(stored, c)) but `\(g.key)` has \(side(g.n * g.c, g.c)) (fix: \(fix))"
    }

    /// The shape and box of `file`'s vorticity dataset, refusing a missing file or dataset and
    /// fields that are not N × N with N ≥ 4.
    private static func inspect(file: String, key: String, dataset: String, solo: Communicator) throws -> (shape: [Int], box: Double) {
        guard FileManager.default.fileExists(atPath: file) else {
            throw RunError("`\(key)` = \"\(file)\": no such file (fix: give the path of a snapshots.h5 file, e.g. an ns2d run's)")
        }
        let h5: H5File
        do { h5 = try H5File.open(file, communicator: solo) } catch {
            throw RunError("`\(key)` = \"\(file)\": cannot be read as HDF5: \(error)")
        }
        defer { try? h5.close() }
        guard try h5.kind(of: dataset) == .dataset else {
            throw RunError("`\(key)` = \"\(file)\" has no dataset \(dataset) (`inputs.dataset`); fix: name the vorticity dataset of the file")
        }
        let shape = try h5.shape(of: dataset)
        guard shape.count == 3 else {
            throw RunError("`\(key)` = \"\(file)\", dataset \(dataset): shape \(shape) is not frames × N × N (fix: use an ns2d snapshots file or one written in its layout)")
        }
        guard shape[1] == shape[2] else {
            throw RunError("`\(key)` = \"\(file)\", dataset \(dataset): fields of \(shape[1]) × \(shape[2]) are not square; the statistics need N × N periodic fields")
        }
        let type = try h5.elementType(of: dataset)
        guard type.isNumber else {
            throw RunError("`\(key)` = \"\(file)\", dataset \(dataset): holds \(type) elements, not numbers (fix: store the vorticity as floating point, float64 or float32)")
        }
        guard shape[1] >= minimumSide else {
            throw RunError("`\(key)` = \"\(file)\", dataset \(dataset): fields of \(shape[1]) × \(shape[2]) are too small (N ≥ \(minimumSide))")
        }
        return (shape, try h5.attribute("box_length")?.doubleValue ?? 2 * Double.pi)
    }

    /// For field `k` of input `i`: the reference field that is the same frame of the same file at
    /// the same coarse-graining (skipped by the novelty search), if any.
    func excludedReference(input i: Int, field k: Int) -> Int? {
        guard inputs[i].canonicalFile == reference.canonicalFile, inputs[i].coarsening == reference.coarsening else { return nil }
        return reference.frames.firstIndex(of: inputs[i].frames[k])
    }

    /// A field is never compared with itself, so a reference set of one field leaves nothing to
    /// compare that very field with: refused here rather than written as NaN.
    private func checkEveryFieldHasACandidate() throws {
        guard reference.frames.count == 1 else { return }
        for (i, input) in inputs.enumerated() {
            for k in input.frames.indices where excludedReference(input: i, field: k) != nil {
                let source = referenceInput == nil ? "`novelty.file`" : "`novelty.reference` (input \(reference.name))"
                throw RunError("the novelty reference set (\(source)) is one field, frame \(input.frames[k]) of \"\(reference.file)\", which is also a field of input \(input.name); a field is never compared with itself, so that field would have no reference to compare with (fix: a reference set of at least two fields, e.g. more frames with \(reference.framesKeys), or another set)")
            }
        }
    }

    /// The separations of the structure functions, checked against N and the fit range.
    func separations(_ p: CompareParameters) throws -> [Int] {
        let chosen = p.separations.isEmpty ? StructureFunctions2D.defaultSeparations(n: n) : Array(Set(p.separations)).sorted()
        if let bad = chosen.first(where: { $0 > n / 2 }) {
            throw RunError("`structure.separations` holds \(bad), above N/2 = \(n / 2) of the inputs (fix: separations up to \(n / 2))")
        }
        let inRange = chosen.filter { $0 >= p.fitRange[0] && $0 <= p.fitRange[1] }
        guard inRange.count >= 2 else {
            throw RunError("`structure.fit_range` = \(p.fitRange) holds \(inRange.count) of the separations \(chosen) (N = \(n)); fix: a range with at least two of them")
        }
        return chosen
    }
}

/// Reads frames of one input on one rank, coarse-grained by the set's factor, checking every
/// stored value is finite. The reads are this process's own (not collective: ranks read different
/// frames), and HDF5 converts any stored integer or floating type to float64, so samples written
/// as float32 by other codes compare like an ns2d run's float64 frames.
final class FrameReader {
    let input: CompareInput
    private let reader: H5RowReader
    /// One stored frame, reused by every read.
    private let frame: UnsafeMutableBufferPointer<Double>

    init(_ input: CompareInput, dataset: String, solo: Communicator) throws {
        self.input = input
        reader = try H5RowReader(file: input.file, dataset: "/" + dataset.trimmingCharacters(in: CharacterSet(charactersIn: "/")))
        frame = .allocate(capacity: input.storedSide * input.storedSide)
    }

    /// Field `k` of the set (frame `input.frames[k]`, coarse-grained), and whether all its stored
    /// values are finite.
    func read(_ k: Int) throws -> (field: [Double], finite: Bool) {
        let s = input.storedSide
        try reader.readRows(start: input.frames[k], count: 1, into: frame.baseAddress!)
        let stored = Array(frame)
        let finite = stored.allSatisfy(\.isFinite)
        return (input.coarsening == 1 ? stored : Self.blockMeans(stored, side: s, block: input.coarsening), finite)
    }

    /// The (n/c)² means over c × c blocks of the n × n `field` (row-major), the coarse-graining of
    /// the train kind's `data.coarsen` (TrainingData's SnapshotFieldSource.coarsen, which writes
    /// scaled Floats and is not reachable from a job kind); here in Double, unscaled.
    static func blockMeans(_ field: [Double], side n: Int, block c: Int) -> [Double] {
        let m = n / c, weight = 1 / Double(c * c)
        var out = [Double](repeating: 0, count: m * m)
        for I in 0 ..< m {
            for J in 0 ..< m {
                var sum = 0.0
                for y in I * c ..< I * c + c {
                    for x in J * c ..< J * c + c { sum += field[y * n + x] }
                }
                out[I * m + J] = sum * weight
            }
        }
        return out
    }

    /// Nothing to flush: the file is read-only and closed with the reader (kept so callers say
    /// where they are done with a set).
    func close() throws {}

    deinit { frame.deallocate() }
}
