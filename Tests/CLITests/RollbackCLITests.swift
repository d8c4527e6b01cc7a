import Foundation
import FTXTestSupport
import XCTest

/// Rolling a deployment back through `ftx checkout ENV@{N}`: its own gate override
/// (`--force-deploy` with `--reason`; `--force` means "discard my changes"), and what `ENV@{1}`
/// means when there is no earlier deployment.
final class RollbackCLITests: RegistryCLITestCase {
    /// prod: A (passed), then B (gates failed, forced with a reason), then C (passed). Going back to
    /// B through checkout must be possible, and only with the override and a reason.
    func testCheckoutRollsBackToAForcedDeployWithForceDeployAndReason() throws {
        let a = try runCommit("A", status: "passed", passRate: 0.9, r: 8)
        let b = try runCommit("B", status: "failed", passRate: 0.5, r: 16)
        let c = try runCommit("C", status: "passed", passRate: 0.95, r: 8)
        try ftx(["deploy", a, "--env", "prod"])
        try ftx(["deploy", b, "--env", "prod", "--force", "--reason", "known drop on refunds"])
        try ftx(["deploy", c, "--env", "prod"])
        XCTAssertEqual(try deployed("prod"), "weights of C")

        let refused = try ftx(["checkout", "prod@{1}"], status: 2)
        XCTAssertTrue(refused.stderr.contains("its gates failed"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--force-deploy --reason"), "the hint names checkout's override: \(refused.stderr)")
        // --force is about the work tree; it does not override gates.
        let forced = try ftx(["checkout", "prod@{1}", "--force"], status: 2)
        XCTAssertTrue(forced.stderr.contains("--force-deploy"), forced.stderr)
        let noReason = try ftx(["checkout", "prod@{1}", "--force-deploy"], status: 2)
        XCTAssertTrue(noReason.stderr.contains("needs a reason"), noReason.stderr)
        XCTAssertEqual(try deployed("prod"), "weights of C")

        let ok = try ftx(["checkout", "prod@{1}", "--force-deploy", "--reason", "C breaks the invoice parser"])
        XCTAssertTrue(ok.stderr.contains("prod: rolled back to \(b.prefix(12))"), ok.stderr)
        XCTAssertTrue(ok.stderr.contains("[forced: gates failed]"), ok.stderr)
        XCTAssertEqual(try deployed("prod"), "weights of B")
        let history = try ftx(["deploy", "--history", "prod"]).stdout
        XCTAssertTrue(history.contains("rollback prod to prod@{1}") && history.contains("reason: C breaks the invoice parser"), history)
        // HEAD did not move.
        XCTAssertTrue(try ftx(["log", "--oneline", "-n", "1"]).stdout.hasPrefix(c.prefix(12)))
    }

    /// After the first deployment there is nothing to roll back to: say that, and show the history.
    func testRollbackAfterTheFirstDeploySaysThereIsNoEarlierDeployment() throws {
        let a = try runCommit("A", status: "passed", passRate: 0.9, r: 8)
        try ftx(["deploy", a, "--env", "prod"])
        for args in [["checkout", "prod@{1}"], ["deploy", "--rollback", "prod"]] {
            let r = try ftx(args, status: 2)
            XCTAssertTrue(r.stderr.contains("no earlier deployment of prod to roll back to"), "\(args): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("reflog entries"), "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("prod@{0}") && r.stderr.contains(String(a.prefix(12))), "\(args): the history: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("ftx deploy REV --env prod"), "\(args): \(r.stderr)")
        }
        XCTAssertEqual(try deployed("prod"), "weights of A")
        // Further back than a longer history: the same answer, naming how far back was asked.
        let b = try runCommit("B", status: "passed", passRate: 0.9, r: 8)
        try ftx(["deploy", b, "--env", "prod"])
        let far = try ftx(["checkout", "prod@{5}"], status: 2)
        XCTAssertTrue(far.stderr.contains("prod@{5} is 5 deployment(s) back, and prod has had only 2"), far.stderr)
        XCTAssertTrue(far.stderr.contains("ftx checkout prod@{N}"), far.stderr)
    }

    /// The deploy flags belong to deployments only.
    func testDeployFlagsAreRefusedOutsideADeployment() throws {
        try runCommit("A", status: "passed", passRate: 0.9, r: 8)
        for args in [["checkout", "HEAD", "--reason", "why"], ["checkout", "HEAD", "--force-deploy"],
                     ["checkout", "HEAD", "--force-deploy", "--reason", "x", "--", "adapter"]] {
            let r = try ftx(args, status: 2)
            XCTAssertTrue(r.stderr.contains("apply to a deployment (ENV@{N} or --env ENV)"), "\(args): \(r.stderr)")
        }
    }

    /// One path, documented the same way in --help, README.md and docs/deploy.md.
    func testTheForcedRollbackIsDocumentedTheSameWayEverywhere() throws {
        let spelled = "ftx checkout prod@{1} --force-deploy --reason"
        let help = try ftx(["checkout", "--help"]).stdout
        XCTAssertTrue(help.contains(spelled), help)
        for doc in ["README.md", "docs/deploy.md"] {
            let text = try String(contentsOf: TestSupport.repoRoot.appendingPathComponent(doc), encoding: .utf8)
            XCTAssertTrue(text.contains(spelled), "\(doc) does not show `\(spelled) …`")
        }
    }
}
