import Foundation
import XCTest
@testable import Storage

final class AtomicityTests: StorageTestCase {
    func testFinalPathAppearsOnlyAtClose() throws {
        let file = path("out.h5")
        let h5 = try H5File.create(file)
        try h5.createDataset("x", of: Double.self, shape: [2])
        try h5.write("x", [1.0, 2.0], offset: [0], count: [2])
        XCTAssertFalse(FileManager.default.fileExists(atPath: file), "final path must not exist while writing")
        let names = try listing()
        XCTAssertEqual(names.count, 1)
        XCTAssertTrue(names[0].hasPrefix(".out.h5.tmp-"), "temporary is a hidden sibling: \(names)")
        try h5.close()
        XCTAssertEqual(try listing(), ["out.h5"])
        try h5.close()  // second close is a no-op
        XCTAssertEqual(try H5File.open(file).read("x", as: Double.self), [1.0, 2.0])
    }

    func testDroppedWithoutCloseLeavesNothing() throws {
        let file = path("broken.h5")
        do {
            let h5 = try H5File.create(file)
            try h5.createDataset("x", of: Double.self, shape: [2])
            XCTAssertEqual(try listing().count, 1)
        }
        XCTAssertEqual(try listing(), [], "no final file and no temporary after a drop")
    }

    func testDroppedOverwriteKeepsOldFile() throws {
        let file = path("keep.h5")
        let first = try H5File.create(file)
        try first.setAttribute("version", .int(1))
        try first.close()
        do {
            let second = try H5File.create(file)
            try second.setAttribute("version", .int(2))
        }
        XCTAssertEqual(try listing(), ["keep.h5"])
        let reader = try H5File.open(file)
        XCTAssertEqual(try reader.attribute("version"), .int(1))
        try reader.close()
    }

    func testOpenForUpdateIsAtomic() throws {
        let file = path("update.h5")
        let h5 = try H5File.create(file)
        try h5.createExtendibleDataset("/t", of: Double.self, frameShape: [2])
        try h5.appendFrame("/t", [1.0, 2.0], offset: [0], count: [2])
        try h5.close()
        // Dropped update: original unchanged.
        do {
            let update = try H5File.openForUpdate(file)
            try update.appendFrame("/t", [9.0, 9.0], offset: [0], count: [2])
        }
        XCTAssertEqual(try listing(), ["update.h5"])
        // Completed update: appended frame visible.
        let update = try H5File.openForUpdate(file)
        try update.appendFrame("/t", [3.0, 4.0], offset: [0], count: [2])
        try update.close()
        XCTAssertEqual(try listing(), ["update.h5"])
        let reader = try H5File.open(file)
        XCTAssertEqual(try reader.read("/t", as: Double.self), [1, 2, 3, 4])
        try reader.close()
        // In-place append.
        let inPlace = try H5File.open(file, mode: .readWrite)
        try inPlace.appendFrame("/t", [5.0, 6.0], offset: [0], count: [2])
        try inPlace.close()
        XCTAssertEqual(try H5File.open(file).frameCount(of: "/t"), 3)
    }
}
