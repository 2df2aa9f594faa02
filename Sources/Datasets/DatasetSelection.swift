/// Which samples and which part of each sample to read from an HDF5 dataset.
///
/// The dataset holds samples along its first axis; the trailing axes (a field of any shape) are
/// cropped, coarse-grained and flattened into features.
public struct DatasetSelection: Sendable, Equatable {
    /// The HDF5 file and the dataset path inside it.
    public var file: String
    public var dataset: String
    /// First sample read, samples read (0: all from `first` on) and the step between them.
    public var first = 0
    public var samples = 0
    public var stride = 1
    /// Crop per trailing axis as [start₀, stop₀, start₁, stop₁, …] (stop exclusive); empty: no crop.
    public var crop: [Int] = []
    /// Block-averaging factor per trailing axis (after the crop); empty: none.
    public var coarse: [Int] = []

    public init(file: String, dataset: String) {
        self.file = file
        self.dataset = dataset
    }

    /// The dataset path with a leading "/".
    var absolutePath: String { dataset.hasPrefix("/") ? dataset : "/" + dataset }
}

/// What a selection resolves to against the dataset's actual shape.
public struct ResolvedSelection: Sendable, Equatable {
    /// The dataset's shape.
    public var datasetShape: [Int]
    /// Samples selected.
    public var samples: Int
    /// Shape of one sample after crop and coarse-graining; its product is the feature count.
    public var fieldShape: [Int]
    /// Values per selected sample.
    public var features: Int { fieldShape.reduce(1, *) }
}
