import XCTest
import FTXTestSupport

/// Every shell example in README.md and docs/*.md runs, in order, one page at a time, in a scratch
/// copy of sample-project/ with the real base model (named SmolLM2-135M-Instruct.Q4_1.gguf in the
/// project's directory), `ftx` on PATH and training capped at FTX_DOC_TEST_STEPS steps (default 2)
/// through FTX_MAX_STEPS. Exit codes are compared, and output where a page shows it.
final class DocExamplesTests: XCTestCase {
    static let pages = ["README.md", "docs/README.md", "docs/architecture.md", "docs/data.md", "docs/deploy.md",
                        "docs/eval.md", "docs/fuzzing.md", "docs/models.md", "docs/monitor.md", "docs/remotes.md", "docs/runs.md", "docs/serve.md", "docs/store.md",
                        "docs/training.md", "docs/ui.md"]

    func testEveryPageIsCovered() throws {
        let docs = try FileManager.default.contentsOfDirectory(atPath: TestSupport.repoRoot.appendingPathComponent("docs").path)
        let onDisk = Set(docs.filter { $0.hasSuffix(".md") }.map { "docs/" + $0 } + ["README.md"])
        XCTAssertEqual(onDisk, Set(Self.pages), "add the new page to DocExamplesTests.pages and give it a test")
    }

    func testReadme() throws { try runPage("README.md") }
    func testDocsIndex() throws { try runPage("docs/README.md") }
    func testArchitecture() throws { try runPage("docs/architecture.md") }
    func testRemotes() throws { try runPage("docs/remotes.md") }
    func testData() throws { try runPage("docs/data.md") }
    func testDeploy() throws { try runPage("docs/deploy.md") }
    func testEval() throws { try runPage("docs/eval.md") }
    func testFuzzing() throws { try runPage("docs/fuzzing.md") }
    func testModels() throws { try runPage("docs/models.md") }
    func testMonitor() throws { try runPage("docs/monitor.md") }
    func testServe() throws { try runPage("docs/serve.md") }
    func testRuns() throws { try runPage("docs/runs.md") }
    func testStore() throws { try runPage("docs/store.md") }
    func testTraining() throws { try runPage("docs/training.md") }
    func testUI() throws { try runPage("docs/ui.md") }

    // MARK: the conventions themselves

    func testParserReadsExitsOutputsSetupAndSkips() throws {
        let md = """
        <!-- doc-test: setup
        ftx init
        -->
        ```sh
        ftx add a.txt && \\
          ftx commit -m one      # commits
        # a whole-line comment
        ftx deploy HEAD --env prod   # exit 1: gates failed
        ```
        ```console
        $ ftx log --oneline
        3f2a9c1b0e77 one
        ```
        <!-- doc-test: skip needs a network -->
        ```sh
        ftx push origin
        ```
        ```yaml
        base_model: smollm2
        ```
        - in a list:
          <!-- doc-test: skip a llama.cpp check -->
          ```
          $ python3 check.py
          ```
        """
        let ex = try DocExamples(markdown: md, page: "p.md")
        XCTAssertEqual(ex.commands.map(\.text), ["ftx init", "ftx add a.txt && \\\n  ftx commit -m one      # commits",
                                                 "ftx deploy HEAD --env prod   # exit 1: gates failed", "ftx log --oneline"])
        XCTAssertEqual(ex.commands.map(\.hidden), [true, false, false, false])
        XCTAssertEqual(ex.commands.map(\.expectedExit), [0, 0, 1, 0])
        XCTAssertEqual(ex.commands.map(\.line), [2, 5, 8, 11])
        XCTAssertEqual(ex.commands[3].expectedOutput, ["3f2a9c1b0e77 one"])
        XCTAssertEqual(ex.skipped.map(\.reason), ["needs a network", "a llama.cpp check"])
    }

    func testHereDocumentsStayWithTheirCommand() throws {
        let md = "```sh\ncat > a.yaml <<'YAML'\n# a comment in the file\nlora_r: 8\nYAML\nftx status\n```\n"
            + "```console\n$ cat > t.jsonl <<'JSONL'\n{\"a\": 1}\nJSONL\n$ wc -l t.jsonl\n1 t.jsonl\n```\n"
        let ex = try DocExamples(markdown: md, page: "p.md")
        XCTAssertEqual(ex.commands.map(\.text), ["cat > a.yaml <<'YAML'\n# a comment in the file\nlora_r: 8\nYAML", "ftx status",
                                                 "cat > t.jsonl <<'JSONL'\n{\"a\": 1}\nJSONL", "wc -l t.jsonl"])
        XCTAssertEqual(ex.commands.map(\.expectedOutput), [nil, nil, [], ["1 t.jsonl"]])
    }

    func testCommandsOutsideRunBlocksAreRefused() {
        XCTAssertThrowsError(try DocExamples(markdown: "```\nftx status\n```\n", page: "p.md")) { e in
            XCTAssertEqual("\(e)", "p.md:2: a command in a ``` block is never run: tag the block sh or console, or mark it <!-- doc-test: skip REASON -->")
        }
        XCTAssertThrowsError(try DocExamples(markdown: "```\nmake fuzz   # every target\n```\n", page: "p.md"))
        XCTAssertThrowsError(try DocExamples(markdown: "<!-- doc-test: skip -->\n```sh\nls\n```\n", page: "p.md"))
        XCTAssertNoThrow(try DocExamples(markdown: "```\nout/config.yaml   the resolved config\n```\n", page: "p.md"))
    }

    func testOutputComparisonMasksIdsAndNumbersOnly() {
        let actual = "REV       COMMIT        WHEN\nprod@{0}  9e1d2c3b4a55  2026-12-06 11:02  run 12\nlast line\n"
        XCTAssertEqual(DocExamples.missingLines(expected: ["prod@{0}  3f2a9c1b0e77  2026-11-29 10:02  run 1"], actual: actual), [])
        XCTAssertEqual(DocExamples.missingLines(expected: ["REV COMMIT WHEN", "last …"], actual: actual), [])
        XCTAssertEqual(DocExamples.missingLines(expected: ["prod@{0}  3f2a9c1b0e77  yesterday"], actual: actual),
                       ["prod@{0}  3f2a9c1b0e77  yesterday"])
        XCTAssertEqual(DocExamples.missingLines(expected: ["last line", "REV COMMIT WHEN"], actual: actual), ["REV COMMIT WHEN"],
                       "lines must come in order")
    }

    // MARK: running a page

    private static let marker = "@@doc-test"

    private func runPage(_ page: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let root = TestSupport.repoRoot
        let text = try String(contentsOf: root.appendingPathComponent(page), encoding: .utf8)
        let ex = try DocExamples(markdown: text, page: page)
        guard !ex.commands.isEmpty else { return }
        let model = try TestSupport.smolLM2Path()

        let scratch = TestSupport.makeTempDir("ftx-doc")
        let project = scratch.appendingPathComponent("project")
        try FileManager.default.copyItem(at: root.appendingPathComponent("sample-project"), to: project)
        try? FileManager.default.removeItem(at: project.appendingPathComponent("demo.sh"))
        try FileManager.default.createSymbolicLink(atPath: project.appendingPathComponent("SmolLM2-135M-Instruct.Q4_1.gguf").path,
                                                   withDestinationPath: model)

        // One bash process runs the page, so `cd` and variables carry from one example to the next.
        var script = "exec 2>&1\n"
        for (k, c) in ex.commands.enumerated() {
            script += "echo '\(Self.marker) begin \(k)'\n\(c.text)\n__rc=$?; echo; echo \"\(Self.marker) end \(k) $__rc\"\n"
        }
        let binDir = URL(fileURLWithPath: TestSupport.ftxBinary).deletingLastPathComponent().path
        let env = ProcessInfo.processInfo.environment
        let steps = env["FTX_DOC_TEST_STEPS"] ?? "2"
        let r = try TestSupport.run("/usr/bin/timeout", ["1500", "/bin/bash", "--noprofile", "--norc", "-c", script], cwd: project, env: [
            "PATH": binDir + ":" + (env["PATH"] ?? "/usr/bin:/bin"),
            "FTX_MAX_STEPS": steps, "FTX_AUTHOR": "Ana <ana@example>", "FTX_DATE": "1796000000",
            "FTX_SMOLLM2": model, "NO_COLOR": "1", "COLUMNS": "100",
            "FTX_FIXTURES": root.appendingPathComponent("Tests").path,   // the tiny family models of docs/models.md
            "HOME": scratch.path,   // examples that write under ~ (shell completion) stay in the scratch directory
        ])
        XCTAssertNotEqual(r.status, 124, "\(page): timed out after 25 minutes", file: file, line: line)

        defer { removeIfPassed(scratch) }
        let outputs = Self.split(r.stdout)
        for (k, c) in ex.commands.enumerated() {
            let place = "\(page):\(c.line): \(c.text.split(separator: "\n").first ?? "")"
            guard let (status, output) = outputs[k] else {
                XCTFail("\(place): did not finish (the page stopped here)\n\(r.stdout.suffix(2000))", file: file, line: line)
                return
            }
            XCTAssertEqual(status, c.expectedExit, "\(place): exit \(status), the page says \(c.expectedExit)\n\(output)", file: file, line: line)
            if let expected = c.expectedOutput {
                let missing = DocExamples.missingLines(expected: expected, actual: output)
                XCTAssertEqual(missing, [], "\(place): the page shows output this command no longer prints\n--- printed:\n\(output)",
                               file: file, line: line)
            }
        }
    }

    /// The scratch copy of a page that passed is removed; a failing one is kept for inspection.
    private func removeIfPassed(_ scratch: URL) {
        if testRun?.failureCount == 0 { try? FileManager.default.removeItem(at: scratch) }
    }

    /// The output and exit status of each command, keyed by its index in the page.
    private static func split(_ log: String) -> [Int: (Int32, String)] {
        var out: [Int: (Int32, String)] = [:]
        var current: (k: Int, lines: [String])?
        for l in log.components(separatedBy: "\n") {
            if l.hasPrefix(marker + " begin ") {
                current = (Int(l.dropFirst(marker.count + 7)) ?? -1, [])
            } else if l.hasPrefix(marker + " end "), let c = current {
                let parts = l.split(separator: " ")
                out[c.k] = (Int32(parts.last ?? "") ?? -1, c.lines.joined(separator: "\n"))
                current = nil
            } else {
                current?.lines.append(l)
            }
        }
        return out
    }
}
