import Foundation
import FTXTestSupport
import XCTest

/// `ftx serve` as users run it: the built binary on a repository with two real runs of SmolLM2
/// (two training steps each) deployed to prod, driven by the official openai Python client
/// (Tests/ServeSupport/openai_client.py, from `make openai`).
final class ServeCLITests: RegistryCLITestCase {
    var smolLM2: String!
    var python: String!

    override func setUpWithError() throws {
        try super.setUpWithError()
        smolLM2 = try TestSupport.smolLM2Path()
        let py = ProcessInfo.processInfo.environment["FTX_OPENAI_PYTHON"] ?? ""
        guard FileManager.default.isExecutableFile(atPath: py) else {
            if ProcessInfo.processInfo.environment["FTX_REQUIRE_MODEL"] == "1" {
                XCTFail("FTX_OPENAI_PYTHON is not set to a Python with the openai client (make openai)")
            }
            throw XCTSkip("FTX_OPENAI_PYTHON unset: run `make openai` and export it (make test does)")
        }
        python = py
    }

    /// Two short runs (A, B) of LoRA on SmolLM2, both deployed to prod (A first, so prod@{1} = A).
    func makeDeployedProject() throws -> (a: String, b: String) {
        try ftx(["base", "add", smolLM2, "--name", "smol", "--link"])
        let rows = (0..<24).map { #"{"prompt": "Item \#($0):", "completion": " ok \#($0)"}"# }
        try write("data/all.jsonl", rows.joined(separator: "\n") + "\n")
        var ids: [String] = []
        for seed in [3, 4] {
            try write("configs/lora.yaml", """
                base_model: smol
                data: ../data/all.jsonl
                lora_r: 2
                lora_alpha: 4
                lora_target_modules: [q_proj, v_proj]
                learning_rate: 0.01
                max_steps: 2
                micro_batch_size: 2
                max_seq_length: 96
                seed: \(seed)
                threads: 2
                """)
            let r = try TestSupport.runFTX(["run", "-c", "configs/lora.yaml", "-m", "seed \(seed)"], cwd: dir,
                                           env: ["FTX_AUTHOR": "Tester <t@example.com>", "FTX_MAX_STEPS": "2"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let id = try ftx(["log", "--json", "-n", "1"]).stdout.components(separatedBy: "\"id\" : \"")[1].prefix(64).description
            try ftx(["deploy", id, "--env", "prod"])
            ids.append(id)
        }
        return (ids[0], ids[1])
    }

    func openAI(_ args: [String]) throws -> [String: Any] {
        let script = TestSupport.repoRoot.appendingPathComponent("Tests/ServeSupport/openai_client.py").path
        let r = try TestSupport.run(python, [script] + args, cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout + r.stderr)
    }

    func testOpenAIClientHotSwapUnderLoadAndKill9() throws {
        let (a, b) = try makeDeployedProject()
        let server = try TestSupport.startFTX(["serve", "--port", "0", "--api-key-env", "FTX_TEST_KEY", "--threads", "2"], cwd: dir,
                                      env: ["FTX_TEST_KEY": "k-123", "FTX_AUTHOR": "Tester <t@example.com>"])
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        let port = try server.port()
        XCTAssertNotNil(server.line(startingWith: "ftx serve: ready"), server.stderr)
        let url = "http://127.0.0.1:\(port)/v1"

        // Chat, streaming, completions, models, and every error status through the client.
        let basic = try openAI(["basic", url, "k-123"])
        let chat = try XCTUnwrap(basic["chat"] as? [String: Any])
        XCTAssertEqual(chat["adapter"] as? String, b, "prod serves B")
        XCTAssertGreaterThan(chat["prompt_tokens"] as? Int ?? 0, 0)
        XCTAssertEqual(basic["stream"] as? String, chat["text"] as? String, "greedy: streamed = whole")
        XCTAssertEqual((basic["completion"] as? [String: Any])?["object"] as? String, "text_completion")
        XCTAssertGreaterThan(basic["completion_stream_chars"] as? Int ?? 0, 0)
        XCTAssertEqual(basic["models"] as? [String], ["prod", "base", (smolLM2 as NSString).lastPathComponent])
        let js = try XCTUnwrap(basic["json_schema"] as? [String: Any], "\(basic)")
        XCTAssertEqual(js["keys"] as? [String], ["category", "order_id"], "\(js)")
        XCTAssertEqual(js["category_ok"] as? Bool, true)
        XCTAssertEqual(js["finish"] as? String, "stop", "the constraint ends the output when the object closes")
        XCTAssertEqual(basic["json_object_finish"] as? String, "stop")
        XCTAssertEqual(basic["json_object_type"] as? String, "dict")
        XCTAssertEqual(basic["errors"] as? [String: Int], ["401": 401, "404": 404, "400_n": 400, "400_max_tokens": 400, "400_schema": 400, "413": 413,
                                                          "400_json": 400, "400_utf8": 400, "404_path": 404])

        // Roll prod back to A while 16 clients stream: nothing fails, everything after the swap is A.
        let swap = try openAI(["swap", url, "k-123", TestSupport.ftxBinary, dir.path])
        XCTAssertEqual((swap["failed"] as? [Any])?.count, 0, "\(swap["failed"] ?? "")")
        XCTAssertGreaterThanOrEqual(swap["total"] as? Int ?? 0, 32)
        // Requests that started while the checkout ran may already have A; the first ones had B.
        XCTAssertTrue((swap["before"] as? [String])?.contains(b) == true, "\(swap)")
        XCTAssertEqual(swap["after_1s"] as? [String], [a])

        // kill -9 mid-stream: every line of the log still parses.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET); addr.sin_port = in_port_t(UInt16(port).bigEndian); addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        let body = #"{"model":"prod","messages":[{"role":"user","content":"Count to fifty."}],"max_tokens":200,"stream":true}"#
        let req = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k-123\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        _ = req.withCString { send(fd, $0, strlen($0), 0) }
        usleep(300_000)
        kill(server.process.processIdentifier, SIGKILL)
        server.process.waitUntilExit()
        close(fd)

        let logDir = dir.appendingPathComponent(".ftx/serve/prod")
        let files = try FileManager.default.contentsOfDirectory(atPath: logDir.path)
        XCTAssertEqual(files.count, 1, "\(files)")
        let text = try String(contentsOf: logDir.appendingPathComponent(files[0]), encoding: .utf8)
        XCTAssertTrue(text.hasSuffix("\n"))
        var adapters = Set<String>(), statuses = Set<Int>()
        for l in text.split(separator: "\n") {
            let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(l.utf8)) as? [String: Any], String(l))
            if let a = o["adapter"] as? String { adapters.insert(a) }
            statuses.insert(o["status"] as? Int ?? 0)
        }
        XCTAssertEqual(adapters, [a, b], "the log records both versions")
        XCTAssertEqual(statuses, [200, 400, 401, 404, 413])
    }

    func testUsageErrors() throws {
        let open = try ftx(["serve", "--host", "0.0.0.0"], status: 2)
        XCTAssertTrue(open.stderr.contains("--api-key-env"), open.stderr)
        let unset = try ftx(["serve", "--api-key-env", "FTX_SURELY_UNSET_VAR"], status: 2)
        XCTAssertTrue(unset.stderr.contains("FTX_SURELY_UNSET_VAR"), unset.stderr)
        let nothing = try ftx(["serve", "--port", "0"], status: 2)
        XCTAssertTrue(nothing.stderr.contains("nothing is deployed to 'prod'"), nothing.stderr)
    }

    /// SIGTERM drains and exits 0.
    func testSigtermExitsCleanly() throws {
        let server = try TestSupport.startFTX(["serve", "--model", smolLM2, "--port", "0", "--log-dir", dir.appendingPathComponent("logs").path],
                                      cwd: dir, env: [:])
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        _ = try server.port()
        XCTAssertNotNil(server.line(startingWith: "ftx serve: ready"), server.stderr)
        kill(server.process.processIdentifier, SIGTERM)
        server.process.waitUntilExit()
        XCTAssertEqual(server.process.terminationStatus, 0, server.stderr)
    }
}

extension TestSupport.Running {
    /// The port of a running `ftx serve`, from its first stdout line.
    func port() throws -> Int {
        let prefix = "ftx serve: listening on http://127.0.0.1:"
        let l = try XCTUnwrap(line(startingWith: prefix), stderr)
        return try XCTUnwrap(Int(l.dropFirst(prefix.count).prefix { $0.isNumber }))
    }
}
