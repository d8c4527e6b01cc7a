import FTXTestSupport
import Foundation
import XCTest

/// Remotes under concurrency, crashes and a hostile network: racing pushers, `kill -9` during
/// pushes, a proxy that drops, fails, throttles and truncates, and SigV4 checked by botocore.
final class RemoteRaceCLITests: RemoteCLITestCase {
    /// Two clones push the same branch at the same moment, 20 times: exactly one wins each race,
    /// the loser is told to fetch, pulls (its commit replays on top) and pushes; no commit is lost.
    func testConcurrentPushesOfOneBranch() throws {
        try makeRepo("a")
        try write("a", "seed.txt", Data("seed\n".utf8))
        try commitAll("a", "seed")
        try ok(["push"], in: "a")
        try clone("b")
        for round in 0..<20 {
            for side in ["a", "b"] {
                try write(side, "\(side)-\(round).txt", Data("\(side) \(round)\n".utf8))
                try commitAll(side, "\(side) \(round)")
            }
            let pa = try TestSupport.startFTX(["push"], cwd: path("a"), env: env)
            let pb = try TestSupport.startFTX(["push"], cwd: path("b"), env: env)
            let ra = pa.wait(), rb = pb.wait()
            XCTAssertEqual([ra.status, rb.status].sorted(), [0, 1], "round \(round): \(ra.stdout)\(ra.stderr) | \(rb.stdout)\(rb.stderr)")
            let loser = ra.status == 0 ? "b" : "a"
            XCTAssertTrue((loser == "a" ? ra : rb).stdout.contains("fetch first"), "round \(round)")
            try ok(["pull"], in: loser)
            try ok(["push"], in: loser)
            try ok(["pull"], in: loser == "a" ? "b" : "a")
        }
        try clone("c")
        let messages = try ok(["log", "--oneline"], in: "c").stdout
        for round in 0..<20 {
            for side in ["a", "b"] {
                XCTAssertTrue(messages.contains(" \(side) \(round)\n"), "\(side) \(round) was lost")
                XCTAssertEqual(read("c", "\(side)-\(round).txt"), Data("\(side) \(round)\n".utf8))
            }
        }
        XCTAssertEqual(try history("c").count, 41)
        XCTAssertEqual(try ok(["fsck"], in: "c").status, 0)
    }

    /// `kill -9` at a random point of a push, 20 times, each followed by a push that completes:
    /// the remote stays readable and complete, and a fresh clone is fsck-clean.
    func testKilledPushesLeaveTheRemoteValid() throws {
        try makeRepo("a")
        var data = TestSupport.pseudoRandomBytes(2 << 20, seed: 11)
        try write("a", "data.bin", data)
        try commitAll("a", "v0")
        // Small packs make a push many uploads long, so kills land inside it.
        let small = ["FTX_REMOTE_PACK_BYTES": String(256 << 10)]
        let t0 = Date()
        try ok(["push"], in: "a", env: small)
        let pushTime = max(Date().timeIntervalSince(t0), 0.2)
        var killed = 0
        for round in 1...20 {
            data.replaceSubrange(round * 50_000..<(round * 50_000 + 4096), with: TestSupport.pseudoRandomBytes(4096, seed: UInt64(round)))
            try write("a", "data.bin", data)
            try write("a", "round.txt", Data("\(round)\n".utf8))
            let id = try commitAll("a", "v\(round)")
            let p = try TestSupport.startFTX(["push"], cwd: path("a"), env: env.merging(small) { $1 })
            // Kill points spread evenly over the push's length (a random draw left too many after its end).
            usleep(useconds_t(Double(round) / 21 * pushTime * 1_000_000))
            p.kill9()
            if p.wait().status != 0 { killed += 1 }
            try ok(["push"], in: "a", env: small)
            XCTAssertEqual(try head("a", "origin/main"), id, "round \(round)")
        }
        XCTAssertGreaterThan(killed, 5, "most pushes should have been interrupted")
        try clone("fresh")
        XCTAssertEqual(read("fresh", "data.bin"), data)
        XCTAssertEqual(try history("fresh").count, 21)
        let fsck = try ok(["fsck"], in: "fresh")
        XCTAssertTrue(fsck.stdout.hasSuffix("ok\n"), fsck.stdout)
    }

    /// `kill -9` at a random point of a fetch, 10 times: nothing unverified enters the store
    /// (fsck stays clean), and the next fetch completes.
    func testKilledFetchesLeaveNoUnverifiedObject() throws {
        try makeRepo("a")
        try write("a", "data.bin", TestSupport.pseudoRandomBytes(4 << 20, seed: 12))
        try write("a", "config.yaml", Data("x: 1\n".utf8))
        let tip = try commitAll("a", "v0")
        try ok(["push"], in: "a")
        // The length of the very operation the rounds kill (a fetch into an empty repository), the
        // shorter of two: a slow outlier would put most kill points after the fetches had ended.
        var fetchTime = Double.infinity
        for t in ["timing1", "timing2"] {
            try makeRepo(t)
            let t0 = Date()
            try ok(["fetch"], in: t)
            fetchTime = min(fetchTime, max(Date().timeIntervalSince(t0), 0.2))
        }
        var killed = 0
        for round in 1...10 {
            let b = "b\(round)"
            try makeRepo(b)
            let p = try TestSupport.startFTX(["fetch"], cwd: path(b), env: env)
            // Kill points spread evenly over most of a fetch's length (random ones sometimes all came late).
            usleep(useconds_t(Double(round) / 11 * 0.8 * fetchTime * 1_000_000))
            p.kill9()
            if p.wait().status != 0 { killed += 1 }
            let fsck = try ftx(["fsck"], in: b)
            XCTAssertEqual(fsck.status, 0, "round \(round): \(fsck.stdout)\(fsck.stderr)")
            try ok(["fetch"], in: b)
            XCTAssertEqual(try head(b, "origin/main"), tip, "round \(round)")
            XCTAssertEqual(try ok(["fsck"], in: b).status, 0)
        }
        XCTAssertGreaterThan(killed, 3, "most fetches should have been interrupted")
    }

    /// Dropped connections, 500s, 503 SlowDown and truncated bodies are retried with backoff:
    /// push and clone through the proxy still give byte-identical files.
    func testTransientFaultsAreRetried() throws {
        let proxy = try RemoteTestServers.startProxy(upstream: moto, faults: "drop:1,500:2,slowdown:3,truncate:4")
        try makeRepo("a", endpoint: proxy.endpoint)
        let data = TestSupport.pseudoRandomBytes(3 << 20, seed: 5)
        try write("a", "data.bin", data)
        try write("a", "config.yaml", Data("x: 1\n".utf8))
        try commitAll("a", "v1")
        try ok(["push"], in: "a")
        try ok(["clone", remoteURL, path("b").path, "--endpoint", proxy.endpoint], in: ".")
        XCTAssertEqual(read("b", "data.bin"), data)
        XCTAssertEqual(try ok(["fsck"], in: "b").status, 0)
        let kinds = Set(proxy.faults.map { $0.split(separator: " ")[1] })
        XCTAssertEqual(kinds, ["drop", "500", "slowdown", "truncate"], proxy.faults.joined(separator: "\n"))
    }

    func testPersistentFaultsGiveClearErrors() throws {
        try makeRepo("a")
        try write("a", "x.txt", Data("x\n".utf8))
        try commitAll("a", "x")
        for (faults, expect) in [("always503", "giving up"), ("denied", "access denied (InvalidAccessKeyId) using key id ftxtestkey in region us-east-1"),
                                 ("skew", "clock"), ("truncate:99", "truncated download")] {
            let proxy = try RemoteTestServers.startProxy(upstream: moto, faults: faults)
            let name = faults.replacingOccurrences(of: ":", with: "")
            try ok(["remote", "add", name, remoteURL, "--endpoint", proxy.endpoint], in: "a")
            let r = try ftx(["push", name], in: "a")
            XCTAssertEqual(r.status, 2, faults)
            XCTAssertTrue(r.stderr.contains(expect), "\(faults): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("hint:"), r.stderr)
            if faults == "always503" { XCTAssertTrue(r.stderr.contains("SlowDown"), r.stderr) }
            proxy.stop()
        }
    }

    /// Every request ftx signs is checked with botocore's SigV4 signer (the reference), session
    /// token included, and S3's payload-hash rule: push, clone, fetch and gc all pass.
    func testSignaturesMatchBotocore() throws {
        let proxy = try RemoteTestServers.startProxy(upstream: moto, faults: "none", verifySecret: "sigsecret/+=")
        let creds = RemoteTestServers.awsEnvironment(home: path("home"), keyID: "AKIDSIG", secret: "sigsecret/+=", token: "tok/en+=")
        try makeRepo("a", endpoint: proxy.endpoint)
        try write("a", "data.bin", TestSupport.pseudoRandomBytes(2 << 20, seed: 1))
        try write("a", "odd name & +=%.txt", Data("x\n".utf8))
        try commitAll("a", "v1")
        try ok(["tag", "release+1"], in: "a")
        try ok(["push", "--tags"], in: "a", env: creds)
        try ok(["push"], in: "a", env: creds)
        try ok(["clone", remoteURL, path("b").path, "--endpoint", proxy.endpoint], in: ".", env: creds)
        try ok(["gc", "--remote", "origin"], in: "b", env: creds)
        XCTAssertEqual(proxy.faults, [])
        let bad = try ftx(["fetch"], in: "b", env: RemoteTestServers.awsEnvironment(home: path("home"), keyID: "AKIDSIG", secret: "wrong"))
        XCTAssertTrue(bad.stderr.contains("SignatureDoesNotMatch"), bad.stderr)
    }
}
