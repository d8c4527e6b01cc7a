import Foundation
import XCTest

/// A helper server on a free loopback port (moto's S3 server, or the fault-injecting proxy from
/// Tests/RemoteSupport/). It stops when `stop()` is called or the test process ends: the script
/// exits when its stdin closes.
public final class LoopbackServer: @unchecked Sendable {
    public let port: Int
    /// Where the server's stderr goes (the proxy logs each injected fault there as `FAULT …`).
    public let logPath: String
    private let process: Process
    private let stdin: Pipe

    public var endpoint: String { "http://127.0.0.1:\(port)" }

    init(process: Process, stdin: Pipe, port: Int, logPath: String) {
        self.process = process; self.stdin = stdin; self.port = port; self.logPath = logPath
    }

    public func stop() {
        guard process.isRunning else { return }
        try? stdin.fileHandleForWriting.close()
        process.terminate()
        process.waitUntilExit()
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Lines of the log that start with `FAULT`.
    public var faults: [String] { log.split(separator: "\n").filter { $0.hasPrefix("FAULT") }.map(String.init) }

    deinit { stop() }
}

/// moto's S3 server and the fault proxy for the remote tests.
public enum RemoteTestServers {
    static let support = TestSupport.repoRoot.appendingPathComponent("Tests/RemoteSupport")

    /// A Python with moto installed: $FTX_MOTO_PYTHON (`make moto` sets it up), the checkout's
    /// .cache/venv-moto, or python3 if it can import moto. Skips when none has it, unless
    /// FTX_REQUIRE_MODEL=1 (as `make test` sets), where that is a failure.
    public static func python(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let env = ProcessInfo.processInfo.environment
        var candidates = [TestSupport.repoRoot.appendingPathComponent(".cache/venv-moto/bin/python").path]
        if let p = env["FTX_MOTO_PYTHON"] { candidates.insert(p, at: 0) }
        for c in candidates where FileManager.default.isExecutableFile(atPath: c) { return c }
        if let r = try? TestSupport.run("/usr/bin/env", ["python3", "-c", "import moto.server, botocore"], cwd: support), r.status == 0 {
            return "/usr/bin/env"
        }
        if env["FTX_REQUIRE_MODEL"] == "1" {
            XCTFail("moto is not installed; run `make moto`", file: file, line: line)
        }
        throw XCTSkip("moto[server] not installed (run `make moto`)")
    }

    static func start(_ script: String, _ args: [String]) throws -> LoopbackServer {
        let py = try python()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: py)
        let scriptPath = support.appendingPathComponent(script).path
        p.arguments = (py == "/usr/bin/env" ? ["python3"] : []) + ["-u", scriptPath] + args
        let log = TestSupport.makeTempDir("ftx-server").appendingPathComponent("\(script).log").path
        FileManager.default.createFile(atPath: log, contents: nil)
        let out = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardInput = inp
        p.standardError = FileHandle(forWritingAtPath: log)
        try p.run()
        // The first line is the port (importing moto takes seconds on a busy machine).
        final class Box: @unchecked Sendable { var line = "" }
        let box = Box()
        let ready = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            var data = Data()
            while !data.contains(10) {
                let d = out.fileHandleForReading.availableData
                if d.isEmpty { break }
                data.append(d)
            }
            box.line = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            ready.signal()
        }
        guard ready.wait(timeout: .now() + 120) == .success, let port = Int(box.line) else {
            p.terminate()
            let err = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw NSError(domain: "RemoteTestServers", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(script) did not start: \(err.suffix(2000))"])
        }
        return LoopbackServer(process: p, stdin: inp, port: port, logPath: log)
    }

    public static func startMoto() throws -> LoopbackServer { try start("moto_server.py", []) }

    nonisolated(unsafe) private static var shared: LoopbackServer?
    private static let sharedLock = NSLock()

    /// One moto for the whole test process (it exits with the process); each test uses its own bucket.
    public static func sharedMoto() throws -> LoopbackServer {
        sharedLock.lock(); defer { sharedLock.unlock() }
        if let s = shared { return s }
        let s = try startMoto()
        shared = s
        return s
    }

    /// A fresh bucket with a unique name on the shared moto.
    public static func freshBucket(_ prefix: String = "ftx") throws -> (server: LoopbackServer, bucket: String) {
        let m = try sharedMoto()
        let name = "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
        try createBucket(name, on: m)
        return (m, name)
    }

    /// A proxy to `upstream` injecting `faults` (see fault_proxy.py); with `verifySecret`, every
    /// request's SigV4 signature is checked with botocore's signer.
    public static func startProxy(upstream: LoopbackServer, faults: String, verifySecret: String? = nil) throws -> LoopbackServer {
        try start("fault_proxy.py", [String(upstream.port), faults] + (verifySecret.map { ["--verify-secret", $0] } ?? []))
    }

    /// Creates a bucket on moto (an unsigned PUT, which moto accepts).
    public static func createBucket(_ name: String, on server: LoopbackServer) throws {
        let py = try python()
        let code = "import urllib.request,sys; urllib.request.urlopen(urllib.request.Request(sys.argv[1], method='PUT'))"
        let r = try TestSupport.run(py, (py == "/usr/bin/env" ? ["python3"] : []) + ["-c", code, "\(server.endpoint)/\(name)"], cwd: support)
        if r.status != 0 { throw NSError(domain: "RemoteTestServers", code: 2, userInfo: [NSLocalizedDescriptionKey: r.stderr]) }
    }

    /// Environment for ftx talking to moto: fixed test credentials and region, and a HOME of its
    /// own so the machine's ~/.aws plays no part.
    public static func awsEnvironment(home: URL, keyID: String = "ftxtestkey", secret: String = "ftxtestsecret",
                                      token: String? = nil) -> [String: String] {
        ["HOME": home.path, "AWS_ACCESS_KEY_ID": keyID, "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": token ?? "",
         "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_S3": ""]
    }
}
