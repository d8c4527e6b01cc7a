import FTXCore
import Foundation
@testable import FTXStore

/// A pack and its index as a repository opens them: PackReader's checks, reading every object
/// through the store (delta bases included), decoding trees/commits/tags/chunk lists, and fsck.
/// Input: [flags u8][idx length u32 LE][idx without its trailing SHA-256][pack]. The target appends
/// the idx checksum (a mutated idx would never get past it), and by `flags` also makes the idx's
/// pack size (bit 0), the pack's trailer hash (bit 1) and the idx's copy of it (bit 2) agree with
/// the pack, so the fuzzer reaches the code behind those checks as well as the checks themselves.
enum PackTarget {
    static let target = FuzzTarget(name: "pack", run: run, seeds: seeds)
    static let repository: Repository = {
        let dir = Scratch.directory("pack")
        do { return try Repository.initialize(at: dir) } catch { fatalError("pack target: \(error)") }
    }()

    static func run(_ data: Data) {
        let bytes = [UInt8](data)
        guard bytes.count >= 5 else { return }
        let flags = bytes[0]
        let idxLen = min(Int(bytes[1]) | Int(bytes[2]) << 8 | Int(bytes[3]) << 16 | Int(bytes[4]) << 24, bytes.count - 5)
        var idx = Array(bytes[5..<(5 + idxLen)])
        var pack = Array(bytes[(5 + idxLen)...])
        if flags & 1 != 0, idx.count >= 24 {
            withUnsafeBytes(of: UInt64(pack.count).littleEndian) { idx.replaceSubrange(16..<24, with: $0) }
        }
        if flags & 2 != 0, pack.count >= 40 {
            pack.replaceSubrange((pack.count - 32)..., with: Array(SHA256.hash(data: pack[..<(pack.count - 32)])))
        }
        if flags & 4 != 0, idx.count >= 32, pack.count >= 32 {
            idx.replaceSubrange((idx.count - 32)..., with: pack[(pack.count - 32)...])
        }
        idx += SHA256.hash(data: idx)
        let packs = repository.objects.packsDirectory
        let name = packs + "/pack-" + String(repeating: "0", count: 64)
        Scratch.write(Data(pack), to: name + ".pack")
        Scratch.write(Data(idx), to: name + ".idx")
        repository.objects.reloadPacks()
        defer { repository.objects.reloadPacks() }
        guard let readers = attempt({ try repository.objects.packs() }) else { return }
        for reader in readers {
            _ = reader.verifyChecksum()
            for id in reader.ids.prefix(64) {
                ObjectTarget.decode(read: { try repository.objects.read(id) })
            }
        }
        _ = repository.fsck()
    }

    /// A real pack of a few small commits (gc packs the loose objects), with all fix-up flags set.
    static func seeds() throws -> [(name: String, bytes: Data)] {
        let dir = Scratch.directory("pack-seeds")
        let repo = try Repository.initialize(at: dir)
        let who = Signature(ident: "Fuzz <fuzz@example.com>", time: 1_700_000_000)
        for (i, text) in ["alpha\n", "alpha\nbeta\n", "alpha\nbeta\ngamma\n"].enumerated() {
            try FileManager.default.createDirectory(atPath: dir + "/d", withIntermediateDirectories: true)
            Scratch.write(Data(text.utf8), to: dir + "/a.txt")
            Scratch.write(Data(String(repeating: text, count: i + 1).utf8), to: dir + "/d/b.txt")
            try repo.add(paths: ["a.txt", "d"], cwd: dir)
            try repo.commit(message: "commit \(i)", author: who)
        }
        _ = try repo.gc(gracePeriod: 0)
        let names = try FileManager.default.contentsOfDirectory(atPath: repo.objects.packsDirectory)
        guard let idxName = names.first(where: { $0.hasSuffix(".idx") }) else { throw StoreError.usage("gc made no pack") }
        let base = repo.objects.packsDirectory + "/" + idxName.dropLast(4)
        let idx = try Data(contentsOf: URL(fileURLWithPath: base + ".idx")).dropLast(32)
        let pack = try Data(contentsOf: URL(fileURLWithPath: base + ".pack"))
        var out = Data([7])
        withUnsafeBytes(of: UInt32(idx.count).littleEndian) { out.append(contentsOf: $0) }
        return [("gc-three-commits", out + idx + pack)]
    }
}
