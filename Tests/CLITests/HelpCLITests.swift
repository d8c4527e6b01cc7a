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
}
