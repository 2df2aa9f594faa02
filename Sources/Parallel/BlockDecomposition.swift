/// Splits `count` global indices into `parts` contiguous blocks as evenly as possible.
///
/// The first `count % parts` blocks get one extra index, so sizes differ by at most one
/// and uneven splits (say 10 over 3 ranks: 4, 3, 3) are handled. This is the rule for
/// samples of a dataset, rows of a matrix, or anything else owned by rank.
public struct BlockDecomposition: Equatable, Sendable {
    /// The number of global indices.
    public let count: Int
    /// The number of blocks (usually the rank count).
    public let parts: Int

    /// - Precondition: `count >= 0`, `parts >= 1`.
    public init(count: Int, parts: Int) {
        precondition(count >= 0 && parts >= 1, "BlockDecomposition needs count >= 0 and parts >= 1")
        self.count = count
        self.parts = parts
    }

    private var base: Int { count / parts }
    private var remainder: Int { count % parts }

    /// The global indices owned by block `part`.
    public func range(of part: Int) -> Range<Int> {
        precondition(part >= 0 && part < parts, "part \(part) outside 0..<\(parts)")
        let start = part * base + min(part, remainder)
        return start ..< start + base + (part < remainder ? 1 : 0)
    }

    /// How many indices block `part` owns.
    public func count(of part: Int) -> Int { base + (part < remainder ? 1 : 0) }

    /// All block sizes, in order.
    public var counts: [Int] { (0 ..< parts).map(count(of:)) }

    /// The start index of every block.
    public var offsets: [Int] { (0 ..< parts).map { range(of: $0).lowerBound } }

    /// The block that owns global index `index`.
    public func owner(of index: Int) -> Int {
        precondition(index >= 0 && index < count, "index \(index) outside 0..<\(count)")
        let bigBlocks = remainder * (base + 1)
        if index < bigBlocks { return index / (base + 1) }
        return remainder + (index - bigBlocks) / base
    }
}

extension Communicator {
    /// This rank's share of `count` global indices under a ``BlockDecomposition``.
    public func blockRange(of count: Int) -> Range<Int> {
        BlockDecomposition(count: count, parts: size).range(of: rank)
    }
}
