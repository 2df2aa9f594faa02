import Foundation
import XCTest
@testable import Storage

final class ErrorTests: StorageTestCase {
    func testMissingFileNamesThePath() {
        let missing = path("nope.h5")
        assertStorageError([missing, "no such file"]) { _ = try H5File.open(missing) }
    }

    func testNotAnHDF5File() throws {
        let text = path("notes.h5")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: text))
        assertStorageError([text, "cannot open"]) { _ = try H5File.open(text) }
    }

    func testMissingDirectory() {
        let file = path("no/such/dir/out.h5")
        assertStorageError([file, "does not exist"]) { _ = try H5File.create(file) }
    }

    func testNoOverwrite() throws {
        let file = path("keep.h5")
        try H5File.create(file).close()
        assertStorageError([file, "overwrite"]) { _ = try H5File.create(file, overwrite: false) }
    }

    func testDatasetErrorsNameFileAndDataset() throws {
        let file = path("errors.h5")
        let h5 = try H5File.create(file)
        try h5.createDataset("/fields/u", of: Double.self, shape: [4, 5])
        try h5.createGroup("/g")
        try h5.close()
        let reader = try H5File.open(file, mode: .readWrite)
        assertStorageError([file, "/fields/missing", "no such dataset"]) {
            _ = try reader.read("/fields/missing", as: Double.self)
        }
        assertStorageError([file, "/g", "is a group"]) { _ = try reader.read("/g", as: Double.self) }
        assertStorageError([file, "/fields/u", "out of bounds", "axis 1"]) {
            _ = try reader.read("/fields/u", as: Double.self, offset: [0, 3], count: [2, 3])
        }
        assertStorageError([file, "/fields/u", "out of bounds", "axis 0"]) {
            try reader.write("/fields/u", [Double](repeating: 0, count: 5), offset: [4, 0], count: [1, 5])
        }
        assertStorageError([file, "/fields/u", "float64", "Float"]) {
            _ = try reader.read("/fields/u", as: Float.self)
        }
        assertStorageError([file, "/fields/u", "2 axes"]) {
            _ = try reader.read("/fields/u", as: Double.self, offset: [0], count: [4])
        }
        assertStorageError([file, "/fields/u", "buffer has 3"]) {
            try reader.write("/fields/u", [1.0, 2, 3], offset: [0, 0], count: [1, 5])
        }
        assertStorageError([file, "/fields/u", "already exists"]) {
            try reader.createDataset("/fields/u", of: Double.self, shape: [1])
        }
        assertStorageError([file, "/fields/u", "not extendible"]) {
            try reader.appendFrame("/fields/u", [Double](repeating: 0, count: 5), offset: [0], count: [5])
        }
        assertStorageError([file, "/nowhere@units", "no group or dataset"]) {
            try reader.setAttribute("units", .string("m"), on: "/nowhere")
        }
        assertStorageError([file, "//bad", "not a valid object path"]) { _ = try reader.exists("//bad") }
        try reader.close()
        assertStorageError([file, "already closed"]) { _ = try reader.shape(of: "/fields/u") }

        let readOnly = try H5File.open(file)
        assertStorageError([file, "/fields/u", "read-only"]) {
            try readOnly.write("/fields/u", [Double](repeating: 0, count: 5), offset: [0, 0], count: [1, 5])
        }
        try readOnly.close()
    }

    func testShapeValidation() throws {
        let file = path("shapes.h5")
        let h5 = try H5File.create(file)
        assertStorageError([file, "/x", "maxShape"]) { try h5.createDataset("/x", of: Double.self, shape: [4], maxShape: [3]) }
        assertStorageError([file, "/x", "negative"]) { try h5.createDataset("/x", of: Double.self, shape: [-1]) }
        assertStorageError([file, "/x", "axes"]) { try h5.createDataset("/x", of: Double.self, shape: []) }
        assertStorageError([file, "/x", "chunk"]) { try h5.createDataset("/x", of: Double.self, shape: [4], chunk: [0]) }
        XCTAssertFalse(try h5.exists("/x"))
        try h5.close()
    }
}
