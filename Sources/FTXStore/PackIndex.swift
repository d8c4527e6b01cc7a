import Crypto
import Foundation

/// A parsed pack index (`*.idx`, format in Pack.swift): the sorted ids, where each entry starts,
/// the pack's size and checksum. Parsed on its own, without the pack, so a remote's indexes can be
/// read before any pack is fetched; every field is checked, since an index may come from elsewhere.
public struct PackIndex: Sendable {
    public let ids: [ObjectID]
    /// Offset of each id's entry (parallel to `ids`).
    public let offsets: [UInt64]
    let fanout: [UInt32]
    public let packSize: Int
    public let packChecksum: [UInt8]
    /// Entry offsets in pack order, for entry lengths.
    private let sortedOffsets: [UInt64]

    public init(data: Data, path: String) throws {
        let bytes = [UInt8](data)
        func u64(_ o: Int) -> UInt64 { var v: UInt64 = 0; for i in 0..<8 { v |= UInt64(bytes[o + i]) << UInt64(8 * i) }; return v }
        func u32(_ o: Int) -> UInt32 { var v: UInt32 = 0; for i in 0..<4 { v |= UInt32(bytes[o + i]) << UInt32(8 * i) }; return v }
        guard bytes.count >= PackFormat.idxSize(count: 0), Array(bytes[0..<8]) == PackFormat.idxMagic else {
            throw StoreError.corruptPack(path: path, reason: "truncated or not an ftx pack index (\(bytes.count) bytes)")
        }
        let rawCount = u64(8)
        guard rawCount < UInt64(bytes.count), PackFormat.idxSize(count: Int(rawCount)) == bytes.count else {
            throw StoreError.corruptPack(path: path, reason: "index is \(bytes.count) bytes but claims \(rawCount) objects (truncated?)")
        }
        let count = Int(rawCount)
        let body = bytes.count - 32
        guard Array(SHA256.hash(data: data.prefix(body))) == Array(bytes[body...]) else {
            throw StoreError.corruptPack(path: path, reason: "index checksum mismatch")
        }
        let rawSize = u64(16)
        guard rawSize <= UInt64(Int.max / 2), rawSize >= UInt64(8 + PackFormat.trailerSize) else {
            throw StoreError.corruptPack(path: path, reason: "index claims an impossible pack size \(rawSize)")
        }
        packSize = Int(rawSize)
        var fan = [UInt32](repeating: 0, count: 256)
        for i in 0..<256 {
            fan[i] = u32(24 + 4 * i)
            guard (i == 0 || fan[i] >= fan[i - 1]) && Int(fan[i]) <= count else {
                throw StoreError.corruptPack(path: path, reason: "index fanout is not cumulative at byte \(i)")
            }
        }
        guard count == 0 || Int(fan[255]) == count else {
            throw StoreError.corruptPack(path: path, reason: "index fanout counts \(fan[255]) objects, header \(count)")
        }
        fanout = fan
        let idsStart = 24 + 1024
        var ids = [ObjectID]()
        ids.reserveCapacity(count)
        bytes.withUnsafeBytes { raw in
            for i in 0..<count { ids.append(ObjectID(bytes: UnsafeRawBufferPointer(rebasing: raw[(idsStart + 32 * i)..<(idsStart + 32 * i + 32)]))) }
        }
        for i in ids.indices.dropFirst() where !(ids[i - 1] < ids[i]) {
            throw StoreError.corruptPack(path: path, reason: "index ids are not sorted and unique at entry \(i)")
        }
        for (i, id) in ids.enumerated() {
            let b = Int(id.firstByte)
            guard i >= (b == 0 ? 0 : Int(fan[b - 1])) && i < Int(fan[b]) else {
                throw StoreError.corruptPack(path: path, reason: "index fanout disagrees with id \(id.short)")
            }
        }
        self.ids = ids
        let offStart = idsStart + 32 * count
        let offsets = (0..<count).map { u64(offStart + 8 * $0) }
        let end = UInt64(packSize - PackFormat.trailerSize)
        let sorted = offsets.sorted()
        for (i, o) in sorted.enumerated() where o < 8 || o >= end || end - o < 9 || (i > 0 && sorted[i - 1] == o) {
            throw StoreError.corruptPack(path: path, reason: "entry offset \(o) is outside the pack or repeated")
        }
        self.offsets = offsets
        sortedOffsets = sorted
        packChecksum = Array(bytes[(offStart + 8 * count)..<(offStart + 8 * count + 32)])
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
