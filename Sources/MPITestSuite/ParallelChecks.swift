import Parallel

/// Collectives and decomposition on any rank count, against values computed in closed form.
let parallelChecks: [MPICheck] = [
    MPICheck("parallel.allreduce") { comm, t in
        let r = Double(comm.rank), n = Double(comm.size)
        let sum = try comm.allreduce([r, 1, -r], .sum)
        t.expectAllClose(sum, [n * (n - 1) / 2, n, -n * (n - 1) / 2], rel: 0, "double sum")
        t.expect(try comm.allreduce(comm.rank, .max) == comm.size - 1, "int max")
        t.expect(try comm.allreduce(Float(comm.rank) + 1, .min) == 1, "float min")
        var inPlace = [Int](repeating: comm.rank + 1, count: 5)
        try comm.allreduce(inPlace: &inPlace, .sum)
        t.expect(inPlace == [Int](repeating: comm.size * (comm.size + 1) / 2, count: 5), "int in-place sum")
        var f: [Float] = [Float(comm.rank), -Float(comm.rank)]
        try comm.allreduce(inPlace: &f, .max)
        t.expect(f == [Float(comm.size - 1), 0], "float in-place max")
        // A sum whose value does not depend on the rank count, recorded for comparison.
        let decomposition = BlockDecomposition(count: 1000, parts: comm.size)
        var partial = 0.0
        for i in decomposition.range(of: comm.rank) { partial += 1.0 / Double((i + 1) * (i + 1)) }
        t.record("basel-partial-sum", [try comm.allreduce(partial, .sum)], tolerance: 1e-14)
    },
    MPICheck("parallel.reduce-to-root") { comm, t in
        // Only the root receives the sum; the others' buffers are sent and left as they were.
        let root = comm.size - 1
        let mine: [Double] = [Double(comm.rank), 1, Double(comm.rank * comm.rank)]
        var buffer = mine
        try comm.reduce(inPlace: &buffer, .sum, root: root)
        let n = Double(comm.size)
        if comm.rank == root {
            t.expectAllClose(buffer, [n * (n - 1) / 2, n, (n - 1) * n * (2 * n - 1) / 6], rel: 0, "sum on the root")
        } else {
            t.expect(buffer == mine, "buffer off the root unchanged: \(buffer)")
        }
        var m = [comm.rank + 1]
        try comm.reduce(inPlace: &m, .max, root: 0)
        if comm.isRoot { t.expect(m == [comm.size], "int max on rank 0") }
    },
    MPICheck("parallel.broadcast-gather") { comm, t in
        let root = comm.size - 1
        var data: [Double] = comm.rank == root ? [3, 1, 4, 1, 5] : []
        try comm.broadcast(&data, root: root)
        t.expect(data == [3, 1, 4, 1, 5], "broadcast from last rank")
        t.expect(try comm.broadcast("cascade-\(comm.rank)", root: 0) == "cascade-0", "string broadcast")
        // Rank r contributes r + 1 copies of r (variable counts).
        let local = [Int](repeating: comm.rank, count: comm.rank + 1)
        let expected = (0 ..< comm.size).flatMap { [Int](repeating: $0, count: $0 + 1) }
        t.expect(try comm.allgather(local) == expected, "allgatherv")
        let gathered = try comm.gather(local.map(Double.init), root: 0)
        if comm.isRoot { t.expect(gathered == expected.map(Double.init), "gatherv on root") }
        else { t.expect(gathered == nil, "gatherv off root is nil") }
        t.expect(try comm.allgather("r\(comm.rank)") == (0 ..< comm.size).map { "r\($0)" }, "string allgather")
    },
    MPICheck("parallel.alltoall-sendrecv") { comm, t in
        let n = comm.size
        let send = (0 ..< n).flatMap { j in [comm.rank * 100 + j, -1] }
        let got = try comm.alltoall(send, blockCount: 2)
        t.expect(got == (0 ..< n).flatMap { i in [i * 100 + comm.rank, -1] }, "alltoall")
        // alltoallv: rank r sends j + 1 copies of r to rank j.
        let counts = (0 ..< n).map { $0 + 1 }
        let vsend = counts.flatMap { [Double](repeating: Double(comm.rank), count: $0) }
        let vgot = try comm.alltoallv(vsend, sendCounts: counts)
        t.expect(vgot == (0 ..< n).flatMap { [Double](repeating: Double($0), count: comm.rank + 1) }, "alltoallv")
        // A ring: send to the right, receive from the left.
        let right = (comm.rank + 1) % n, left = (comm.rank + n - 1) % n
        let ring = try comm.sendReceive([Double(comm.rank)], to: right, receiveCount: 1, from: left, tag: 7)
        t.expect(ring == [Double(left)], "sendrecv ring")
        if n > 1 {
            if comm.rank == 0 { try comm.send([1.5, 2.5] as [Double], to: 1, tag: 3) }
            if comm.rank == 1 {
                let m: [Double] = try comm.receive(maxCount: 10, from: 0, tag: 3)
                t.expect(m == [1.5, 2.5], "send/recv with shorter message than buffer")
            }
        }
        try comm.barrier()
    },
    MPICheck("parallel.nonblocking-allreduce") { comm, t in
        var buffer = (0 ..< 1 << 16).map { Double($0 % 97) * Double(comm.rank + 1) }
        let factor = Double(comm.size * (comm.size + 1) / 2)
        try buffer.withUnsafeMutableBufferPointer { b in
            let request = try comm.startAllreduce(inPlace: b, .sum)
            // Work that overlaps the reduction.
            var busy = 0.0
            for k in 0 ..< 10000 { busy += Double(k) }
            t.expect(busy > 0, "overlap work")
            try request.wait()
        }
        t.expect(buffer.enumerated().allSatisfy { $0.element == Double($0.offset % 97) * factor }, "iallreduce result")
    },
    MPICheck("parallel.reduce-scatter-allgather") { comm, t in
        // Uneven blocks (rank k owns k + 3 elements, the last rank none): element i of rank r's
        // buffer is r·1000 + i, so the sum over ranks is known in closed form; blocking and
        // nonblocking; then each rank writes its block and the allgather fills in the others'.
        let p = comm.size
        let counts = (0 ..< p).map { $0 == p - 1 && p > 1 ? 0 : $0 + 3 }
        let blocks = try BlockCounts(counts)
        t.expect(blocks.total == counts.reduce(0, +) && blocks.offsets.last! + counts.last! == blocks.total, "offsets")
        let send = (0 ..< blocks.total).map { Float(comm.rank * 1000 + $0) }
        let ranksSum = Float(p * (p - 1) / 2 * 1000)
        let expected = (0 ..< counts[comm.rank]).map { ranksSum + Float(p) * Float(blocks.offsets[comm.rank] + $0) }
        for nonblocking in [false, true] {
            var block = [Float](repeating: -1, count: counts[comm.rank])
            try send.withUnsafeBufferPointer { s in
                try block.withUnsafeMutableBufferPointer { b in
                    if nonblocking {
                        let request = AllreduceRequest()
                        try comm.startReduceScatter(s, into: b, blocks: blocks, .sum, reusing: request)
                        try request.wait()
                    } else {
                        try comm.reduceScatter(s, into: b, blocks: blocks, .sum)
                    }
                }
            }
            t.expect(block == expected, "reduce-scatter (nonblocking \(nonblocking)): \(block) expected \(expected)")
            // In place: this rank's block of the sum lands at the start of the buffer.
            var inPlace = send
            try inPlace.withUnsafeMutableBufferPointer { b in
                if nonblocking {
                    let request = AllreduceRequest()
                    try comm.startReduceScatter(inPlace: b, blocks: blocks, .sum, reusing: request)
                    try request.wait()
                } else {
                    try comm.reduceScatter(inPlace: b, blocks: blocks, .sum)
                }
            }
            t.expect(Array(inPlace[0 ..< counts[comm.rank]]) == expected, "in-place reduce-scatter (nonblocking \(nonblocking))")
            var whole = [Float](repeating: -1, count: blocks.total)
            for i in 0 ..< counts[comm.rank] { whole[blocks.offsets[comm.rank] + i] = Float(comm.rank * 100 + i) }
            try whole.withUnsafeMutableBufferPointer { w in
                if nonblocking {
                    let request = AllreduceRequest()
                    try comm.startAllgather(inPlace: w, blocks: blocks, reusing: request)
                    try request.wait()
                } else {
                    try comm.allgather(inPlace: w, blocks: blocks)
                }
            }
            let gathered = (0 ..< p).flatMap { r in (0 ..< counts[r]).map { Float(r * 100 + $0) } }
            t.expect(whole == gathered, "allgather (nonblocking \(nonblocking)): \(whole)")
        }
    },
    MPICheck("parallel.split") { comm, t in
        let sub = try comm.split(color: comm.rank % 2)
        t.expect(sub.size == (comm.size + 1 - comm.rank % 2) / 2, "split size")
        t.expect(sub.rank == comm.rank / 2, "split rank ordered by key")
        let s = try sub.allreduce(1, .sum)
        t.expect(s == sub.size, "collective on sub-communicator")
        let dup = try comm.duplicate()
        t.expect(dup.size == comm.size && dup.rank == comm.rank, "duplicate")
    },
    MPICheck("parallel.block-decomposition") { comm, t in
        for count in [0, 1, 3, 10, 1001] {
            let mine = comm.blockRange(of: count)
            let total = try comm.allreduce(mine.count, .sum)
            t.expect(total == count, "blocks cover \(count)")
            let starts = try comm.allgather([mine.lowerBound])
            t.expect(starts == BlockDecomposition(count: count, parts: comm.size).offsets, "offsets agree for \(count)")
        }
    },
]
