import FTXCore
import Foundation

/// A pack index (`*.idx`, format in Pack.swift), parsed and validated whole before anything
/// trusts it, on its own, without the pack (a remote's indexes are read before any pack is
/// fetched): a crafted index is an error naming the file, never a trap or a lookup that silently
/// misses. Checked: the size the count implies (with overflow checks), the checksum, a fanout
/// that never decreases and ends at the count, ids strictly increasing and each inside its fanout
/// bucket, a pack size that fits the count, and every offset inside the pack's entry area and
/// distinct (entry lengths are the gaps between offsets).
/// A pure function of the bytes (a fuzz target can call `parse` directly).
public struct PackIndex: Sendable {
    public let ids: [ObjectID]
    /// Offset of each id's entry (parallel to `ids`).
    public let offsets: [UInt64]
    let fanout: [UInt32]
    public let packSize: Int
    public let packChecksum: [UInt8]
    /// Entry offsets in pack order, for entry lengths.
    private let sortedOffsets: [UInt64]

    /// The smallest pack entry: a kind byte and an 8-byte frame length.
    static let minEntrySize = 9

    public static func parse(_ idx: Data, path: String) throws -> PackIndex {
        func corrupt(_ reason: String) -> StoreError { .corruptPack(path: path, reason: reason) }
        let bytes = [UInt8](idx)
        func u64(_ o: Int) -> UInt64 { var v: UInt64 = 0; for i in 0..<8 { v |= UInt64(bytes[o + i]) << UInt64(8 * i) }; return v }
        func u32(_ o: Int) -> UInt32 { var v: UInt32 = 0; for i in 0..<4 { v |= UInt32(bytes[o + i]) << UInt32(8 * i) }; return v }
        let fixed = PackFormat.idxSize(count: 0)
        guard bytes.count >= fixed, Array(bytes[0..<8]) == PackFormat.idxMagic else {
            throw corrupt("truncated or not an ftx pack index (\(bytes.count) bytes)")
        }
        // 40 bytes per object (id + offset): the count must account for the file exactly.
        let rawCount = u64(8)
        guard rawCount <= UInt64((bytes.count - fixed) / 40), fixed + 40 * Int(rawCount) == bytes.count else {
            throw corrupt("index is \(bytes.count) bytes but claims \(rawCount) objects (truncated?)")
        }
        let count = Int(rawCount)
        let body = bytes.count - 32
        guard Array(SHA256.hash(data: idx.prefix(body))) == Array(bytes[body...]) else {
            throw corrupt("index checksum mismatch")
        }
        let rawPackSize = u64(16)
        // Magic, the entries, the trailer: the least a pack of `count` objects can take.
        let minPack = UInt64(PackFormat.packMagic.count + PackFormat.trailerSize + minEntrySize * count)
        guard rawPackSize >= minPack, rawPackSize <= UInt64(Int.max) else {
            throw corrupt("index records a pack size of \(rawPackSize) bytes, impossible for \(count) objects")
        }
        let packSize = Int(rawPackSize)

        var fanout = [UInt32](repeating: 0, count: 256)
        for i in 0..<256 {
            fanout[i] = u32(24 + 4 * i)
            guard i == 0 || fanout[i] >= fanout[i - 1] else {
                throw corrupt("fanout decreases at byte \(i) (\(fanout[i - 1]) then \(fanout[i]))")
            }
        }
        guard fanout[255] == UInt32(truncatingIfNeeded: count), UInt64(fanout[255]) == rawCount else {
            throw corrupt("fanout ends at \(fanout[255]), not at the object count \(count)")
        }

        let idsStart = 24 + 1024
        var ids = [ObjectID]()
        ids.reserveCapacity(count)
        bytes.withUnsafeBytes { raw in
            for i in 0..<count { ids.append(ObjectID(bytes: UnsafeRawBufferPointer(rebasing: raw[(idsStart + 32 * i)..<(idsStart + 32 * i + 32)]))) }
        }
        for i in 1..<max(count, 1) where !(ids[i - 1] < ids[i]) {
            throw corrupt("ids not sorted (or repeated) at position \(i)")
        }
        for i in 0..<count {
            let b = Int(ids[i].firstByte)
            let lo = b == 0 ? 0 : Int(fanout[b - 1])
            guard lo <= i, i < Int(fanout[b]) else {
                throw corrupt("fanout does not match the ids: \(ids[i].short) at position \(i) is outside bucket \(b)")
            }
        }

        let offStart = idsStart + 32 * count
        let entryEnd = UInt64(packSize - PackFormat.trailerSize - minEntrySize)
        var offsets = [UInt64](repeating: 0, count: count)
        for i in 0..<count {
            let off = u64(offStart + 8 * i)
            guard off >= UInt64(PackFormat.packMagic.count), off <= entryEnd else {
                throw corrupt("offset \(off) of \(ids[i].short) is outside the pack (\(packSize) bytes)")
            }
            offsets[i] = off
        }
        let sorted = offsets.sorted()
        for i in sorted.indices.dropFirst() where sorted[i] - sorted[i - 1] < UInt64(minEntrySize) {
            throw corrupt("entries at offsets \(sorted[i - 1]) and \(sorted[i]) overlap (a repeated offset)")
        }
        let sumStart = offStart + 8 * count
        return PackIndex(ids: ids, offsets: offsets, fanout: fanout, packSize: packSize,
                         packChecksum: Array(bytes[sumStart..<(sumStart + 32)]), sortedOffsets: sorted)
    }

    public var count: Int { ids.count }

    /// Position of `id` in the sorted id list.
    public func position(of id: ObjectID) -> Int? {
        let b = Int(id.firstByte)
        var lo = b == 0 ? 0 : Int(fanout[b - 1]), hi = Int(fanout[b])
        while lo < hi {
            let mid = (lo + hi) / 2
            if ids[mid] == id { return mid }
            if ids[mid] < id { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }

    public func contains(_ id: ObjectID) -> Bool { position(of: id) != nil }

    /// The bytes of the entry at sorted position `i`: from its offset to the next entry (or the trailer).
    public func entryRange(at i: Int) -> Range<UInt64> {
        let start = offsets[i]
        var lo = 0, hi = sortedOffsets.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sortedOffsets[mid] <= start { lo = mid + 1 } else { hi = mid }
        }
        let end = lo < sortedOffsets.count ? sortedOffsets[lo] : UInt64(packSize - PackFormat.trailerSize)
        return start..<end
    }
}
