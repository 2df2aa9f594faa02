import Foundation
import XCTest
@testable import Storage

/// Long paths either work or are refused with the limit named; MPI_File_open must never
/// see one it aborts on (Open MPI 4.1's shared-file-pointer components).
final class PathLimitTests: StorageTestCase {
    func testNameOfAlmostNameMaxWorks() throws {
        // 250 bytes: past the 232 at which Open MPI's `sm` component aborts in MPI_File_open,
        // and its temporary (`.<name>.tmp-…`) would pass NAME_MAX if it kept the whole name.
        let file = path(String(repeating: "n", count: 247) + ".h5")
        let h5 = try H5File.create(file)
        XCTAssertLessThan(URL(fileURLWithPath: h5.workingPath).lastPathComponent.utf8.count, 64, "short temporary name")
        try h5.createDataset("/x", of: Double.self, shape: [2])
        try h5.write("/x", [1.0, 2.0], offset: [0], count: [2])
        try h5.close()
        let back = try H5File.open(file)
        XCTAssertEqual(try back.read("/x", as: Double.self), [1, 2])
        try back.close()
        var xdmf = try XDMFWriter(dimensions: [1, 2], spacing: [1, 1])
        xdmf.addField("x", file: "a.h5", dataset: "/x")
        try xdmf.write(to: String(file.dropLast(3)) + ".xmf")
    }

    func testLongDirectoryWorks() throws {
        // Deep directories: a long whole path with a short name also aborted in MPI_File_open.
        var directory = self.directory
        for _ in 0 ..< 6 { directory += "/" + String(repeating: "d", count: 200) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = directory + "/out.h5"
        try H5File.create(file).close()
        try H5File.open(file).close()
    }

    func testNameOverNameMaxIsRefused() {
        let file = path(String(repeating: "n", count: 300) + ".h5")
        assertStorageError(["is 303 bytes long", "at most 255"]) { _ = try H5File.create(file) }
    }

    func testPathOverTheLimitIsRefused() {
        var file = directory
        while file.utf8.count <= PathLimits.maximumPathBytes { file += "/" + String(repeating: "p", count: 200) }
        file += "/out.h5"
        assertStorageError([file, "bytes long", "at most \(PathLimits.maximumPathBytes)"]) { _ = try H5File.create(file) }
        assertStorageError([file, "at most \(PathLimits.maximumPathBytes)"]) { _ = try H5File.open(file) }
    }
}
