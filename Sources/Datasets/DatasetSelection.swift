import Storage

/// Which samples and which part of each sample to read from an HDF5 dataset.
///
/// The dataset holds samples along its first axis (or, for a 2-D dataset stored features × samples,
/// along its second: ``sampleAxis``); the other axes (a field of any shape) are cropped, coarse-grained
/// and flattened into features. Samples are read ``blockRows`` at a time (``SampleBlockStream``).
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
    /// The axis that numbers the samples: 0 (samples × field…), or 1 for a 2-D dataset stored
    /// features × samples (each column a sample).
    public var sampleAxis = 0
    /// Samples per read (one block in memory at a time); 0: automatic, about
    /// ``DatasetReader/automaticBlockBytes`` of float64 values per block.
    public var blockRows = 0

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
    /// The axis that numbers the samples (0, or 1 for a features × samples dataset).
    public var sampleAxis = 0
    /// The stored element type (float32 or float64): blocks are read in it, then converted.
    public var elementType: H5ElementType = .float64
    /// Samples per block (``DatasetSelection/blockRows`` resolved: the automatic size filled in).
    public var blockRows = 1
    /// Values read per sample: the cropped field, before coarse-graining.
    public var rawFeatures = 1

    /// Values per selected sample.
    public var features: Int { fieldShape.reduce(1, *) }
    /// The field axes of the dataset (all but the sample axis).
    public var fieldAxes: [Int] { sampleAxis == 0 ? Array(datasetShape.dropFirst()) : [datasetShape[0]] }
    /// Bytes one block holds: the read buffer in the file's type (when not float64) plus the float64 samples.
    public var blockBytes: Int {
        let stored = elementType == .float64 ? 0 : rawFeatures * max(elementType.byteCount, 1)
        return blockRows * (stored + 8 * max(rawFeatures, features))
    }
}
