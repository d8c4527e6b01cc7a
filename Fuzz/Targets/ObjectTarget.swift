import Foundation
@testable import FTXStore

/// Object decoding. The first byte picks what the rest is:
///   0 tree, 1 commit, 2 tag, 3 chunk list (the text formats; property: what parses serializes to
///     text that parses to the same value),
///   4 a stored zstd frame as read from objects/ or a pack (typed header, size limits, then the
///     content decoded by its type; property: the content hashes to an id the frame verifies against),
///   5 the decompressed bytes of a frame ("<type> <size>\0" + content), compressed here first so the
///     fuzzer works on the header and content rather than on zstd's entropy coding.
enum ObjectTarget {
    static let target = FuzzTarget(name: "object", run: run, seeds: seeds)
    static let limit: UInt64 = 1 << 20
    static let compressor = ZstdCompressor(ZstdSettings(level: 1))

    static func run(_ data: Data) {
        guard let selector = data.first else { return }
        let rest = data.dropFirst()
        switch selector {
        case 0: roundTrip(rest, Tree.parse, { $0.serialized() }, ==)
        case 1: roundTrip(rest, Commit.parse, { try! $0.serialized() }, { try! $0.serialized() == $1.serialized() })
        case 2: roundTrip(rest, Tag.parse, { $0.serialized() }, { $0.serialized() == $1.serialized() })
        case 3: roundTrip(rest, ChunkList.parse, { $0.serialized() }, ==)
        case 4: frame(Data(rest))
        case 5:
            // As the store writes frames: the typed header (here: up to its NUL), then the content.
            let bytes = [UInt8](rest)
            guard !bytes.isEmpty else { return }
            let headerEnd = (bytes.firstIndex(of: 0) ?? bytes.count - 1) + 1
            let frameBytes = bytes[headerEnd...].withUnsafeBytes { content in
                compressor.compress(header: Array(bytes[..<headerEnd]), content: content)
            }
            frame(frameBytes)
        default: return
        }
    }

    static func roundTrip<T>(_ bytes: Data, _ parse: (Data, String) throws -> T, _ serialize: (T) -> Data,
                             _ same: (T, T) -> Bool) {
        guard let value = attempt({ try parse(Data(bytes), "fuzz") }) else { return }
        let text = serialize(value)
        guard let again = try? parse(text, "fuzz") else {
            FuzzCheck.fail("\(T.self) parses but its serialization does not: \(String(decoding: text, as: UTF8.self).debugDescription)")
        }
        if !same(value, again) { FuzzCheck.fail("\(T.self) changes through serialize+parse: \(String(decoding: text, as: UTF8.self).debugDescription)") }
    }

    static func frame(_ frame: Data) {
        let decoded = frame.withUnsafeBytes { raw in
            attempt { try ZstdFrame.decodeObject(raw, path: "fuzz", limit: limit, expected: nil) }
        }
        guard let (type, content) = decoded else { return }
        let id = ObjectID.hash(type: type, content: content)
        let verified = frame.withUnsafeBytes { raw in
            try? ZstdFrame.decodeObject(raw, path: "fuzz", limit: limit, expected: id)
        }
        guard let verified, verified.0 == type, verified.1 == content else {
            FuzzCheck.fail("a frame decodes but does not verify against its own hash")
        }
        decode(read: { (type, content) })
    }

    /// Parses an object's content by its type, as the store's readers do.
    static func decode(read: () throws -> (type: ObjectType, content: Data)) {
        guard let (type, content) = attempt(read) else { return }
        switch type {
        case .tree: _ = try? Tree.parse(content, id: "fuzz")
        case .commit: _ = try? Commit.parse(content, id: "fuzz")
        case .tag: _ = try? Tag.parse(content, id: "fuzz")
        case .chunked: _ = try? ChunkList.parse(content, id: "fuzz")
        case .blob: break
        }
    }

    static func seeds() throws -> [(name: String, bytes: Data)] {
        let a = ObjectID.hash(type: .blob, content: Data("a\n".utf8))
        let b = ObjectID.hash(type: .blob, content: Data("b\n".utf8))
        let who = Signature(ident: "Fuzz <fuzz@example.com>", time: 1_700_000_000, timezone: "+0130")
        let tree = try Tree(entries: [TreeEntry(name: "a.txt", kind: .blob, id: a), TreeEntry(name: "big.bin", kind: .chunked, id: b),
                                      TreeEntry(name: "dir", kind: .tree, id: a)])
        let commit = try Commit(tree: a, parents: [b, a], author: who, extraHeaders: [("base-model", "smollm2"), ("metrics.loss", "1.5\nx\\y")],
                                message: "first line\n\nbody\n").serialized()
        let tag = Tag(object: b, type: .commit, name: "v1.0", tagger: who, message: "release\n").serialized()
        let chunks = ChunkList(chunks: [.init(id: a, size: 262144), .init(id: b, size: 17)]).serialized()
        func framed(_ type: ObjectType, _ content: Data) -> Data {
            Data(ObjectHeader.encode(type: type, size: content.count)) + content
        }
        let compressed = tree.serialized().withUnsafeBytes {
            ZstdCompressor(ZstdSettings(level: 3)).compress(header: ObjectHeader.encode(type: .tree, size: $0.count), content: $0)
        }
        return [
            ("tree", Data([0]) + tree.serialized()), ("commit", Data([1]) + commit), ("tag", Data([2]) + tag),
            ("chunk-list", Data([3]) + chunks), ("frame-tree", Data([4]) + compressed),
            ("raw-commit", Data([5]) + framed(.commit, commit)), ("raw-blob", Data([5]) + framed(.blob, Data("hello\n".utf8))),
        ]
    }
}
