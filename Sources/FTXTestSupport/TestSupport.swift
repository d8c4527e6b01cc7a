import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Paths and helpers shared by every test target: the repository root, the reference fixtures
/// committed under Tests/ (each with the script in scripts/ that regenerates it), the real SmolLM2
/// model fetched by `make model`, scratch directories, and running the built `ftx` binary. Nothing
/// here reads outside the repository except the model (FTX_SMOLLM2 or .cache/models) and the vocabularies
/// (.cache/vocab).
public enum TestSupport {
    /// The package root (the directory holding Package.swift).
    public static let repoRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Sources/FTXTestSupport/TestSupport.swift
        return url
    }()

    /// `Tests/<relative>`: a committed reference fixture, e.g. "FTXModelTests/Fixtures/smollm2/english.json".
    /// Fixtures are part of the repository, so a missing one is a failure, never a skip.
    public static func fixture(_ relative: String) -> URL {
        repoRoot.appendingPathComponent("Tests/\(relative)")
    }

    /// A raw little-endian float32 file (the references' binary format: row-major, no header).
    public static func float32s(_ url: URL) throws -> [Float] {
        let data = try Data(contentsOf: url)
        return data.withUnsafeBytes { raw in (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
    }

    /// A text file of float32 values, one little-endian hex bit pattern per line ("0000803f" is 1.0),
    /// for tables compared bit for bit.
    public static func hexFloat32s(_ url: URL) throws -> [Float] {
        try String(contentsOf: url, encoding: .utf8).split(whereSeparator: \.isNewline).map { hex in
            guard hex.count == 8, let le = UInt32(hex, radix: 16) else { throw CocoaError(.fileReadCorruptFile) }
            return Float(bitPattern: le.byteSwapped)
        }
    }

    /// Path to SmolLM2-135M-Instruct Q4_1 (`make model`). Skips when absent, unless
    /// FTX_REQUIRE_MODEL=1 (as `make test` sets), where a missing model is a failure.
    public static func smolLM2Path(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = ProcessInfo.processInfo.environment["FTX_SMOLLM2"]
            ?? repoRoot.appendingPathComponent(".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf").path
        return try fetched(path, what: "SmolLM2 model", target: "model", file: file, line: line)
    }

    /// Path to llama.cpp's vocab-only GGUF `ggml-vocab-<name>.gguf` (`make vocab` puts it, with its
    /// `.inp` texts and `.out` ids, in .cache/vocab). Skips or fails as `smolLM2Path` does.
    public static func vocabularyPath(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = repoRoot.appendingPathComponent(".cache/vocab/ggml-vocab-\(name).gguf").path
        return try fetched(path, what: "vocabulary \(name)", target: "vocab", file: file, line: line)
    }

    /// `path` when it exists; otherwise a skip naming the make target that fetches it, or a failure
    /// under FTX_REQUIRE_MODEL=1.
    static func fetched(_ path: String, what: String, target: String, file: StaticString, line: UInt) throws -> String {
        if FileManager.default.fileExists(atPath: path) { return path }
        if ProcessInfo.processInfo.environment["FTX_REQUIRE_MODEL"] == "1" {
            XCTFail("\(what) missing at \(path); run `make \(target)`", file: file, line: line)
        }
        throw XCTSkip("\(what) not fetched (run `make \(target)`)")
    }

    /// A fresh empty directory, removed by the caller's tearDown or left in /tmp for inspection.
    public static func makeTempDir(_ prefix: String = "ftx-test") -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The built `ftx` binary: $FTX_BIN, else the `ftx` beside the running test bundle.
    public static var ftxBinary: String {
        if let p = ProcessInfo.processInfo.environment["FTX_BIN"], FileManager.default.isExecutableFile(atPath: p) {
            return p
        }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("ftx").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir.deleteLastPathComponent()
        }
        return repoRoot.appendingPathComponent(".build/debug/ftx").path
    }

    /// Deterministic pseudo-random bytes (a 64-bit LCG's high bits): test data that does not
    /// compress and is the same on every run.
    public static func pseudoRandomBytes(_ n: Int, seed: UInt64) -> Data {
        var s = seed
        var d = Data(count: n)
        d.withUnsafeMutableBytes { (b: UnsafeMutableRawBufferPointer) in
            let p = b.bindMemory(to: UInt8.self)
            for i in 0..<n {
                s = s &* 6364136223846793005 &+ 1442695040888963407
                p[i] = UInt8(truncatingIfNeeded: s >> 33)
            }
        }
        return d
    }

    /// A running `ftx` whose output is collected in the background; `wait()` returns it, and
    /// `line(startingWith:)` waits for a line of stdout while the process still runs (a server's
    /// "listening on" line).
    public final class Running: @unchecked Sendable {
        public let process: Process
        private let group = DispatchGroup()
        private let cond = NSCondition()
        private var out = Data(), err = Data(), outEnded = false

        init(_ process: Process, stdout: Pipe, stderr: Pipe) {
            self.process = process
            group.enter()
            DispatchQueue.global().async {
                while case let d = stdout.fileHandleForReading.availableData, !d.isEmpty {
                    self.cond.withLock { self.out.append(d); self.cond.broadcast() }
                }
                self.cond.withLock { self.outEnded = true; self.cond.broadcast() }
                self.group.leave()
            }
            group.enter()
            DispatchQueue.global().async {
                let d = stderr.fileHandleForReading.readDataToEndOfFile()
                self.cond.withLock { self.err = d }
                self.group.leave()
            }
        }

        public func wait() -> RunResult {
            process.waitUntilExit()
            group.wait()
            return cond.withLock {
                RunResult(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                          stderr: String(decoding: err, as: UTF8.self))
            }
        }

        /// The first whole stdout line starting with `prefix`, as soon as it is written; nil once
        /// stdout ends without one, or after `timeout` seconds.
        public func line(startingWith prefix: String, timeout: TimeInterval = 120) -> String? {
            cond.lock(); defer { cond.unlock() }
            let deadline = Date().addingTimeInterval(timeout)
            while true {
                let text = String(decoding: out, as: UTF8.self)
                if let l = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                    .first(where: { $0.hasPrefix(prefix) }) { return String(l) }
                if outEnded || !cond.wait(until: deadline) { return nil }
            }
        }

        /// Standard error, once the process has closed it ("" before).
        public var stderr: String { cond.withLock { String(decoding: err, as: UTF8.self) } }

        /// SIGKILL: no handler runs, as when a machine loses power.
        public func kill9() { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    }

    /// Starts `ftx args…` in `cwd` without waiting for it.
    public static func startFTX(_ args: [String], cwd: URL, env: [String: String] = [:]) throws -> Running {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ftxBinary)
        p.arguments = args
        p.currentDirectoryURL = cwd
        p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        return Running(p, stdout: out, stderr: err)
    }

    /// A billion-laughs YAML document: nine levels of nine aliases each (9^9 nodes once expanded,
    /// 1 kB of text), at the top level or indented under `key`. Levels a..e expand to 10, 91, 820,
    /// 7381 and 66430 nodes, so a 100000-node limit is crossed by the first alias on line 6 (7 under a key).
    public static func yamlAliasBomb(under key: String? = nil) -> String {
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        var lines = ["a: &a [" + Array(repeating: "\"lol\"", count: 9).joined(separator: ",") + "]"]
        for k in 1..<names.count {
            lines.append("\(names[k]): &\(names[k]) [" + Array(repeating: "*\(names[k - 1])", count: 9).joined(separator: ",") + "]")
        }
        guard let key else { return lines.joined(separator: "\n") + "\n" }
        return "\(key):\n" + lines.map { "  " + $0 }.joined(separator: "\n") + "\n"
    }

    public struct RunResult {
        /// The exit status, or the signal number when `signaled`.
        public let status: Int32
        public let stdout: String
        public let stderr: String
        /// True when the process died of a signal (a crash: SIGILL, SIGSEGV, SIGABRT…).
        public var signaled = false
    }

    /// Runs `ftx args…` in `cwd` and captures its output. Output is drained concurrently so a
    /// chatty command never blocks on a full pipe.
    @discardableResult
    public static func runFTX(_ args: [String], cwd: URL, env: [String: String] = [:],
                              stdin: String? = nil) throws -> RunResult {
        try run(ftxBinary, args, cwd: cwd, env: env, stdin: stdin)
    }

    @discardableResult
    public static func run(_ executable: String, _ args: [String], cwd: URL, env: [String: String] = [:],
                           stdin: String? = nil) throws -> RunResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        p.currentDirectoryURL = cwd
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        // Drain stderr on another thread while stdout is read here, so neither pipe fills up.
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? inp.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        group.wait()
        let errData = errBox.data
        return RunResult(status: p.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self),
                         signaled: p.terminationReason == .uncaughtSignal)
    }
}
