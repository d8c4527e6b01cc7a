import FTXTestSupport
import Foundation
import XCTest

/// `ftx remote/push/fetch/pull/clone` end to end against moto's S3 server (and directories).
final class RemoteCLITests: RemoteCLITestCase {
    /// A project with a small config, a 3 MiB dataset (chunked) and a tag.
    func seedProject(_ dir: String) throws -> (config: Data, data: Data) {
        let config = Data("lora_r: 8\n".utf8)
        let data = TestSupport.pseudoRandomBytes(3 << 20, seed: 7)
        try write(dir, "config.yaml", config)
        try write(dir, "data/train.bin", data)
        try commitAll(dir, "first")
        try ok(["tag", "v1"], in: dir)
        return (config, data)
    }

    /// `a` with the seeded project, pushed, and `b` cloned from the remote.
    @discardableResult
    func pushedAndCloned() throws -> (config: Data, data: Data) {
        try makeRepo("a")
        let seeded = try seedProject("a")
        try ok(["push"], in: "a")
        try clone("b")
        return seeded
    }

    /// A file `ftx base add` takes (the GGUF magic, then pseudo-random bytes), written in the
    /// test's directory.
    @discardableResult
    func fakeGGUF(_ name: String, bytes: Int, seed: UInt64) throws -> Data {
        var gguf = Data("GGUF".utf8)
        gguf.append(TestSupport.pseudoRandomBytes(bytes, seed: seed))
        try gguf.write(to: path(name))
        return gguf
    }

    func testPushCloneFetchPullRoundTrip() throws {
        try makeRepo("a")
        let (config, data) = try seedProject("a")
        var r = try ok(["push", "--tags", "--json"], in: "a")
        XCTAssertTrue(try json(r)["refs"].debugDescription.contains("refs/tags/v1"), r.stdout)
        r = try ok(["push", "--json"], in: "a")
        let pushed = try json(r)
        XCTAssertEqual((pushed["refs"] as? [[String: Any]])?.first?["status"] as? String, "created", r.stdout)
        XCTAssertEqual(pushed["objects"] as? Int, 0, "the tag's push sent the branch's objects already")

        r = try clone("b")
        XCTAssertEqual(read("b", "config.yaml"), config)
        XCTAssertEqual(read("b", "data/train.bin"), data)
        XCTAssertEqual(try history("b"), try history("a"))
        XCTAssertEqual(try head("b", "v1"), try head("a", "v1"))
        XCTAssertEqual(try head("b", "origin/main"), try head("a"))
        XCTAssertEqual(try ok(["fsck"], in: "b").status, 0)
        XCTAssertEqual(try ok(["status", "--short"], in: "b").stdout, "")

        // A second version in a: fetch in b moves origin/main only; pull fast-forwards.
        var data2 = data
        data2.replaceSubrange(1000..<1010, with: Data("0123456789".utf8))
        try write("a", "data/train.bin", data2)
        let second = try commitAll("a", "second")
        try ok(["push"], in: "a")
        r = try ok(["fetch", "--json"], in: "b")
        XCTAssertGreaterThan(try json(r)["objects"] as? Int ?? 0, 0)
        XCTAssertEqual(try head("b", "origin/main"), second)
        XCTAssertNotEqual(try head("b"), second)
        XCTAssertTrue(try ok(["log", "--oneline", "origin/main"], in: "b").stdout.contains("second"))
        r = try ok(["pull"], in: "b")
        XCTAssertTrue(r.stdout.contains("Fast-forward"), r.stdout)
        XCTAssertEqual(try head("b"), second)
        XCTAssertEqual(read("b", "data/train.bin"), data2)
        XCTAssertEqual(try ok(["pull"], in: "b").stdout, "Already up to date.\n")
        XCTAssertEqual(try ok(["fsck"], in: "b").status, 0)
        // A second push of the same state sends nothing.
        XCTAssertEqual(try json(try ok(["push", "--json"], in: "a"))["objects"] as? Int, 0)
    }

    func testLazyCloneFetchesLargeFilesOnDemand() throws {
        try makeRepo("a")
        let (_, data) = try seedProject("a")
        try ok(["push"], in: "a")
        var r = try clone("lazy", ["--lazy", "--no-checkout", "--json"])
        let fetched = try json(r)["fetch"] as? [String: Any]
        XCTAssertEqual(fetched?["promised"] as? Int, 1, r.stdout)
        XCTAssertLessThan(fetched?["bytes"] as? Int ?? .max, 100_000, "a lazy clone leaves the dataset behind")
        // fsck tells the promised dataset from a missing object.
        r = try ftx(["fsck", "--json"], in: "lazy")
        XCTAssertEqual(r.status, 0, r.stdout)
        let fsck = try json(r)
        XCTAssertEqual((fsck["promised"] as? [String])?.count, 1, r.stdout)
        XCTAssertTrue((fsck["promised"] as? [String])?.first?.contains("data/train.bin") ?? false, r.stdout)
        // Reading it fetches it (verified), after which it is simply present.
        r = try ok(["cat-file", "-s", "HEAD:data/train.bin"], in: "lazy")
        XCTAssertEqual(r.stdout, "\(data.count)\n")
        XCTAssertEqual((try json(try ok(["fsck", "--json"], in: "lazy"))["promised"] as? [String])?.count, 0)

        // A lazy clone with checkout gets the work tree's files on demand.
        try clone("lazy2", ["--lazy"])
        XCTAssertEqual(read("lazy2", "data/train.bin"), data)
        // --blobs prefetches a commit's large files.
        try clone("lazy3", ["--lazy", "--no-checkout"])
        r = try ok(["fetch", "--blobs", "HEAD", "--json"], in: "lazy3")
        XCTAssertGreaterThan(try json(r)["objects"] as? Int ?? 0, 40)
        XCTAssertEqual((try json(try ok(["fsck", "--json"], in: "lazy3"))["promised"] as? [String])?.count, 0)
        // A missing object that nothing promised is still an error.
        let objects = path("lazy3/.ftx/packs")
        for f in try FileManager.default.contentsOfDirectory(atPath: objects.path) { try FileManager.default.removeItem(at: objects.appendingPathComponent(f)) }
        XCTAssertEqual(try ftx(["fsck"], in: "lazy3").status, 1)
    }

    func testDirectoryRemote() throws {
        let share = path("share").path
        try makeRepo("a", url: share)
        let (_, data) = try seedProject("a")
        try ok(["push"], in: "a")
        XCTAssertTrue(FileManager.default.fileExists(atPath: share + "/refs/heads/main"))
        try ok(["clone", "file://" + share, path("b").path], in: ".")
        XCTAssertEqual(read("b", "data/train.bin"), data)
        try write("b", "notes.txt", Data("from b\n".utf8))
        let fromB = try commitAll("b", "notes")
        try ok(["push"], in: "b")
        try ok(["pull"], in: "a")
        XCTAssertEqual(try head("a"), fromB)
        XCTAssertEqual(read("a", "notes.txt"), Data("from b\n".utf8))
        XCTAssertEqual(try ok(["remote", "list", "-v"], in: "a").stdout, "origin\t\(share)\n")
    }

    /// Both sides committed: run commits and project commits on other paths replay onto the
    /// fetched branch; a path changed on both sides stops the pull before anything moves.
    func testPullReplaysDivergedHistoryAndStopsOnConflicts() throws {
        try pushedAndCloned()
        try write("b", "b.txt", Data("b\n".utf8))
        let upstream = try commitAll("b", "b's change")
        try ok(["push"], in: "b")

        try write("a", "a.txt", Data("a\n".utf8))
        try commitAll("a", "a's change")
        try write("a", "report.json", Data("{}\n".utf8))
        try ok(["add", "report.json"], in: "a")
        try ok(["commit", "-m", "run: a record", "--header", "run=1"], in: "a")
        var r = try ok(["pull", "--json"], in: "a")
        let pulled = try json(r)
        XCTAssertEqual(pulled["outcome"] as? String, "replayed", r.stdout)
        XCTAssertEqual(pulled["replayed"] as? Int, 2)
        let h = try history("a")
        XCTAssertEqual(h[2], upstream)
        XCTAssertEqual(read("a", "b.txt"), Data("b\n".utf8))
        XCTAssertEqual(read("a", "a.txt"), Data("a\n".utf8))
        XCTAssertTrue(try ok(["show", "HEAD"], in: "a").stdout.contains("run: a record"))
        try ok(["push"], in: "a")
        XCTAssertEqual(try ok(["fsck"], in: "a").status, 0)
        // The teammate's run index learns the fetched run.
        try ok(["fetch"], in: "b")
        XCTAssertTrue(try ok(["runs", "--json"], in: "b").stdout.contains(try head("a")))

        // Conflict: both change config.yaml.
        try ok(["pull"], in: "b")
        try write("b", "config.yaml", Data("lora_r: 16\n".utf8))
        try commitAll("b", "b: r16")
        try ok(["push"], in: "b")
        try write("a", "config.yaml", Data("lora_r: 32\n".utf8))
        let mine = try commitAll("a", "a: r32")
        r = try ftx(["pull"], in: "a")
        XCTAssertEqual(r.status, 2, r.stdout)
        XCTAssertTrue(r.stderr.contains("config.yaml") && r.stderr.contains("before touching anything"), r.stderr)
        XCTAssertEqual(try head("a"), mine)
        XCTAssertEqual(read("a", "config.yaml"), Data("lora_r: 32\n".utf8))
    }

    /// A push whose branch moved on the remote is rejected; --force-with-lease overwrites only
    /// what was fetched.
    func testRejectedPushAndForceWithLease() throws {
        try pushedAndCloned()
        try write("a", "x.txt", Data("a\n".utf8))
        try commitAll("a", "a")
        try ok(["push"], in: "a")
        try write("b", "y.txt", Data("b\n".utf8))
        try commitAll("b", "b")
        var r = try ftx(["push"], in: "b")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("rejected") && r.stdout.contains("fetch first"), r.stdout)
        r = try ftx(["push", "--force-with-lease"], in: "b")
        XCTAssertEqual(r.status, 1, "b never fetched a's commit: the lease does not hold")
        XCTAssertTrue(r.stdout.contains("stale info"), r.stdout)
        try ok(["fetch"], in: "b")
        r = try ftx(["push"], in: "b")
        XCTAssertTrue(r.stdout.contains("non-fast-forward"), r.stdout)
        r = try ok(["push", "--force-with-lease=main", "--json"], in: "b")
        XCTAssertEqual((try json(r)["refs"] as? [[String: Any]])?.first?["status"] as? String, "forced")
        XCTAssertEqual(try head("b", "origin/main"), try head("b"))
    }

    /// `--all` sends every branch; a deploy ref goes by its full name and arrives as
    /// origin/deploy/prod; `--force-with-lease=REF:ID` holds only while the remote has that ID.
    func testPushAllDeployRefsAndLeaseWithID() throws {
        try makeRepo("a")
        _ = try seedProject("a")
        let first = try head("a")
        try ok(["branch", "exp"], in: "a")
        try write("a", ".ftx/refs/deploy/prod", Data("\(first)\n".utf8))  // as `ftx deploy` leaves it
        var r = try ok(["push", "--all", "--json"], in: "a")
        let sent = (try json(r)["refs"] as? [[String: Any]] ?? []).compactMap { $0["ref"] as? String }
        XCTAssertEqual(Set(sent), ["refs/heads/main", "refs/heads/exp"], r.stdout)
        try ok(["push", "origin", "refs/deploy/prod"], in: "a")
        try clone("b")
        XCTAssertEqual(try head("b", "origin/exp"), first)
        XCTAssertEqual(try head("b", "origin/deploy/prod"), first)

        try write("a", "x.txt", Data("a\n".utf8))
        let second = try commitAll("a", "second")
        try ok(["push"], in: "a")
        try write("b", "y.txt", Data("b\n".utf8))
        try commitAll("b", "b")
        r = try ftx(["push", "--force-with-lease=main:\(first)"], in: "b")
        XCTAssertEqual(r.status, 1, "the remote's main is no longer \(first)")
        XCTAssertTrue(r.stdout.contains("rejected"), r.stdout)
        XCTAssertEqual(try head("a", "origin/main"), second)
        r = try ok(["push", "--force-with-lease=main:\(second)", "--json"], in: "b")
        XCTAssertEqual((try json(r)["refs"] as? [[String: Any]])?.first?["status"] as? String, "forced", r.stdout)
        try ok(["fetch"], in: "a")
        XCTAssertEqual(try head("a", "origin/main"), try head("b"))
    }

    /// The second version of a dataset with 1% of rows edited sends its new chunks as deltas.
    func testEditedDatasetSendsFewBytes() throws {
        try makeRepo("a")
        let v1 = jsonl(rows: 20_000)
        try write("a", "data.jsonl", v1)
        try commitAll("a", "v1")
        try ok(["push"], in: "a")
        try write("a", "data.jsonl", jsonl(rows: 20_000, edited: true))
        try commitAll("a", "v2")
        let r = try ok(["push", "--json"], in: "a")
        let bytes = try json(r)["bytes"] as? Int ?? .max
        XCTAssertLessThan(Double(bytes), 0.05 * Double(v1.count), "sent \(bytes) of \(v1.count) bytes")
        try clone("b")
        XCTAssertEqual(read("b", "data.jsonl"), read("a", "data.jsonl"))
    }

    /// Off a terminal, transfers of 8 MB or more print progress lines (bytes, MB/s, objects) on
    /// stderr, and --json output on stdout stays clean.
    func testTransfersReportProgress() throws {
        try makeRepo("a")
        try write("a", "big.bin", TestSupport.pseudoRandomBytes(9 << 20, seed: 21))
        try commitAll("a", "big")
        let r = try ok(["push", "--json"], in: "a")
        let line = try XCTUnwrap(r.stderr.split(separator: "\n").last { $0.hasPrefix("push origin:") }, r.stderr)
        XCTAssertTrue(line.contains(" MB/") && line.contains(" MB/s") && line.contains(" objects"), String(line))
        XCTAssertNoThrow(try json(r))
        let c = try clone("b")
        XCTAssertTrue(c.stderr.contains("fetch origin:") && c.stderr.contains(" MB/s"), c.stderr)
    }

    func testDryRunSendsNothing() throws {
        try makeRepo("a")
        _ = try seedProject("a")
        let r = try ok(["push", "--dry-run", "--json"], in: "a")
        let plan = try json(r)
        XCTAssertGreaterThan(plan["objects"] as? Int ?? 0, 40)
        XCTAssertGreaterThan(plan["bytes"] as? Int ?? 0, 3 << 20)
        XCTAssertEqual(plan["dry_run"] as? Bool, true)
        let c = try ftx(["clone", remoteURL, path("b").path, "--endpoint", moto.endpoint], in: ".")
        XCTAssertEqual(c.status, 2)
        XCTAssertTrue(c.stderr.contains("not an ftx remote"), c.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("b").path), "a failed clone leaves nothing behind")
    }

    /// Credentials never reach .ftx/: not the secret, not the session token.
    func testNothingSecretIsWrittenIntoTheRepository() throws {
        let secret = "SECRET-\(UUID().uuidString)", token = "TOKEN-\(UUID().uuidString)"
        let creds = RemoteTestServers.awsEnvironment(home: path("home"), keyID: "AKIDTEST", secret: secret, token: token)
        try makeRepo("a")
        _ = try seedProject("a")
        try ok(["push"], in: "a", env: creds)
        try clone("b", ["--lazy"], env: creds)
        try ok(["fetch"], in: "b", env: creds)
        for repo in ["a", "b"] {
            let e = FileManager.default.enumerator(atPath: path(repo).appendingPathComponent(".ftx").path)
            while let rel = e?.nextObject() as? String {
                guard let d = read(repo, ".ftx/" + rel) else { continue }
                for s in [secret, token] { XCTAssertNil(d.range(of: Data(s.utf8)), "\(repo)/.ftx/\(rel) holds a credential") }
            }
        }
        let r = try ftx(["remote", "add", "x", "s3://AKIDTEST:\(secret)@\(bucket!)/p"], in: "a")
        XCTAssertEqual(r.status, 2, "a URL with credentials is refused")
        XCTAssertFalse(r.stderr.contains(secret), r.stderr)
    }

    /// Base records travel with every push; the model file only with --with-bases. A clone
    /// without it says where the base came from and takes `ftx base add` of the same file.
    func testBaseModelsTravelOnlyWithWithBases() throws {
        try makeRepo("a")
        _ = try seedProject("a")
        let gguf = try fakeGGUF("tiny.gguf", bytes: 2 << 20, seed: 3)
        try ok(["base", "add", path("tiny.gguf").path, "--name", "tiny"], in: "a")
        let pushed = try json(try ok(["push", "--json"], in: "a"))
        XCTAssertLessThan(pushed["bytes"] as? Int ?? .max, (3 << 20) + (1 << 20), "the base's 2 MiB stay home")
        // The teammate's machine does not have the file where it was registered.
        try FileManager.default.createDirectory(at: path("moved"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: path("tiny.gguf"), to: path("moved/tiny.gguf"))
        try clone("b")
        XCTAssertTrue(try ok(["base", "list"], in: "b").stdout.contains("tiny"))
        let fsck = try json(try ok(["fsck", "--json"], in: "b"))
        XCTAssertTrue((fsck["promised"] as? [String])?.first?.contains("--with-bases") ?? false, "\(fsck)")
        var r = try ftx(["base", "verify", "tiny"], in: "b")
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("tiny.gguf") && r.stderr.contains("ftx base add"), r.stderr)
        var other = gguf
        other[100] ^= 1
        try other.write(to: path("other.gguf"))
        r = try ftx(["base", "add", path("other.gguf").path, "--name", "tiny"], in: "b")
        XCTAssertEqual(r.status, 2, "a different file is refused")
        try ok(["base", "add", path("moved/tiny.gguf").path, "--name", "tiny"], in: "b")
        try ok(["base", "verify", "tiny"], in: "b")
        XCTAssertEqual((try json(try ok(["fsck", "--json"], in: "b"))["promised"] as? [String])?.count, 0)

        try ok(["push", "--with-bases"], in: "a")
        try clone("c")
        try ok(["base", "verify", "tiny"], in: "c")
    }

    /// A linked base record names a path on the pusher's machine; the teammate links their copy.
    func testLinkedBaseTakesTheTeammatesPath() throws {
        try makeRepo("a")
        _ = try seedProject("a")
        try fakeGGUF("alice.gguf", bytes: 1 << 20, seed: 4)
        try ok(["base", "add", path("alice.gguf").path, "--name", "tiny", "--link"], in: "a")
        try ok(["push"], in: "a")
        try clone("b")
        try FileManager.default.moveItem(at: path("alice.gguf"), to: path("bob.gguf"))
        let r = try ftx(["base", "verify", "tiny"], in: "b")
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("ftx base add"), r.stderr)
        try ok(["base", "add", path("bob.gguf").path, "--name", "tiny", "--link"], in: "b")
        XCTAssertTrue(try ok(["base", "verify", "tiny"], in: "b").stdout.contains("bob.gguf"))
    }

    func testErrorsNameTheRemoteAndTheFix() throws {
        try makeRepo("a")
        _ = try seedProject("a")
        // Nothing listens on this port (a server bound it and stopped).
        let gone = try RemoteTestServers.startProxy(upstream: moto, faults: "none")
        let deadEndpoint = gone.endpoint
        gone.stop()
        try ok(["remote", "add", "dead", remoteURL, "--endpoint", deadEndpoint], in: "a")
        var r = try ftx(["push", "dead"], in: "a")
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("cannot reach \(deadEndpoint)") && r.stderr.contains("dead (s3://"), r.stderr)
        XCTAssertTrue(r.stderr.contains("hint:"), r.stderr)

        try ok(["remote", "add", "nobucket", "s3://no-such-bucket-ftx/x", "--endpoint", moto.endpoint], in: "a")
        r = try ftx(["push", "nobucket"], in: "a")
        XCTAssertTrue(r.stderr.contains("bucket 'no-such-bucket-ftx' does not exist"), r.stderr)

        r = try ftx(["push", "nosuchremote", "main"], in: "a")
        XCTAssertTrue(r.stderr.contains("no branch, tag or deploy ref named 'nosuchremote'"), r.stderr)
        r = try ftx(["fetch", "orign"], in: "a")
        XCTAssertTrue(r.stderr.contains("did you mean 'origin'?"), r.stderr)
    }

    /// A byte flipped in a pack on the remote: fetch refuses the object and stores nothing.
    func testCorruptedRemoteObjectIsRefused() throws {
        let share = path("share").path
        try makeRepo("a", url: share)
        _ = try seedProject("a")
        try ok(["push"], in: "a")
        let packs = share + "/packs/data"
        let pack = try XCTUnwrap(FileManager.default.contentsOfDirectory(atPath: packs).first { $0.hasSuffix(".pack") })
        var bytes = try Data(contentsOf: URL(fileURLWithPath: packs + "/" + pack))
        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: packs + "/" + pack))
        try FileManager.default.createDirectory(at: path("b"), withIntermediateDirectories: true)
        try ok(["init"], in: "b")
        try ok(["remote", "add", "origin", share], in: "b")
        let r = try ftx(["fetch"], in: "b")
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("damaged") && r.stderr.contains(pack), r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path("b/.ftx/packs").path).filter { !$0.hasPrefix(".tmp-") }, [])
        XCTAssertEqual(try ok(["fsck"], in: "b").status, 0)
        XCTAssertNil(try ftx(["log", "origin/main"], in: "b").stdout.range(of: "first"))
    }

    /// A push killed between its index uploads leaves a chunk list visible on the remote while a
    /// chunk it lists is not; the next push must send that chunk, not trust the visible parent.
    func testPushCompletesWhatAKilledPushLeftHalfVisible() throws {
        let share = path("share").path
        try makeRepo("a", url: share)
        var data = TestSupport.pseudoRandomBytes(2 << 20, seed: 21)
        try write("a", "data.bin", data)
        try commitAll("a", "v0")
        let onePackPerObject = ["FTX_REMOTE_PACK_BYTES": "1024"]
        try ok(["push"], in: "a", env: onePackPerObject)
        let v0Ref = try XCTUnwrap(FileManager.default.contents(atPath: share + "/refs/heads/main"))
        let dataPacks = share + "/packs/data"
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: dataPacks))
        for at in [100_000, 1_500_000] {
            data.replaceSubrange(at..<(at + 4096), with: TestSupport.pseudoRandomBytes(4096, seed: UInt64(at)))
        }
        try write("a", "data.bin", data)
        let v1 = try commitAll("a", "v1")
        try ok(["push"], in: "a", env: onePackPerObject)
        // Undo the end of that push: the ref goes back, and of its new data packs only the
        // smallest (the chunk list) stays indexed; the chunks' indexes "never arrived".
        try v0Ref.write(to: URL(fileURLWithPath: share + "/refs/heads/main"))
        let added = try FileManager.default.contentsOfDirectory(atPath: dataPacks).filter { !before.contains($0) && $0.hasSuffix(".pack") }
        XCTAssertGreaterThanOrEqual(added.count, 3, "a chunk list and at least two chunks, one pack each")
        let size = { (f: String) in (try? FileManager.default.attributesOfItem(atPath: dataPacks + "/" + f)[.size] as? Int) ?? 0 }
        let list = try XCTUnwrap(added.min { size($0) < size($1) })
        for pack in added where pack != list {
            try FileManager.default.removeItem(atPath: dataPacks + "/" + pack.dropLast(5) + ".idx")
        }
        try ok(["push"], in: "a", env: onePackPerObject)
        try ok(["clone", share, path("b").path], in: ".")
        XCTAssertEqual(try head("b"), v1)
        XCTAssertEqual(read("b", "data.bin"), data)
        XCTAssertEqual(try ok(["fsck"], in: "b").status, 0)
    }

    /// gc --remote removes only unreachable packs older than the grace period.
    func testRemoteGCKeepsReachableAndYoungPacks() throws {
        let share = path("share").path
        try makeRepo("a", url: share)
        _ = try seedProject("a")
        try ok(["push"], in: "a")
        // A pushed branch that is then deleted on the remote leaves unreachable packs.
        try ok(["branch", "tmp"], in: "a")
        try ok(["checkout", "tmp"], in: "a")
        try write("a", "tmp.bin", TestSupport.pseudoRandomBytes(1 << 20, seed: 9))
        try commitAll("a", "tmp")
        try ok(["push", "origin", "tmp"], in: "a")
        try FileManager.default.removeItem(atPath: share + "/refs/heads/tmp")
        var r = try json(try ok(["gc", "--remote", "origin", "--json"], in: "a"))
        XCTAssertEqual((r["deleted"] as? [String])?.count, 0, "young packs stay: a push may be using them")
        XCTAssertEqual(r["young"] as? Int, 2)
        // Age them, as if the push was three weeks ago.
        let old = Date().addingTimeInterval(-21 * 86400)
        for cls in ["meta", "data"] {
            for f in try FileManager.default.contentsOfDirectory(atPath: "\(share)/packs/\(cls)") {
                try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: "\(share)/packs/\(cls)/\(f)")
            }
        }
        r = try json(try ok(["gc", "--remote", "origin", "--json"], in: "a"))
        XCTAssertEqual((r["deleted"] as? [String])?.count, 2, "\(r)")
        XCTAssertEqual(r["kept"] as? Int, 2)
        try ok(["clone", share, path("b").path], in: ".")
        XCTAssertEqual(try ok(["fsck"], in: "b").status, 0)
    }
}
