import Foundation
import XCTest
@testable import Storage

final class XDMFTests: StorageTestCase {
    /// Parses `xml` with python's minidom and prints facts about it; skips if python3 is missing.
    func parse(_ file: String) throws -> String {
        let script = """
        import sys, xml.dom.minidom as m
        d = m.parse(sys.argv[1])
        grids = d.getElementsByTagName('Grid')
        print('grids', len(grids))
        print('times', ' '.join(t.getAttribute('Value') for t in d.getElementsByTagName('Time')))
        print('topology', ' '.join(sorted(set(t.getAttribute('TopologyType') for t in d.getElementsByTagName('Topology')))))
        print('geometry', ' '.join(sorted(set(t.getAttribute('GeometryType') for t in d.getElementsByTagName('Geometry')))))
        for a in d.getElementsByTagName('Attribute'):
            items = [i for i in a.getElementsByTagName('DataItem') if i.getAttribute('Format') in ('HDF', 'XML')]
            print('attr', a.getAttribute('Name'), '|'.join(i.firstChild.data.strip() for i in items))
        """
        try requireTool("python3", install: "run `cluster/install-deps.sh --python`")
        let result = try XCTUnwrap(runTool("python3", ["-c", script, file]))
        XCTAssertEqual(result.status, 0, "minidom could not parse \(file): \(result.output)")
        return result.output
    }

    func testStatic3DGrid() throws {
        var x = try XDMFWriter(dimensions: [4, 8, 16], origin: [0, 0, 0], spacing: [0.5, 0.25, 0.125])
        x.addField("u", file: "out.h5", dataset: "/fields/u")
        x.addField("T<&>", file: "out.h5", dataset: "/fields/T", elementType: .float32)
        let file = path("grid.xmf")
        try x.write(to: file, communicator: world)
        XCTAssertEqual(try listing(), ["grid.xmf"], "no temporary left behind")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        XCTAssertTrue(text.contains("TopologyType=\"3DCoRectMesh\" Dimensions=\"4 8 16\""))
        XCTAssertTrue(text.contains(">0.5 0.25 0.125</DataItem>"))
        XCTAssertTrue(text.contains("Precision=\"4\" Format=\"HDF\">out.h5:/fields/T</DataItem>"))
        let facts = try parse(file)
        XCTAssertTrue(facts.contains("grids 1\n"), facts)
        XCTAssertTrue(facts.contains("topology 3DCoRectMesh\n"), facts)
        XCTAssertTrue(facts.contains("geometry ORIGIN_DXDYDZ\n"), facts)
        XCTAssertTrue(facts.contains("attr u out.h5:/fields/u\n"), facts)
        XCTAssertTrue(facts.contains("attr T<&> out.h5:/fields/T\n"), facts)
    }

    func testTemporal2DCollection() throws {
        var x = try XDMFWriter(dimensions: [3, 5], spacing: [0.1, 0.2])
        x.addField("mask", file: "run.h5", dataset: "/mask", elementType: .int32)
        x.addTimeSeries("w", file: "run.h5", dataset: "/series/w", frames: 4)
        x.times = [0, 0.5, 1.5]
        let file = path("series.xmf")
        try x.write(to: file)
        let facts = try parse(file)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        // One collection plus one grid per time.
        XCTAssertTrue(facts.contains("grids 4\n"), facts)
        XCTAssertTrue(facts.contains("times 0.0 0.5 1.5\n"), facts)
        // 2D grids are 3D meshes one point thick, so ParaView shows them in the x–y plane.
        XCTAssertTrue(facts.contains("topology 3DCoRectMesh\n"), facts)
        XCTAssertTrue(facts.contains("geometry ORIGIN_DXDYDZ\n"), facts)
        XCTAssertTrue(text.contains("TopologyType=\"3DCoRectMesh\" Dimensions=\"1 3 5\""), text)
        XCTAssertTrue(text.contains(">0.0 0.0 0.0</DataItem>"), "origin has 3 entries: \(text)")
        XCTAssertTrue(text.contains(">1.0 0.1 0.2</DataItem>"), "spacing has 3 entries: \(text)")
        XCTAssertTrue(text.contains("Dimensions=\"1 3 5\" NumberType=\"Int\" Precision=\"4\" Format=\"HDF\">run.h5:/mask"),
                      "static fields take the mesh's dimensions, or ParaView cannot read them: \(text)")
        // Frame 2 selects start (2,0,0), stride 1, count (1,3,5) of the 4×3×5 dataset.
        XCTAssertTrue(facts.contains("attr w 2 0 0 1 1 1 1 3 5|run.h5:/series/w\n"), facts)
        XCTAssertTrue(text.contains("Dimensions=\"4 3 5\""))
        XCTAssertEqual(text.components(separatedBy: "run.h5:/mask").count - 1, 3, "static field in every frame")
    }

    func testValidation() throws {
        XCTAssertThrowsError(try XDMFWriter(dimensions: [4], spacing: [1]))
        XCTAssertThrowsError(try XDMFWriter(dimensions: [4, 4], spacing: [1]))
        var x = try XDMFWriter(dimensions: [2, 2], spacing: [1, 1])
        x.addTimeSeries("w", file: "a.h5", dataset: "/w", frames: 1)
        XCTAssertThrowsError(try x.xml())  // no times
        x.times = [0, 1]
        XCTAssertThrowsError(try x.xml())  // 2 times, 1 frame
        x.times = [0]
        XCTAssertNoThrow(try x.xml())
        x.addField("s", file: "a.h5", dataset: "/s", elementType: .other("string"))
        XCTAssertThrowsError(try x.xml())
    }
}
