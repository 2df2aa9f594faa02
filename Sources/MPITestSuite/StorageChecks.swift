import Foundation
import Parallel
import Storage

/// A fresh file path shared by all ranks: rank 0 picks it (in $CASCADE_TEST_TMP or /tmp)
/// and broadcasts it, so every rank opens the same file.
func sharedPath(_ comm: Communicator, _ stem: String) throws -> String {
    let directory = ProcessInfo.processInfo.environment["CASCADE_TEST_TMP"] ?? "/tmp"
    let name = "\(directory)/cascade-mpitest-\(stem)-\(getpid())-\(UInt32.random(in: 0 ... .max)).h5"
    return try comm.broadcast(name, root: 0)
}

/// Removes `path` on rank 0 once every rank is done with it.
func cleanUp(_ comm: Communicator, _ paths: String...) throws {
    try comm.barrier()
    if comm.isRoot { for path in paths { unlink(path) } }
}

/// Hidden temporaries (`.name.tmp-...`) left next to `path`.
private func leftovers(_ path: String) -> [String] {
    let url = URL(fileURLWithPath: path)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)) ?? []
    return names.filter { $0.hasPrefix(".\(url.lastPathComponent).tmp-") }
}

/// Values that encode their global indices exactly (all integers plus a quarter).
private func f2(_ i: Int, _ j: Int) -> Double { Double(i * 1000 + j) + 0.25 }
private func f3(_ i: Int, _ j: Int, _ k: Int) -> Double { Double(i * 10000 + j * 100 + k) - 0.5 }

/// A rank-count independent checksum of a whole array, summed in one fixed order.
private func checksum(_ values: [Double]) -> Double {
    values.enumerated().reduce(0.0) { $0 + $1.element * Double($1.offset % 7 + 1) }
}

/// Parallel HDF5: distributed writes, atomic close, re-reads under other decompositions.
let storageChecks: [MPICheck] = [
    MPICheck("storage.distributed-2d-3d") { comm, t in
        let path = try sharedPath(comm, "blocks")
        let (rows, cols) = (37, 20)
        let shape3 = [9, 6, 5]
        let h5 = try H5File.create(path, communicator: comm)
        // 2D: rows in blocks, uneven on 3 ranks (13, 12, 12).
        let mine = comm.blockRange(of: rows)
        try h5.createDataset("/fields/u2", of: Double.self, shape: [rows, cols])
        try h5.write("/fields/u2", mine.flatMap { i in (0 ..< cols).map { f2(i, $0) } },
                     offset: [mine.lowerBound, 0], count: [mine.count, cols])
        // 3D: blocks along axis 0.
        let mine3 = comm.blockRange(of: shape3[0])
        try h5.createDataset("/fields/u3", of: Double.self, shape: shape3)
        var local3: [Double] = []
        for i in mine3 { for j in 0 ..< shape3[1] { for k in 0 ..< shape3[2] { local3.append(f3(i, j, k)) } } }
        try h5.write("/fields/u3", local3, offset: [mine3.lowerBound, 0, 0], count: [mine3.count, shape3[1], shape3[2]])
        // Two rows over up to four ranks: some ranks write nothing but still take part.
        let tiny = comm.blockRange(of: 2)
        try h5.createDataset("/tiny", of: Float.self, shape: [2, 3])
        try h5.write("/tiny", tiny.flatMap { i in (0 ..< 3).map { Float(i * 3 + $0) } },
                     offset: [tiny.lowerBound, 0], count: [tiny.count, 3])
        t.expect(!FileManager.default.fileExists(atPath: path), "final path absent before close")
        try h5.close()
        t.expect(FileManager.default.fileExists(atPath: path), "final path present after close")
        t.expect(leftovers(path).isEmpty, "no temporary after close: \(leftovers(path))")

        let reader = try H5File.open(path, communicator: comm)
        // 2D by columns instead of rows.
        let myCols = comm.blockRange(of: cols)
        let byColumns = try reader.read("/fields/u2", as: Double.self, offset: [0, myCols.lowerBound],
                                        count: [rows, myCols.count])
        t.expect(byColumns == (0 ..< rows).flatMap { i in myCols.map { f2(i, $0) } }, "2D read back by columns")
        // 3D: the block the next rank wrote.
        let other = BlockDecomposition(count: shape3[0], parts: comm.size).range(of: (comm.rank + 1) % comm.size)
        let neighbour = try reader.read("/fields/u3", as: Double.self, offset: [other.lowerBound, 0, 0],
                                        count: [other.count, shape3[1], shape3[2]])
        var expected3: [Double] = []
        for i in other { for j in 0 ..< shape3[1] { for k in 0 ..< shape3[2] { expected3.append(f3(i, j, k)) } } }
        t.expect(neighbour == expected3, "3D read back of rank \((comm.rank + 1) % comm.size)'s block")
        t.expect(try reader.read("/tiny", as: Float.self) == (0 ..< 6).map(Float.init), "tiny dataset whole")
        // Whole arrays on every rank, for checksums that must not depend on the rank count.
        let all2 = try reader.read("/fields/u2", as: Double.self)
        let all3 = try reader.read("/fields/u3", as: Double.self)
        t.expect(try reader.shape(of: "/fields/u3") == shape3, "3D shape")
        try reader.close()
        t.record("checksums", [checksum(all2), checksum(all3)], tolerance: 0)
        try cleanUp(comm, path)
    },

    MPICheck("storage.extendible-frames") { comm, t in
        let path = try sharedPath(comm, "frames")
        let (ny, nx) = (13, 7)
        func value(_ frame: Int, _ i: Int, _ j: Int) -> Double { Double(frame * 1000 + i * 10 + j) / 8 }
        let h5 = try H5File.create(path, communicator: comm)
        try h5.createExtendibleDataset("/series/w", of: Double.self, frameShape: [ny, nx])
        let mine = comm.blockRange(of: ny)
        for frame in 0 ..< 3 {
            let slab = mine.flatMap { i in (0 ..< nx).map { value(frame, i, $0) } }
            let index = try h5.appendFrame("/series/w", slab, offset: [mine.lowerBound, 0], count: [mine.count, nx])
            t.expect(index == frame, "appendFrame returned \(index) for frame \(frame)")
        }
        try h5.setAttribute("times", .doubles([0, 0.5, 1]), on: "/series/w")
        try h5.close()

        // Reopen for an atomic update and add a fourth frame, split by columns this time.
        let update = try H5File.openForUpdate(path, communicator: comm)
        let myCols = comm.blockRange(of: nx)
        try update.appendFrame("/series/w", (0 ..< ny).flatMap { i in myCols.map { value(3, i, $0) } },
                               offset: [0, myCols.lowerBound], count: [ny, myCols.count])
        try update.close()
        t.expect(leftovers(path).isEmpty, "no temporary after update")

        let reader = try H5File.open(path, communicator: comm)
        t.expect(try reader.frameCount(of: "/series/w") == 4, "four frames")
        for frame in 0 ..< 4 {
            let cols = try reader.readFrame("/series/w", frame, as: Double.self, offset: [0, myCols.lowerBound],
                                            count: [ny, myCols.count])
            t.expect(cols == (0 ..< ny).flatMap { i in myCols.map { value(frame, i, $0) } }, "frame \(frame) by columns")
        }
        let all = try reader.read("/series/w", as: Double.self)
        try reader.close()
        t.record("checksum", [checksum(all)], tolerance: 0)
        try cleanUp(comm, path)
    },

    MPICheck("storage.attributes-contents") { comm, t in
        let path = try sharedPath(comm, "attrs")
        let values: [String: AttributeValue] = [
            "nu": .double(1e-3), "steps": .int(4096), "solver": .string("pseudo-spectral ✓"),
            "box": .doubles([6.25, 3.125]), "grid": .ints([64, 32]),
        ]
        let h5 = try H5File.create(path, communicator: comm)
        try h5.createDataset("/fields/u", of: Float.self, shape: [4, 4])
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            try h5.setAttribute(name, value)
            try h5.setAttribute(name, value, on: "/fields/u")
        }
        try h5.createGroup("/meta/run")
        try h5.setAttribute("ranks", .int(comm.size), on: "/meta/run")
        try h5.close()

        let reader = try H5File.open(path, communicator: comm)
        t.expect(try reader.attributes(of: "/") == values, "root attributes on rank \(comm.rank)")
        t.expect(try reader.attributes(of: "/fields/u") == values, "dataset attributes on rank \(comm.rank)")
        t.expect(try reader.attribute("ranks", of: "/meta/run") == .int(comm.size), "group attribute")
        let listing = try reader.contents()
        t.expect(listing.map(\.path) == ["/", "/fields", "/fields/u", "/meta", "/meta/run"], "contents \(listing.map(\.path))")
        t.expect(listing[2].shape == [4, 4] && listing[2].elementType == .float32, "dataset info")
        try reader.close()
        try cleanUp(comm, path)
    },

    MPICheck("storage.errors-agree") { comm, t in
        let path = try sharedPath(comm, "errors")
        let h5 = try H5File.create(path, communicator: comm)
        try h5.createDataset("/x", of: Double.self, shape: [comm.size, 2])
        // Only the last rank asks for an out-of-bounds row: every rank must throw, none hang.
        let row = comm.rank == comm.size - 1 ? comm.size : comm.rank
        do {
            try h5.write("/x", [1.0, 2.0], offset: [row, 0], count: [1, 2])
            t.expect(false, "out-of-bounds write on one rank did not throw on rank \(comm.rank)")
        } catch let error as StorageError {
            t.expect(error.file == path && error.object == "/x", "error names file and dataset: \(error)")
            t.expect("\(error)".contains("out of bounds"), "error says what went wrong: \(error)")
        }
        do {
            _ = try h5.read("/missing", as: Double.self)
            t.expect(false, "missing dataset did not throw")
        } catch let error as StorageError {
            t.expect(error.object == "/missing" && "\(error)".contains("no such dataset"), "missing dataset: \(error)")
        }
        // The file is still usable after the errors.
        try h5.write("/x", [Double(comm.rank), 1], offset: [comm.rank, 0], count: [1, 2])
        try h5.close()
        let check = try H5File.open(path, communicator: comm)
        t.expect(try check.read("/x", as: Double.self, offset: [0, 0], count: [comm.size, 1]) == (0 ..< comm.size).map(Double.init),
                 "writes after errors landed")
        try check.close()
        // Dropped without close on every rank: no file, no temporary.
        let dropped = try sharedPath(comm, "dropped")
        do {
            let h5 = try H5File.create(dropped, communicator: comm)
            try h5.createDataset("/y", of: Double.self, shape: [1])
        }
        try comm.barrier()
        t.expect(!FileManager.default.fileExists(atPath: dropped) && leftovers(dropped).isEmpty, "dropped file left nothing")
        try cleanUp(comm, path)
    },

    // Parallel HDF5 keeps the file's metadata on every rank and each rank allocates file space for
    // it on its own: attributes created in another order on one rank (a Swift dictionary iterated
    // on each rank: its order differs between processes) give the ranks different ends of the
    // file, and the close's flush then resized the file on one rank only, which waited forever in
    // MPI_File_set_size. Every rank must get one error instead, before anything is written.
    MPICheck("storage.metadata-order-agrees") { comm, t in
        let path = try sharedPath(comm, "order")
        let h5 = try H5File.create(path, communicator: comm)
        try h5.createExtendibleDataset("/series", of: Double.self, frameShape: [1])
        for frame in 0 ..< 64 {
            try h5.appendFrame("/series", comm.isRoot ? [Double(frame)] : [], offset: [0], count: [comm.isRoot ? 1 : 0])
        }
        // Names of different lengths, in an order that depends on the rank (as a dictionary's does).
        var names = (0 ..< 12).map { "count_" + String(repeating: "x", count: 3 * $0) }
        if comm.rank % 2 == 1 { names.reverse() }
        var thrown: StorageError? = nil
        do {
            for name in names { try h5.setAttribute(name, .int(name.count)) }
        } catch let error as StorageError {
            thrown = error
        }
        if comm.size > 1 {
            t.expect(thrown != nil, "attributes set in a rank-dependent order did not throw on rank \(comm.rank)")
            t.expect(thrown.map { "\($0)".contains("different") && $0.object == "/@" + names[0] } ?? true,
                     "the error names the attribute and says the ranks differ: \(thrown.map { "\($0)" } ?? "")")
        } else {
            t.expect(thrown == nil, "one rank: no error, got \(thrown.map { "\($0)" } ?? "")")
        }
        // A string whose length depends on the rank needs another amount of room on each rank.
        thrown = nil
        do {
            try h5.setAttribute("label", .string("rank \(String(repeating: "r", count: comm.rank))"))
        } catch let error as StorageError {
            thrown = error
        }
        t.expect((thrown != nil) == (comm.size > 1), "a rank-dependent string length threw: \(thrown.map { "\($0)" } ?? "no")")
        // The file is still consistent: the same calls in the same order close it on every rank.
        for name in names.sorted() { try h5.setAttribute(name + "_sorted", .int(name.count)) }
        try h5.close()
        let reader = try H5File.open(path, communicator: comm)
        t.expect(try reader.frameCount(of: "/series") == 64, "64 frames")
        t.expect(try reader.attribute("count__sorted") == .int(6), "attributes written in agreed order")
        try reader.close()
        try cleanUp(comm, path)
    },

    MPICheck("storage.xdmf") { comm, t in
        let h5path = try sharedPath(comm, "xdmf")
        let xmf = String(h5path.dropLast(3)) + ".xmf"
        var writer = try XDMFWriter(dimensions: [8, 4], spacing: [0.5, 0.25])
        writer.addTimeSeries("w", file: URL(fileURLWithPath: h5path).lastPathComponent, dataset: "/series/w", frames: 2)
        writer.times = [0, 0.1]
        try writer.write(to: xmf, communicator: comm)
        let text = (try? String(contentsOfFile: xmf, encoding: .utf8)) ?? ""
        t.expect(text == (try writer.xml()), "every rank sees the complete XDMF file")
        t.expect(leftovers(xmf).isEmpty, "no XDMF temporary")
        try cleanUp(comm, xmf)
    },
]
