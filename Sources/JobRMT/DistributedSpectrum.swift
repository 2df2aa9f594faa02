import Covariance
import Datasets
import DistributedLinalg
import JobKit
import Linalg
import Parallel
import Storage

/// The distributed path of a `covariance` job: the matrix assembled block-cyclically over a process
/// grid of every rank, diagonalised by ScaLAPACK; eigenvalues on every rank, eigenvectors (and the
/// matrix, when written) left in blocks and written to the output file in parallel.
struct DistributedSpectrum {
    let values: [Double]
    let vectors: DistributedSymmetricMatrix?
    let matrix: DistributedSymmetricMatrix?
    let mean: [Double]
    /// "pdsyevd" or "pdsyevr".
    let routine: String
    let grid: ProcessGrid
    let blockSize: Int

    /// Assembles and diagonalises (collective). `solver` picks pdsyevd (divide and conquer, with
    /// vectors) or pdsyevr (mrrr, and always without vectors, as pdsyevd computes them).
    init(_ block: SampleBlock, type: MatrixType, standardize: Bool, vectors: Bool, keepMatrix: Bool,
         solver: EigenSolver, blockSize: Int, communicator comm: Communicator) throws {
        let grid = try ProcessGrid(communicator: comm)
        var m: DistributedSymmetricMatrix
        switch type {
        case .covariance, .correlation:
            (mean, m) = try ShardedCovariance.distributedCovariance(block, correlation: type == .correlation || standardize,
                                                                    grid: grid, blockSize: blockSize)
        case .gram:
            let (moments, g) = try ShardedCovariance.distributedGram(block, standardize: standardize, grid: grid, blockSize: blockSize)
            (mean, m) = (moments.mean, g)
        }
        // diagonalize overwrites m: the kept one is then a copy, with both triangles for the file.
        if keepMatrix { try m.mirrorLowerTriangle() }
        matrix = keepMatrix ? m : nil
        let eigen = try m.diagonalize(vectors: vectors, solver: solver == .divideAndConquer ? .divideAndConquer : .relativelyRobust)
        values = eigen.values
        self.vectors = eigen.vectors
        routine = eigen.routine
        self.grid = grid
        self.blockSize = blockSize
    }

    /// Adds `/eigenvectors` (columns are eigenvectors, as the replicated path writes them) and
    /// `/matrix` to the file rank 0 wrote, every rank writing its blocks (collective; atomic: the
    /// file is updated as a copy renamed on close).
    func write(toFileAt path: String, communicator comm: Communicator) throws {
        guard vectors != nil || matrix != nil else { return }
        let file = try H5File.openForUpdate(path, communicator: comm)
        for (name, m) in [("/eigenvectors", vectors), ("/matrix", matrix)] {
            guard let m else { continue }
            try file.createDataset(name, of: Double.self, shape: [m.order, m.order])
            try m.write(to: file, path: name)
        }
        try file.close()
    }
}

extension MatrixLayout {
    /// The layout for a matrix of `order` on this communicator (collective: the same answer on every
    /// rank, from the smallest node's memory) and the reason, for the log.
    func resolved(order: Int, vectors: Bool, writeMatrix: Bool, blockSize: Int, needsWholeMatrix: Bool,
                  communicator comm: Communicator) throws -> (MatrixLayout, String) {
        let name = MPIEnvironment.shared.processorName
        let perNode = try comm.allreduce(try comm.allgather(name).filter { $0 == name }.count, .max)
        let available = try comm.allreduce(MemoryEstimate.available(ranksPerNode: perNode), .min)
        return resolved(order: order, vectors: vectors, writeMatrix: writeMatrix, ranks: comm.size, blockSize: blockSize,
                        needsWholeMatrix: needsWholeMatrix, available: available)
    }
}
