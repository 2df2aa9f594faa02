import XCTest
@testable import Parallel

final class SingleRankTests: XCTestCase {
    let world = Communicator.world

    func testWorldIsSingleton() {
        XCTAssertEqual(world.size, 1)
        XCTAssertEqual(world.rank, 0)
        XCTAssertTrue(MPIEnvironment.shared.world === world)
    }

    func testAllreduceOnOneRankIsIdentity() throws {
        var x: [Double] = [1.5, -2, 3]
        try world.allreduce(inPlace: &x, .sum)
        XCTAssertEqual(x, [1.5, -2, 3])
        XCTAssertEqual(try world.allreduce([3, 1, 2] as [Int], .max), [3, 1, 2])
        XCTAssertEqual(try world.allreduce(Float(2.5), .min), 2.5)
    }

    func testBroadcastStringAndGather() throws {
        XCTAssertEqual(try world.broadcast("héllo"), "héllo")
        XCTAssertEqual(try world.allgather([1.0, 2.0]), [1.0, 2.0])
        XCTAssertEqual(try world.gather([7, 8] as [Int]), [7, 8])
        XCTAssertEqual(try world.allgather("node"), ["node"])
        XCTAssertEqual(try world.alltoallv([1, 2, 3] as [Int], sendCounts: [3]), [1, 2, 3])
    }

    func testSplitGivesOwnedCommunicator() throws {
        let sub = try world.split(color: 0)
        XCTAssertEqual(sub.size, 1)
        XCTAssertFalse(sub.handle == world.handle)
    }

    func testNonblockingAllreduce() throws {
        var g: [Double] = [1, 2, 3]
        try g.withUnsafeMutableBufferPointer { buf in
            let request = try world.startAllreduce(inPlace: buf, .sum)
            try request.wait()
            XCTAssertTrue(try request.test())
        }
        XCTAssertEqual(g, [1, 2, 3])
    }

    func testReusedAllreduceRequestRunsAgain() throws {
        let request = AllreduceRequest()
        XCTAssertTrue(request.isFinished, "a new request has nothing in flight")
        var g: [Float] = [1, 2, 3]
        try g.withUnsafeMutableBufferPointer { buf in
            for _ in 0 ..< 3 {
                try world.startAllreduce(inPlace: buf, .sum, reusing: request)
                try request.wait()
                XCTAssertTrue(request.isFinished)
            }
        }
        XCTAssertEqual(g, [1, 2, 3])
    }

    func testMPIErrorCarriesMPIString() {
        // Sending to a rank that does not exist must come back as a Swift error, not abort.
        XCTAssertThrowsError(try world.send([1.0], to: 5)) { error in
            let e = error as? MPIError
            XCTAssertNotNil(e)
            XCTAssertEqual(e?.function, "MPI_Send")
            XCTAssertTrue(e?.message.lowercased().contains("rank") ?? false, "message: \(e?.message ?? "")")
        }
    }

    func testBlockDecompositionUnevenSplits() {
        let d = BlockDecomposition(count: 10, parts: 3)
        XCTAssertEqual(d.counts, [4, 3, 3])
        XCTAssertEqual(d.offsets, [0, 4, 7])
        XCTAssertEqual(d.range(of: 2), 7 ..< 10)
        for count in [0, 1, 2, 5, 7, 64, 101] {
            for parts in 1 ... 6 {
                let d = BlockDecomposition(count: count, parts: parts)
                XCTAssertEqual(d.counts.reduce(0, +), count)
                XCTAssertLessThanOrEqual((d.counts.max() ?? 0) - (d.counts.min() ?? 0), 1)
                for i in 0 ..< count {
                    XCTAssertTrue(d.range(of: d.owner(of: i)).contains(i), "index \(i) of \(count) over \(parts)")
                }
            }
        }
    }
}
