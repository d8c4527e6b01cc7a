import Foundation
import XCTest
@testable import FTXStore

final class ObjectFormatTests: XCTestCase {
    func testIdIsSHA256OfTypedHeader() {
        // sha256(b"blob 5\0hello") and sha256(b"blob 0\0") computed with Python's hashlib.
        XCTAssertEqual(ObjectID.hash(type: .blob, content: Data("hello".utf8)).hex,
                       "8aec4e4876f854f688d0ebfc8f37598f38e5fd6903cccc850ca36591175aeb60")
        XCTAssertEqual(ObjectID.hash(type: .blob, content: Data()).hex,
                       "473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813")
        let id = ObjectID.hash(type: .blob, content: Data("x".utf8))
        XCTAssertEqual(ObjectID(hex: id.hex), id)
        XCTAssertNil(ObjectID(hex: "abc"))
        XCTAssertNil(ObjectID(hex: String(repeating: "g", count: 64)))
    }

    func testTreeNamesRejectedOnWrite() {
        let id = ObjectID.hash(type: .blob, content: Data())
        for bad in ["", ".", "..", "a/b", "/etc", "x\0y", "new\nline", ".ftx", ".FTX", String(repeating: "n", count: 256)] {
            XCTAssertThrowsError(try TreeEntry(name: bad, kind: .blob, id: id), "accepted \(bad.debugDescription)")
        }
        XCTAssertNoThrow(try TreeEntry(name: "train.jsonl", kind: .blob, id: id))
        XCTAssertNoThrow(try TreeEntry(name: "..hidden", kind: .blob, id: id))
    }

    func testTreeNamesRejectedOnParse() {
        let id = ObjectID.hash(type: .blob, content: Data()).hex
        for bad in ["..", "a/b", "/abs", "x\0y", "."] {
            let raw = Data("blob \(id) \(bad)\n".utf8)
            XCTAssertThrowsError(try Tree.parse(raw, id: "t"), "parsed a tree naming \(bad.debugDescription)")
        }
        // Unsorted and duplicate entries are malformed too.
        XCTAssertThrowsError(try Tree.parse(Data("blob \(id) b\nblob \(id) a\n".utf8), id: "t"))
        XCTAssertThrowsError(try Tree.parse(Data("blob \(id) a\nblob \(id) a\n".utf8), id: "t"))
    }

    func testTreeRoundTripIsSortedAndDeterministic() throws {
        let b = ObjectID.hash(type: .blob, content: Data("b".utf8))
        let t1 = try Tree(entries: [try TreeEntry(name: "z", kind: .blob, id: b), try TreeEntry(name: "a", kind: .tree, id: b)])
        let t2 = try Tree(entries: [try TreeEntry(name: "a", kind: .tree, id: b), try TreeEntry(name: "z", kind: .blob, id: b)])
        XCTAssertEqual(t1.serialized(), t2.serialized())
        XCTAssertEqual(try Tree.parse(t1.serialized(), id: "t"), t1)
        XCTAssertEqual(t1.entries.map(\.name), ["a", "z"])
    }

    func testCommitExtraHeadersRoundTrip() throws {
        let tree = ObjectID.hash(type: .tree, content: Data())
        let sig = Signature(ident: "Ada <ada@example.com>", time: 1_700_000_000, timezone: "+0100")
        let headers: [(String, String)] = [("base-model", "sha256:abc"), ("seed", "42"),
                                           ("metrics", "{\"pass_rate\": 0.9}\nsecond line\\with backslash"),
                                           ("seed", "duplicate keys keep order")]
        let c = Commit(tree: tree, parents: [tree, tree], author: sig, extraHeaders: headers, message: "msg\n\nbody\n")
        let data = try c.serialized()
        XCTAssertEqual(try c.serialized(), data, "serialization is deterministic")
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains("metrics {\"pass_rate\": 0.9}\\nsecond line\\\\with backslash\n"), text)
        let back = try Commit.parse(data, id: "c")
        XCTAssertEqual(back.extraHeaders.map(\.0), headers.map(\.0))
        XCTAssertEqual(back.extraHeaders.map(\.1), headers.map(\.1))
        XCTAssertEqual(back.parents, [tree, tree])
        XCTAssertEqual(back.author, sig)
        XCTAssertEqual(back.message, "msg\n\nbody\n")
        XCTAssertEqual(back.header("seed"), "42")
        XCTAssertEqual(try back.serialized(), data)
    }

    func testCommitRejectsBadHeaderKeys() {
        let tree = ObjectID.hash(type: .tree, content: Data())
        for key in ["tree", "parent", "Bad", "has space", "", "1x"] {
            let c = Commit(tree: tree, parents: [], author: Signature(ident: "a", time: 0), extraHeaders: [(key, "v")], message: "")
            XCTAssertThrowsError(try c.serialized(), "accepted key \(key.debugDescription)")
        }
        XCTAssertThrowsError(try Commit.parse(Data("tree \(tree.hex)\nauthor a 1 +0000\ncommitter a 1 +0000\nx bad\\q\n\nm".utf8), id: "c"),
                             "invalid escape accepted")
        XCTAssertThrowsError(try Commit.parse(Data("author a 1 +0000\n\nm".utf8), id: "c"), "commit without tree accepted")
    }

    func testTagAndChunkListRoundTrip() throws {
        let id = ObjectID.hash(type: .commit, content: Data("c".utf8))
        let tag = Tag(object: id, type: .commit, name: "v1", tagger: Signature(ident: "T <t>", time: 5), message: "release\n")
        let back = try Tag.parse(tag.serialized(), id: "t")
        XCTAssertEqual(back.object, id)
        XCTAssertEqual(back.name, "v1")
        XCTAssertEqual(back.message, "release\n")
        let list = ChunkList(chunks: [.init(id: id, size: 10), .init(id: id, size: 5)])
        XCTAssertEqual(try ChunkList.parse(list.serialized(), id: "l"), list)
        XCTAssertThrowsError(try ChunkList.parse(Data("size 16\n\(id.hex) 10\n\(id.hex) 5\n".utf8), id: "l"), "size mismatch accepted")
    }
}
