import Foundation
import JobKit
import Parallel
import Storage
import Turbulence

/// One input set: the frames of a snapshot file's vorticity dataset that the job compares.
struct CompareInput {
    var name: String
    var file: String
    var frames: [Int]
    /// Index in `inputs.names` (for naming keys in errors).
    var index: Int
}

/// The inputs resolved against their files: one grid for all.
struct ResolvedInputs {
    var n: Int
    var boxLength: Double
    var inputs: [CompareInput]

    /// Fields of all inputs, in input order: global field t of input i is `offsets[i] + local`.
    var offsets: [Int] { inputs.reduce(into: [0]) { $0.append($0.last! + $1.frames.count) }.dropLast() }
    var totalFields: Int { inputs.reduce(0) { $0 + $1.frames.count } }

    /// Resolves every input (metadata only: existence, dataset, shape, frame ranges, one N and box
    /// for all), throwing one error that names the key and the file. `solo`: a one-rank communicator.
    static func resolve(_ p: CompareParameters, solo: Communicator) throws -> ResolvedInputs {
        var inputs: [CompareInput] = []
        var grid: (n: Int, box: Double)? = nil
        let dataset = "/" + p.dataset.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        for (i, name) in p.names.enumerated() {
            let file = p.files[i], key = "inputs.files[\(i)]"
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
            guard shape[1] >= 4 else {
                throw RunError("`\(key)` = \"\(file)\", dataset \(dataset): fields of \(shape[1]) × \(shape[2]) are too small (N ≥ 4)")
            }
            let box = try h5.attribute("box_length")?.doubleValue ?? 2 * Double.pi
            if let g = grid {
                guard g.n == shape[1] else {
                    throw RunError("`\(key)` = \"\(file)\" has N = \(shape[1]) but `inputs.files[0]` has N = \(g.n): compare fields of one resolution (coarse-grain or re-grid one set first)")
                }
                guard abs(g.box - box) <= 1e-12 * g.box else {
                    throw RunError("`\(key)` = \"\(file)\" has box_length \(box) but `inputs.files[0]` has \(g.box): the fields must share one box")
                }
            } else {
                grid = (shape[1], box)
            }
            let first = p.first.isEmpty ? 0 : p.first[i], stride = p.stride.isEmpty ? 1 : p.stride[i]
            let asked = p.count.isEmpty ? 0 : p.count[i]
            let available = shape[0] > first ? (shape[0] - first + stride - 1) / stride : 0
            guard available > 0 else {
                throw RunError("`inputs.first[\(i)]` = \(first): \"\(file)\" (dataset \(dataset)) has \(shape[0]) frames, so the frame range of input \(name) is empty (fix: a first frame below \(shape[0]))")
            }
            guard asked <= available else {
                throw RunError("`inputs.count[\(i)]` = \(asked): \"\(file)\" has only \(available) frames from frame \(first) every \(stride) (fix: at most \(available), or 0 for all)")
            }
            let count = asked == 0 ? available : asked
            inputs.append(CompareInput(name: name, file: file, frames: (0 ..< count).map { first + $0 * stride }, index: i))
        }
        return ResolvedInputs(n: grid!.n, boxLength: grid!.box, inputs: inputs)
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

/// Reads frames of one input on one rank (a one-rank communicator), checking every value is finite.
struct FrameReader {
    let input: CompareInput
    let file: H5File
    let dataset: String
    let n: Int

    init(_ input: CompareInput, dataset: String, n: Int, solo: Communicator) throws {
        self.input = input
        self.dataset = "/" + dataset.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        self.n = n
        file = try H5File.open(input.file, communicator: solo)
    }

    /// Local frame `k` of the input (global frame `input.frames[k]`), and whether all its values are finite.
    func read(_ k: Int) throws -> (field: [Double], finite: Bool) {
        let field = try file.read(dataset, as: Double.self, offset: [input.frames[k], 0, 0], count: [1, n, n])
        return (field, field.allSatisfy(\.isFinite))
    }

    func close() throws { try file.close() }
}
