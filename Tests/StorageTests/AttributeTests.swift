import Foundation
import XCTest
@testable import Storage

final class AttributeTests: StorageTestCase {
    let values: [String: AttributeValue] = [
        "dt": .double(0.001),
        "steps": .int(-12345678901),
        "name": .string("Kolmogorov flow ν=1e-3 ✓"),
        "empty": .string(""),
        "box": .doubles([6.283185307179586, 3.14, -0.5]),
        "grid": .ints([256, 128, 1]),
        "none": .doubles([]),
        "one": .ints([7]),
    ]

    func testEveryKindRoundTrips() throws {
        let file = path("attrs.h5")
        let h5 = try H5File.create(file)
        try h5.createDataset("/fields/u", of: Double.self, shape: [2])
        for (name, value) in values {
            try h5.setAttribute(name, value)
            try h5.setAttribute(name, value, on: "/fields/u")
            try h5.setAttribute(name, value, on: "/fields")
        }
        try h5.setAttribute("dt", .double(0.5))  // replacing keeps one attribute of the name
        try h5.close()

        let reader = try H5File.open(file)
        var expected = values
        expected["dt"] = .double(0.5)
        XCTAssertEqual(try reader.attributes(of: "/"), expected)
        XCTAssertEqual(try reader.attributes(of: "/fields/u"), values)
        XCTAssertEqual(try reader.attributes(of: "fields"), values)
        XCTAssertEqual(try reader.attribute("name", of: "/fields/u"), .string("Kolmogorov flow ν=1e-3 ✓"))
        XCTAssertNil(try reader.attribute("absent"))
        XCTAssertEqual(try reader.attribute("one", of: "/fields")?.description, "[7]")
        XCTAssertEqual(try reader.attribute("steps")?.intValue, -12345678901)
        XCTAssertEqual(try reader.attribute("steps")?.doubleValue, -12345678901)
        try reader.close()
    }

    func testContentsListsEverythingSorted() throws {
        let file = path("contents.h5")
        let h5 = try H5File.create(file)
        try h5.setAttribute("kind", .string("turbulence"))
        try h5.createDataset("/z", of: Float.self, shape: [3])
        try h5.createDataset("/a/x", of: Double.self, shape: [2, 3])
        try h5.createGroup("/a-b")
        try h5.createExtendibleDataset("/a/series", of: Double.self, frameShape: [4])
        try h5.setAttribute("t", .doubles([0, 1]), on: "/a/series")
        try h5.createDataset("/a/n", of: Int32.self, shape: [1])
        try h5.close()

        let info = try H5File.open(file).contents()
        XCTAssertEqual(info.map(\.path), ["/", "/a", "/a/n", "/a/series", "/a/x", "/a-b", "/z"])
        XCTAssertEqual(info.map(\.kind), [.group, .group, .dataset, .dataset, .dataset, .group, .dataset])
        XCTAssertEqual(info[0].attributes, ["kind": .string("turbulence")])
        XCTAssertEqual(info[3].shape, [0, 4])
        XCTAssertEqual(info[3].maxShape, [nil, 4])
        XCTAssertEqual(info[3].attributes, ["t": .doubles([0, 1])])
        XCTAssertEqual(info[4].shape, [2, 3])
        XCTAssertEqual(info[4].maxShape, [2, 3])
        XCTAssertEqual(info.map { $0.elementType?.name }, [nil, nil, "int32", "float64", "float64", nil, "float32"])
    }
}
