import Foundation
import XCTest
@testable import Storage

final class DatasetTests: StorageTestCase {
    /// Writes a dataset in two hyperslabs at offsets, reads back the whole and a third box.
    func roundTrip<T: H5Scalar & BinaryFloatingPoint>(_ type: T.Type, shape: [Int]) throws {
        let file = path("round-\(T.self)-\(shape.count)d.h5")
        let h5 = try H5File.create(file, communicator: world)
        try h5.createDataset("/data/x", of: T.self, shape: shape)
        // Split along axis 0 at 1: two writes, the second at a non-zero offset.
        let firstCount = [1] + shape.dropFirst()
        let secondCount = [shape[0] - 1] + shape.dropFirst()
        let secondOffset = [1] + [Int](repeating: 0, count: shape.count - 1)
        let zero = [Int](repeating: 0, count: shape.count)
        try h5.write("/data/x", indices(offset: zero, count: firstCount).map { T(encode($0)) }, offset: zero, count: firstCount)
        try h5.write("/data/x", indices(offset: secondOffset, count: secondCount).map { T(encode($0)) },
                     offset: secondOffset, count: secondCount)
        try h5.close()

        let reader = try H5File.open(file, communicator: world)
        XCTAssertEqual(try reader.shape(of: "/data/x"), shape)
        XCTAssertEqual(try reader.elementType(of: "/data/x"), T.h5ElementType)
        let all: [T] = try reader.read("/data/x")
        XCTAssertEqual(all, indices(offset: zero, count: shape).map { T(encode($0)) })
        // An interior box: offset 1 on every axis where it fits.
        let offset = shape.map { $0 > 2 ? 1 : 0 }
        let count = zip(shape, offset).map { max(1, $0 - $1 - 1) }
        let box = try reader.read("/data/x", as: T.self, offset: offset, count: count)
        XCTAssertEqual(box, indices(offset: offset, count: count).map { T(encode($0)) })
        // Into a caller's buffer.
        var buffer = [T](repeating: -1, count: count.reduce(1, *))
        try buffer.withUnsafeMutableBufferPointer { try reader.read("/data/x", into: $0, offset: offset, count: count) }
        XCTAssertEqual(buffer, box)
        try reader.close()
    }

    func testRoundTripDouble1Dto4D() throws {
        for shape in [[7], [5, 6], [4, 3, 5], [3, 4, 2, 5]] { try roundTrip(Double.self, shape: shape) }
    }

    func testRoundTripFloat1Dto4D() throws {
        for shape in [[9], [6, 5], [3, 4, 6], [2, 3, 4, 3]] { try roundTrip(Float.self, shape: shape) }
    }

    func testIntegerMetadataDatasets() throws {
        let file = path("ints.h5")
        let h5 = try H5File.create(file)
        try h5.createDataset("counts", of: Int.self, shape: [4])
        try h5.write("counts", [Int.max, -1, 0, 42], offset: [0], count: [4])
        try h5.createDataset("small", of: Int32.self, shape: [2, 2])
        try h5.write("small", [1, 2, 3, Int32.min] as [Int32], offset: [0, 0], count: [2, 2])
        try h5.close()
        let reader = try H5File.open(file)
        XCTAssertEqual(try reader.read("/counts", as: Int.self), [Int.max, -1, 0, 42])
        XCTAssertEqual(try reader.read("/counts", as: Int64.self), [Int64.max, -1, 0, 42])
        XCTAssertEqual(try reader.read("/small", as: Int32.self), [1, 2, 3, Int32.min])
        XCTAssertEqual(try reader.elementType(of: "/small"), .int32)
        try reader.close()
    }

    /// Which element types HDF5 converts to numbers (what readers such as turbulence-compare accept).
    func testElementTypesThatAreNumbers() {
        for type in [H5ElementType.float64, .float32, .int64, .int32, .other("int16"), .other("uint8"), .other("float16")] {
            XCTAssertTrue(type.isNumber, type.name)
        }
        for type in [H5ElementType.other("string"), .other("compound"), .other("enum"), .other("unknown")] {
            XCTAssertFalse(type.isNumber, type.name)
        }
    }

    func testEmptyHyperslabStillParticipates() throws {
        let file = path("empty.h5")
        let h5 = try H5File.create(file)
        try h5.createDataset("x", of: Double.self, shape: [3, 2])
        try h5.write("x", [1, 2, 3, 4, 5, 6] as [Double], offset: [0, 0], count: [3, 2])
        try h5.write("x", [Double](), offset: [0, 0], count: [0, 2])
        XCTAssertEqual(try h5.read("x", as: Double.self, offset: [3, 0], count: [0, 2]), [])
        XCTAssertEqual(try h5.read("x", as: Double.self), [1, 2, 3, 4, 5, 6])
        try h5.close()
    }

    func testExtendibleAppendAndReadBack() throws {
        let file = path("frames.h5")
        let h5 = try H5File.create(file)
        try h5.createExtendibleDataset("/series/w", of: Double.self, frameShape: [3, 4])
        XCTAssertEqual(try h5.frameCount(of: "/series/w"), 0)
        XCTAssertEqual(try h5.maxShape(of: "/series/w"), [nil, 3, 4])
        for frame in 0 ..< 5 {
            // Write each frame in two pieces: rows 0..<1 and rows 1..<3.
            let top = (0 ..< 4).map { Double(frame * 100 + $0) }
            let index = try h5.appendFrame("/series/w", top, offset: [0, 0], count: [1, 4])
            XCTAssertEqual(index, frame)
            try h5.write("/series/w", (4 ..< 12).map { Double(frame * 100 + $0) }, offset: [frame, 1, 0], count: [1, 2, 4])
        }
        try h5.close()
        let reader = try H5File.open(file)
        XCTAssertEqual(try reader.frameCount(of: "/series/w"), 5)
        XCTAssertEqual(try reader.shape(of: "/series/w"), [5, 3, 4])
        for frame in 0 ..< 5 {
            XCTAssertEqual(try reader.readFrame("/series/w", frame, as: Double.self), (0 ..< 12).map { Double(frame * 100 + $0) })
        }
        XCTAssertEqual(try reader.readFrame("/series/w", 3, as: Double.self, offset: [2, 1], count: [1, 2]), [309, 310])
        XCTAssertEqual(try reader.contents().first { $0.path == "/series/w" }?.maxShape, [nil, 3, 4])
        try reader.close()
    }

    func testDefaultChunksStayUnderFourMiB() {
        // A 512^2 float64 frame is 2 MiB: one frame per chunk.
        XCTAssertEqual(H5File.defaultChunk(shape: [0, 512, 512], maxShape: [nil, 512, 512], elementSize: 8), [1, 512, 512])
        // A 256^3 float64 frame is 128 MiB: halve the slowest axes to reach 4 MiB.
        let chunk = H5File.defaultChunk(shape: [0, 256, 256, 256], maxShape: [nil, 256, 256, 256], elementSize: 8)
        XCTAssertEqual(chunk, [1, 8, 256, 256])
        XCTAssertLessThanOrEqual(chunk.reduce(8, *), 4 << 20)
        // Several frames per chunk when asked, still capped.
        XCTAssertEqual(H5File.defaultChunk(shape: [0, 64, 64], maxShape: [nil, 64, 64], elementSize: 8, frames: 4), [4, 64, 64])
        XCTAssertEqual(H5File.defaultChunk(shape: [0, 512, 512], maxShape: [nil, 512, 512], elementSize: 8, frames: 8), [2, 512, 512])
    }

    func testGroupsAndExists() throws {
        let h5 = try H5File.create(path("groups.h5"))
        XCTAssertTrue(try h5.exists("/"))
        XCTAssertFalse(try h5.exists("/a/b"))
        try h5.createGroup("/a/b/c")
        XCTAssertTrue(try h5.exists("/a/b"))
        XCTAssertEqual(try h5.kind(of: "/a/b/c"), .group)
        try h5.createGroup("/a/b/c")  // again: no-op
        try h5.createDataset("/a/d", of: Float.self, shape: [2])
        XCTAssertEqual(try h5.kind(of: "a/d"), .dataset)
        XCTAssertFalse(try h5.exists("/a/d/e"))
        try h5.close()
    }
}
