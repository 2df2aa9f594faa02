import JobKit

/// The keys of a `turbulence-compare` job.
public struct CompareParameters: ParameterSet {
    @Required("inputs.names", .count(2 ... 32),
              doc: "A name per input set of fields (an HDF5 group of the output; not \"comparison\"). The first input is the baseline of the relative differences and the PDF bins.")
    var names: [String]
    @Required("inputs.files", .count(2 ... 32),
              doc: "Snapshot file per input, in ns2d's layout (a dataset of frames × N × N vorticity, float64, float32 or any integer type, read as float64); a relative path is relative to the working directory.")
    var files: [String]
    @Parameter("inputs.dataset", doc: "The vorticity dataset in every input file.")
    var dataset = "vorticity"
    @Parameter("inputs.first", .count(0 ... 32, element: 0 ... 1 << 40),
               doc: "First frame per input (empty: 0 for every input).")
    var first: [Int] = []
    @Parameter("inputs.count", .count(0 ... 32, element: 0 ... 1 << 40),
               doc: "Frames per input, from `inputs.first` every `inputs.stride` (0 or empty: to the end of the dataset).")
    var count: [Int] = []
    @Parameter("inputs.stride", .count(0 ... 32, element: 1 ... 1 << 40),
               doc: "Frame stride per input (empty: 1). The bootstrap errors assume independent fields: space simulation frames by at least the flow's correlation time.")
    var stride: [Int] = []
    @Parameter("inputs.coarsen", .count(0 ... 32, element: 1 ... 1 << 15),
               doc: "Coarse-graining factor c per input (empty: 1): each field is replaced by its means over c × c blocks (as `data.coarsen` of the train kind), an N × N field becoming (N/c)² on the same box. Compares diffusion samples with the training frames they were trained on.")
    var coarsen: [Int] = []
    @Parameter("structure.separations", .integerList(count: 0 ... 1000, element: 1 ... 1 << 15),
               doc: "Separations r (grid points) of the structure functions: an array or a range \"first:last[:step]\"; empty: 1, 2, 3, 4, 6, 8, 12, … up to N/2 (as ns2d).")
    var separations: [Int] = []
    @Parameter("structure.fit_range", .count(2 ... 2, element: 1 ... 1 << 15),
               doc: "[r_min, r_max] in grid points: ζ_p is the log–log slope of ⟨|δu_L|^p⟩ over the separations in this range (at least two), and the S₃/(εr) plateau their mean.")
    var fitRange = [2, 8]
    @Parameter("pdf.bins", .range(2 ... 100_000), doc: "Bins of the velocity and vorticity PDFs, common to every input.")
    var pdfBins = 101
    @Parameter("pdf.range", .range(0.1 ... 1000),
               doc: "The bins cover ± this many standard deviations of the baseline (first input); values outside go to the end bins.")
    var pdfRange = 6.0
    @Parameter("bootstrap.repeats", .range(2 ... 100_000), doc: "Bootstrap resamples of the fields of each input, for the error bars of ζ_p and of the plateau.")
    var repeats = 200
    @Parameter("bootstrap.block", .range(1 ... 1 << 20),
               doc: "Consecutive fields per bootstrap block (a moving-block bootstrap, for frames closer than the flow's correlation time); 1: fields resampled one by one. At most the fields of the smallest input.")
    var block = 1
    @Parameter("bootstrap.seed", .atLeast(0), doc: "Seed of the bootstrap draws (keyed by (seed, repeat, draw): the same on any rank count).")
    var seed = 1
    @Parameter("dissipation.viscosity", .range(0 ... 1e6),
               doc: "ν of the local dissipation ε(x) (set it to the simulation's physics.viscosity).")
    var viscosity = 1e-4
    @Parameter("dissipation.viscosity_order", .range(1 ... 8),
               doc: "Order n of the viscous term −ν(−∇²)^n of the local dissipation (the simulation's physics.viscosity_order).")
    var viscosityOrder = 1
    @Parameter("third_order.epsilon", .range(0 ... 1e12),
               doc: "ε of the S₃(r)/(εr) plateau (e.g. the forcing's injection rate); 0: ⟨ε⟩ of the baseline, the same ε for every input so that the plateaus compare S₃ itself.")
    var epsilon = 0.0
    @Parameter("novelty.reference",
               doc: "The input whose fields are the reference set of the novelty distances (a name of `inputs.names`; empty: the first input, or `novelty.file` if set). A field is never compared with the same frame of the same file.")
    var reference = ""
    @Parameter("novelty.file",
               doc: "A snapshot file (ns2d layout, dataset `inputs.dataset`) whose frames are the novelty reference set instead of an input, e.g. the training set of a generative model; empty: `novelty.reference`.")
    var referenceFile = ""
    @Parameter("novelty.first", .range(0 ... 1 << 40), doc: "First frame of `novelty.file`.")
    var referenceFirst = 0
    @Parameter("novelty.count", .range(0 ... 1 << 40),
               doc: "Frames of `novelty.file` from `novelty.first` every `novelty.stride` (0: to the end of the dataset).")
    var referenceCount = 0
    @Parameter("novelty.stride", .range(1 ... 1 << 40), doc: "Frame stride of `novelty.file`.")
    var referenceStride = 1
    @Parameter("novelty.coarsen", .range(1 ... 1 << 15),
               doc: "Coarse-graining factor of the frames of `novelty.file` (c × c block means, as `inputs.coarsen`); an input as the reference set keeps that input's `inputs.coarsen`.")
    var referenceCoarsen = 1
    @Parameter("output.file", .fileName(extensions: [".h5", ".hdf5"]), doc: "The HDF5 file of every statistic per input and the comparison.")
    var outputFile = "turbulence_compare.h5"

    public init() {}

    /// The input that is the novelty reference set, nil when it is `novelty.file`.
    var referenceInput: Int? {
        if !referenceFile.isEmpty { return nil }
        return reference.isEmpty ? 0 : names.firstIndex(of: reference) ?? 0
    }
}

extension CompareJob {
    public static let name = "turbulence-compare"
    public static let summary = "Turbulence statistics of two or more sets of vorticity fields side by side (spectra, structure functions and ζ_p with bootstrap errors, PDFs and their distances, dissipation moments, S₃ plateau, novelty under the box symmetries)."

    public static func outputNames(_ p: CompareParameters) -> [String] { [p.outputFile] }

    public static func problems(in p: CompareParameters, ranks: Int) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        let names = p.names
        if Set(names).count != names.count || names.contains(where: { $0.isEmpty || $0.contains("/") || $0 == "comparison" }) {
            problems.append(ConfigProblem(path: p.$names.path, message: "names must be distinct, non-empty, without \"/\" and not \"comparison\"", fix: "rename them"))
        }
        if p.files.count != names.count {
            problems.append(ConfigProblem(path: p.$files.path, message: "has \(p.files.count) entries for \(names.count) names", fix: "give one file per name"))
        }
        for (key, list) in [(p.$first.path, p.first), (p.$count.path, p.count), (p.$stride.path, p.stride), (p.$coarsen.path, p.coarsen)] where !list.isEmpty && list.count != names.count {
            problems.append(ConfigProblem(path: key, message: "has \(list.count) entries for \(names.count) names", fix: "give one per input, or none"))
        }
        if p.dataset.isEmpty {
            problems.append(ConfigProblem(path: p.$dataset.path, message: "is empty", fix: "name the vorticity dataset, e.g. \"vorticity\""))
        }
        if p.fitRange.count == 2 && p.fitRange[0] >= p.fitRange[1] {
            problems.append(ConfigProblem(path: p.$fitRange.path, message: "r_min \(p.fitRange[0]) is not below r_max \(p.fitRange[1])", fix: "give [r_min, r_max] with r_min < r_max"))
        }
        if !p.reference.isEmpty && !names.contains(p.reference) {
            problems.append(ConfigProblem(path: p.$reference.path, message: "\"\(p.reference)\" is not an input", fix: "use one of \(names.joined(separator: ", ")) or leave it empty"))
        }
        if !p.reference.isEmpty && !p.referenceFile.isEmpty {
            problems.append(ConfigProblem(path: p.$referenceFile.path, message: "is set together with `novelty.reference` = \"\(p.reference)\"",
                                          fix: "give either an input name (`novelty.reference`) or a separate file (`novelty.file`)"))
        }
        if p.referenceFile.isEmpty && (p.referenceFirst != 0 || p.referenceCount != 0 || p.referenceStride != 1) {
            problems.append(ConfigProblem(path: p.$referenceFirst.path, message: "`novelty.first`/`count`/`stride` select frames of `novelty.file`, which is not set",
                                          fix: "set `novelty.file`, or select an input's frames with `inputs.first`/`count`/`stride`"))
        }
        if p.referenceFile.isEmpty && p.referenceCoarsen != 1 {
            problems.append(ConfigProblem(path: p.$referenceCoarsen.path, message: "is \(p.referenceCoarsen) but coarse-grains frames of `novelty.file`, which is not set",
                                          fix: "set `novelty.file`; an input as the reference set uses its own `inputs.coarsen`"))
        }
        return problems
    }
}
