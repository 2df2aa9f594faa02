import Covariance
import Datasets
import Parallel

/// A job's samples: an HDF5 dataset streamed block by block from its file, or synthetic samples
/// generated into memory (each rank its share).
enum SampleData {
    case stream(SampleBlockStream)
    case memory(SampleBlock)

    var totalSamples: Int {
        switch self {
        case .stream(let s): return s.totalSamples
        case .memory(let b): return b.totalSamples
        }
    }

    var features: Int {
        switch self {
        case .stream(let s): return s.features
        case .memory(let b): return b.features
        }
    }

    /// The samples in memory, or nil for a stream (which the job reads into memory only for the distributed
    /// layout and for resampling: ``SourceSpec/load(communicator:matrix:vectors:layout:writeMatrix:blockSize:needsWholeMatrix:resamples:)``).
    var inMemory: SampleBlock? {
        if case .memory(let b) = self { return b }
        return nil
    }

    /// Samples this rank holds or streams.
    var localSamples: Int {
        switch self {
        case .stream(let s): return s.localSamples
        case .memory(let b): return b.rows
        }
    }

    /// The samples whose sweep position is below `m` (`position[i]` for global sample i): a file's
    /// subset is read as those rows only (split evenly over the ranks), samples in memory are filtered
    /// where they are.
    func subset(positions: [Int], below m: Int, communicator comm: Communicator) -> SampleData {
        switch self {
        case .stream(let s):
            let rows = positions.indices.filter { positions[$0] < m }
            return .stream(SampleBlockStream.thisRank(s.selection, s.resolved, subset: rows, communicator: comm))
        case .memory(let b):
            return .memory(b.selecting(b.sampleRange.map { positions[$0] < m }))
        }
    }
}
