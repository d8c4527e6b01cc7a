import XCTest
import FTXTestSupport

/// `--help` reads as wrapped paragraphs: no line of a command's discussion runs past 80 columns, and
/// inside a paragraph only the last line may end early (ArgumentParser wraps each source line on its
/// own, so unjoined source lines would leave a short line after each one).
final class HelpCLITests: XCTestCase {
    static let commands: [[String]] = [
        [], ["add"], ["status"], ["show"], ["diff"], ["train"], ["eval"], ["run"], ["runs"], ["deploy"],
        ["reproduce"], ["export"], ["generate"], ["score"], ["data"], ["data", "check"], ["data", "clean"], ["base"],
        ["checkout"], ["remote"], ["push"], ["fetch"], ["pull"], ["clone"], ["gc"], ["fsck"],
    ]

    func testDiscussionsAreEvenParagraphsWithinEightyColumns() throws {
        let dir = TestSupport.makeTempDir("ftx-help")
        for args in Self.commands {
            let r = try TestSupport.runFTX(args + ["--help"], cwd: dir)
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
            // The discussion: after the overview's blank line, up to USAGE.
            let lines = r.stdout.components(separatedBy: "\n")
            guard let usage = lines.firstIndex(where: { $0.hasPrefix("USAGE:") }),
                  let start = lines.firstIndex(of: "") else { return XCTFail("\(args): no discussion\n\(r.stdout)") }
            let discussion = Array(lines[start..<usage])
            for (i, line) in discussion.enumerated() {
                XCTAssertLessThanOrEqual(line.count, 80, "\(args): \(line)")
                let next = i + 1 < discussion.count ? discussion[i + 1] : ""
                let prose = !line.isEmpty && !line.hasPrefix(" ") && !line.hasSuffix(":")
                let continues = !next.isEmpty && !next.hasPrefix(" ")
                if prose && continues {
                    XCTAssertGreaterThan(line.count, 60, "\(args): a short line inside a paragraph: '\(line)'\n\(r.stdout)")
                }
            }
        }
        XCTAssertTrue(try TestSupport.runFTX(["add", "--help"], cwd: dir).stdout.replacingOccurrences(of: "\n", with: " ")
            .contains("so a new version of a dataset stores only the chunks that changed"))
    }

    /// Every command path, found by walking the SUBCOMMANDS section of each help text from `ftx --help`.
    static func allCommands(cwd: URL) throws -> [[String]: String] {
        var helps: [[String]: String] = [:]
        var queue: [[String]] = [[]]
        while let args = queue.popLast() {
            let r = try TestSupport.runFTX(args + ["--help"], cwd: cwd)
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
            helps[args] = r.stdout
            let lines = r.stdout.components(separatedBy: "\n")
            guard let start = lines.firstIndex(of: "SUBCOMMANDS:") else { continue }
            for line in lines[(start + 1)...] {
                if line.isEmpty { break }
                // "  name    abstract" (wrapped abstracts continue further indented).
                guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first else { continue }
                queue.append(args + [String(name)])
            }
        }
        return helps
    }

    /// ArgumentParser appends "(default: X)" to an option with a default value; a help string that
    /// says "(default X)" too printed it twice. Every command's help, found by walking them all.
    func testNoHelpTextPrintsADefaultTwice() throws {
        let dir = TestSupport.makeTempDir("ftx-help")
        let helps = try Self.allCommands(cwd: dir)
        XCTAssertGreaterThan(helps.count, 40, "the walk found too few commands: \(helps.keys.sorted { $0.joined() < $1.joined() })")
        for path in [["data", "check"], ["base", "add"], ["export"], ["train"], ["run"]] { XCTAssertNotNil(helps[path], "\(path)") }
        let twice = try NSRegularExpression(pattern: #"\(default[ :][^()]*\)\.?\s*\(default: "#)
        for (args, text) in helps {
            // One line per option entry: join wrapped lines, collapse runs of spaces.
            let flat = text.replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression)
            let hit = twice.firstMatch(in: flat, range: NSRange(flat.startIndex..., in: flat))
            XCTAssertNil(hit, "ftx \(args.joined(separator: " ")) --help prints a default twice: "
                         + (hit.flatMap { Range($0.range, in: flat) }.map { String(flat[$0]) } ?? ""))
        }
        // `ftx export --help` lists its formats one per line (it used to run them into one paragraph).
        let export = try XCTUnwrap(helps[["export"]])
        for format in ["peft ", "gguf ", "merged-gguf "] {
            XCTAssertTrue(export.contains("\n  \(format)"), "export --help: \(format) does not start a line:\n\(export)")
        }
        XCTAssertFalse(export.contains("(load with PEFT) gguf"), export)
    }
}
