import Foundation
import XCTest
@testable import FTXStore

final class RefsAndRevisionTests: StoreTestCase {
    /// History: c1 - c2 - c3 - m (merge of c3 and side) ; side branches from c2.
    func makeHistory() throws -> [String: ObjectID] {
        let c1 = try commitFiles(["a.txt": "1"], "c1", time: 100)
        let c2 = try commitFiles(["a.txt": "2"], "c2", time: 200)
        let c3 = try commitFiles(["a.txt": "3"], "c3", time: 300)
        let sig = Signature(ident: "T <t@x>", time: 250)
        let side = try repo.objects.write(commit: Commit(tree: try repo.objects.readCommit(c2).tree, parents: [c2], author: sig, message: "side\n"))
        let m = try repo.objects.write(commit: Commit(tree: try repo.objects.readCommit(c3).tree, parents: [c3, side],
                                                      author: Signature(ident: "T <t@x>", time: 400), message: "merge\n"))
        try repo.refs.update("refs/heads/main", to: m, expect: .value(c3), who: sig, reason: "merge", logAlso: ["HEAD"])
        try repo.refs.update("refs/heads/side", to: side, expect: .absent, who: sig, reason: "branch")
        try repo.refs.update("refs/tags/v1", to: c1, expect: .absent, who: sig, reason: "tag")
        let ann = try repo.objects.write(tag: Tag(object: c2, type: .commit, name: "v2", tagger: sig, message: "two\n"))
        try repo.refs.update("refs/tags/v2", to: ann, expect: .absent, who: sig, reason: "tag")
        try repo.refs.update("refs/deploy/prod", to: c1, expect: .absent, who: sig, reason: "deploy")
        try repo.refs.update("refs/deploy/prod", to: c3, expect: .value(c1), who: sig, reason: "deploy")
        return ["c1": c1, "c2": c2, "c3": c3, "side": side, "m": m, "ann": ann]
    }

    func testRevisionSyntax() throws {
        let h = try makeHistory()
        let cases: [(String, ObjectID)] = [
            ("HEAD", h["m"]!), ("main", h["m"]!), ("refs/heads/main", h["m"]!), ("@", h["m"]!),
            ("HEAD^", h["c3"]!), ("HEAD^1", h["c3"]!), ("HEAD^2", h["side"]!), ("HEAD^0", h["m"]!),
            ("HEAD~", h["c3"]!), ("HEAD~2", h["c2"]!), ("HEAD~3", h["c1"]!), ("HEAD^2~1", h["c2"]!),
            ("main~1^", h["c2"]!), ("side", h["side"]!), ("v1", h["c1"]!), ("v2~1", h["c1"]!),
            (h["c2"]!.hex, h["c2"]!), (String(h["c3"]!.hex.prefix(8)), h["c3"]!),
            ("prod", h["c3"]!), ("prod@{0}", h["c3"]!), ("prod@{1}", h["c1"]!), ("prod@{1}~0", h["c1"]!),
            ("main@{1}", h["c3"]!), ("main@{3}", h["c1"]!), ("HEAD@{1}~1", h["c2"]!),
        ]
        for (rev, want) in cases {
            XCTAssertEqual(try repo.resolveCommit(rev), want, rev)
        }
        XCTAssertEqual(try repo.resolveObject("v2"), h["ann"]!, "an annotated tag names the tag object")
    }

    func testBadRevisions() throws {
        _ = try makeHistory()
        for rev in ["nope", "HEAD~9", "HEAD^3", "main@{99}", "abc", "HEAD~x", "v1@{x}", "", "zzzzzzzz", "0000000000", "nope@{1}"] {
            assertThrows(try repo.resolveCommit(rev)) {
                if case .badRevision = $0 { return true }
                if case .objectNotFound = $0 { return true }
                return false
            }
        }
        // A short prefix matching several objects is ambiguous (names listed, not read).
        let fanout = repo.objects.objectsDirectory + "/ab"
        try FileManager.default.createDirectory(atPath: fanout, withIntermediateDirectories: true)
        for fill in ["0", "1"] {
            try Data().write(to: URL(fileURLWithPath: fanout + "/cdef" + String(repeating: fill, count: 58)))
        }
        assertThrows(try repo.objects.resolvePrefix("abcdef")) { if case .ambiguousPrefix = $0 { return true }; return false }
        assertThrows(try repo.resolveCommit("abcdef")) { if case .ambiguousPrefix = $0 { return true }; return false }
    }

    func testRevisionPathSyntax() throws {
        let c1 = try commitFiles(["config.yaml": "lr: 1\n", "data/train.jsonl": "{}\n", "data/sub/x.txt": "x"], "c1")
        let c2 = try commitFiles(["config.yaml": "lr: 2\n"], "c2", time: 1_700_000_100)
        let sig = Signature(ident: "T <t@x>", time: 1)
        let ann = try repo.objects.write(tag: Tag(object: c1, type: .commit, name: "v1", tagger: sig, message: "one\n"))
        try repo.refs.update("refs/tags/v1", to: ann, expect: .absent, who: sig, reason: "tag")
        let root2 = try repo.objects.readCommit(c2).tree, root1 = try repo.objects.readCommit(c1).tree
        let blob = { (text: String) in ObjectID.hash(type: .blob, content: Data(text.utf8)) }
        let data = try repo.objects.readTree(root2)["data"]!.id
        let cases: [(String, ObjectID)] = [
            ("HEAD:", root2), ("HEAD:config.yaml", blob("lr: 2\n")), ("HEAD~1:config.yaml", blob("lr: 1\n")),
            ("v1:config.yaml", blob("lr: 1\n")), ("v1:", root1), ("HEAD@{1}:config.yaml", blob("lr: 1\n")),
            ("HEAD:data", data), ("HEAD:data/", data), ("HEAD:./data", data), ("HEAD:data/sub/x.txt", blob("x")),
            ("\(data.hex):train.jsonl", blob("{}\n")), ("\(String(c2.hex.prefix(10))):data/train.jsonl", blob("{}\n")),
            (":config.yaml", blob("lr: 2\n")),
        ]
        for (rev, want) in cases { XCTAssertEqual(try repo.resolveObject(rev), want, rev) }
        XCTAssertEqual(try repo.objects.type(of: repo.resolveObject("HEAD:data")), .tree)

        func reason(_ rev: String) -> String {
            do { _ = try repo.resolveObject(rev); return "no error" } catch let StoreError.badRevision(r, reason) {
                XCTAssertEqual(r, rev)
                return reason
            } catch { return "\(error)" }
        }
        XCTAssertEqual(reason("HEAD:missing.txt"), "path 'missing.txt' does not exist in 'HEAD'")
        XCTAssertEqual(reason("HEAD~1:data/nope/x"), "path 'data/nope/x' does not exist in 'HEAD~1' (no 'nope' in 'data')")
        XCTAssertEqual(reason("HEAD:config.yaml/x"), "path 'config.yaml/x': 'config.yaml' is a file in 'HEAD', not a directory")
        XCTAssertEqual(reason("HEAD:../x"), "'..' is not allowed in a path inside a revision")
        XCTAssertTrue(reason("\(blob("x").hex):a").contains("names a blob, not a commit or tree"), reason("\(blob("x").hex):a"))
        XCTAssertTrue(reason("nope:config.yaml").contains("unknown revision 'nope'"))
        XCTAssertEqual(reason(":missing"), "path 'missing' is not staged (not in the index)")
        XCTAssertEqual(reason(":"), "':<path>' needs a path (the staged file)")
        // A path is not a commit.
        assertThrows(try repo.resolveCommit("HEAD:config.yaml")) { if case .badRevision = $0 { return true }; return false }
    }

    func testRevisionHookDefinesBase() throws {
        let h = try makeHistory()
        repo.revisionHook = { name, _ in name == "base" ? .external(name: "base", value: "sha256:model") : nil }
        XCTAssertEqual(try repo.resolveRevision("base"), .external(name: "base", value: "sha256:model"))
        XCTAssertEqual(try repo.resolveCommit("HEAD~1"), h["c3"]!)
        assertThrows(try repo.resolveRevision("base~1")) { if case .badRevision = $0 { return true }; return false }
        assertThrows(try repo.resolveCommit("base")) { if case .badRevision = $0 { return true }; return false }
    }

    func testReflogRecordsEveryUpdate() throws {
        let h = try makeHistory()
        let log = try repo.refs.reflog("refs/heads/main")
        XCTAssertEqual(log.map(\.new), [h["c1"]!, h["c2"]!, h["c3"]!, h["m"]!])
        XCTAssertEqual(log.first?.old, .zero)
        XCTAssertEqual(log.last?.old, h["c3"]!)
        XCTAssertTrue(log.first!.message.hasPrefix("commit (initial)"))
        XCTAssertEqual(try repo.refs.reflog("HEAD").count, 4)
        XCTAssertEqual(try repo.refs.reflog("refs/deploy/prod").map(\.new), [h["c1"]!, h["c3"]!])
        // Checkout appends to HEAD's reflog.
        try repo.checkout("side")
        XCTAssertEqual(try repo.refs.reflog("HEAD").last?.new, h["side"]!)
        XCTAssertEqual(try repo.resolveCommit("HEAD@{1}"), h["m"]!)
        XCTAssertTrue(repo.fsck().isClean)
    }

    func testCompareAndSwap() throws {
        let h = try makeHistory()
        assertThrows(try repo.refs.update("refs/heads/main", to: h["c1"]!, expect: .value(h["c2"]!), who: .current(), reason: "x")) {
            if case .casFailed = $0 { return true }; return false
        }
        XCTAssertEqual(try repo.resolveCommit("main"), h["m"]!, "a failed CAS changes nothing")
        assertThrows(try repo.refs.update("refs/heads/side", to: h["c1"]!, expect: .absent, who: .current(), reason: "x")) {
            if case .casFailed = $0 { return true }; return false
        }
        for bad in ["refs/heads/a..b", "refs/heads/x.lock", "refs/heads/.hid", "refs/heads/sp ace", "refs/heads/a~1", "heads/x", "refs/heads/a@{1}"] {
            XCTAssertThrowsError(try RefStore.validate(name: bad), bad)
        }
    }

    func testConcurrentCommitsInProcessNeverLoseOne() throws {
        try commitFiles(["a.txt": "base"], "base")
        let group = DispatchGroup()
        final class Results: @unchecked Sendable { let lock = NSLock(); var ids: [ObjectID] = [] }
        let results = Results()
        let path = dir.path
        for i in 0..<8 {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                let r = Repository(workTree: path)
                if let id = try? r.commit(message: "c\(i)", allowEmpty: true, author: Signature(ident: "T", time: Int64(1000 + i))) {
                    results.lock.lock(); results.ids.append(id); results.lock.unlock()
                }
            }
        }
        group.wait()
        let history = Set(try repo.history(from: try repo.resolveCommit("main")).map(\.id))
        for id in results.ids { XCTAssertTrue(history.contains(id)) }
        XCTAssertEqual(history.count, results.ids.count + 1)
    }
}
