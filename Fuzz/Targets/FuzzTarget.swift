import Foundation

/// ftx's fuzz targets: what each feeds the code under test. Two callers share them: the libFuzzer
/// executable (Fuzz/Driver, built with `-sanitize=fuzzer,address` by `make fuzz-build`) and the
/// FuzzReplayTests test target (Fuzz/Replay), which runs every committed seed and every input that
/// once crashed through the same code in the ordinary test build. A target returns normally for any
/// input the code rejects with an error; a crash, a failed property check (`FuzzCheck.fail`), a
/// timeout or running out of memory is a finding.

/// A fuzz target: what it feeds the code under test, and the seeds it generates with the
/// project's own writers (hand-written seeds live in Fuzz/corpus/<name>/ beside them).
struct FuzzTarget {
    let name: String
    let run: (Data) -> Void
    var seeds: () throws -> [(name: String, bytes: Data)] = { [] }
}

enum FuzzTargets {
    static let all: [FuzzTarget] = [
        GGUFTarget.target, AdapterTarget.target, JSONLTarget.target, ConfigTarget.target, SuiteTarget.target,
        JinjaTarget.target, RevisionTarget.target, PackTarget.target, ObjectTarget.target, ReportTarget.target,
        CheckpointTarget.target,
    ]
}

/// Property checks inside targets: a violation is a finding, reported like a crash.
enum FuzzCheck {
    static let debug = ProcessInfo.processInfo.environment["FTX_FUZZ_DEBUG"] != nil
    static func fail(_ what: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
        fatalError("fuzz property violated: \(what)", file: file, line: line)
    }
}

/// `try?` for the code under test that, with FTX_FUZZ_DEBUG=1, prints what it threw: to see how far
/// a seed gets (`FTX_FUZZ_DEBUG=1 FTX_FUZZ_TARGET=… ftx-fuzz SEED`).
func attempt<T>(_ body: () throws -> T) -> T? {
    do { return try body() } catch {
        if FuzzCheck.debug { FileHandle.standardError.write(Data("rejected: \(error)\n".utf8)) }
        return nil
    }
}
