import Foundation
import Parallel

// cascade-mpitests: multi-rank checks of the foundation.
//
//   mpirun -np N cascade-mpitests [--record FILE] [--filter SUBSTRING]
//       runs every check on N ranks; rank 0 prints one line per check and writes the
//       recorded results (which must not depend on N) to FILE as JSON.
//   cascade-mpitests --compare FILE...
//       checks that recorded results agree across the files (rank counts).
// Exit status is non-zero if anything failed. The last line is `N passed, M failed`.

Console.lineBuffered()
let arguments = Array(CommandLine.arguments.dropFirst())

if arguments.first == "--compare" {
    exit(compareRecords(files: Array(arguments.dropFirst())))
}

var recordPath: String? = nil
var filter: String? = nil
var i = 0
while i < arguments.count {
    switch arguments[i] {
    case "--record": recordPath = arguments[i + 1]; i += 2
    case "--filter": filter = arguments[i + 1]; i += 2
    default:
        Console.error("cascade-mpitests: unknown argument \(arguments[i])\n")
        exit(2)
    }
}

let allChecks: [MPICheck] = parallelChecks + linalgChecks + fftChecks + storageChecks + turbulenceChecks + rmtChecks + rmtNullChecks + streamingChecks
    + trainingChecks + trainingDataChecks + distributedLinalgChecks + jobKitChecks
let world = Communicator.world
var passed = 0, failed = 0
var allRecords: [String: [String: Any]] = [:]

for check in allChecks where filter.map({ check.name.contains($0) }) ?? true {
    let context = CheckContext(checkName: check.name)
    do {
        try check.body(world, context)
    } catch {
        context.expect(false, "threw \(error)")
    }
    // A check fails if it failed on any rank; rank 0 prints the messages of every rank.
    let localFailures = context.failures.joined(separator: "; ")
    let messages = (try? world.allgather(localFailures)) ?? [localFailures]
    let bad = messages.enumerated().filter { !$0.element.isEmpty }
    if world.isRoot {
        if bad.isEmpty {
            passed += 1
            print("PASS \(check.name) [np=\(world.size)]")
        } else {
            failed += 1
            print("FAIL \(check.name) [np=\(world.size)]")
            for (rank, message) in bad { print("     rank \(rank): \(message)") }
        }
        for r in context.records { allRecords[r.key] = ["values": r.values, "tolerance": r.tolerance] }
    }
}

if world.isRoot {
    if let path = recordPath {
        let data = try! JSONSerialization.data(withJSONObject: ["ranks": world.size, "records": allRecords],
                                               options: [.sortedKeys])
        try! data.write(to: URL(fileURLWithPath: path))
    }
    print("\(passed) passed, \(failed) failed")
}
Console.flush()
try? world.barrier()
MPIEnvironment.finalizeIfNeeded()
exit(failed == 0 ? 0 : 1)

/// Compares recorded results between rank counts; returns the exit status.
func compareRecords(files: [String]) -> Int32 {
    var runs: [(ranks: Int, records: [String: [String: Any]])] = []
    for f in files {
        guard let data = FileManager.default.contents(atPath: f),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let ranks = object["ranks"] as? Int, let records = object["records"] as? [String: [String: Any]] else {
            print("FAIL compare: cannot read \(f)")
            print("0 passed, 1 failed")
            return 1
        }
        runs.append((ranks, records))
    }
    guard let reference = runs.first else { return 2 }
    var passed = 0, failed = 0
    for key in reference.records.keys.sorted() {
        let ref = reference.records[key]!["values"] as! [Double]
        let tol = reference.records[key]!["tolerance"] as! Double
        let scale = max(ref.map(abs).max() ?? 0, 1e-300)
        var problems: [String] = []
        for run in runs.dropFirst() {
            guard let other = run.records[key]?["values"] as? [Double] else {
                problems.append("missing at np=\(run.ranks)"); continue
            }
            guard other.count == ref.count else {
                problems.append("length \(other.count) at np=\(run.ranks) vs \(ref.count)"); continue
            }
            let worst = zip(ref, other).map { abs($0 - $1) / scale }.max() ?? 0
            if !(worst <= tol) { problems.append("np=\(run.ranks) differs from np=\(reference.ranks) by \(worst) > \(tol)") }
        }
        let counts = runs.map { String($0.ranks) }.joined(separator: ",")
        if problems.isEmpty {
            passed += 1
            print("PASS same result on np=\(counts): \(key)")
        } else {
            failed += 1
            print("FAIL same result on np=\(counts): \(key): \(problems.joined(separator: "; "))")
        }
    }
    print("\(passed) passed, \(failed) failed")
    return failed == 0 ? 0 : 1
}
