import Foundation

/// The fuzz executable: libFuzzer's driver with ftx's targets. Built with `-sanitize=fuzzer,address`
/// (make fuzz-build). FTX_FUZZ_TARGET names the target to run; FTX_FUZZ_SEEDS=DIR instead writes
/// every target's generated seeds under DIR/<target>/ and exits. libFuzzer's own `main` is not used
/// (SwiftPM renames an executable's entry point, so the module has a main.swift that calls
/// LLVMFuzzerRunDriver). A target returns normally for any input the code rejects with an error; a
/// crash, a failed property check (`FuzzCheck.fail`), a timeout or running out of memory is a finding.

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
    ]
}

nonisolated(unsafe) var selected: FuzzTarget?

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected!.run(bytes.map { Data(bytes: $0, count: size) } ?? Data())
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

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
