import CZstd
import Foundation

/// How a pool's frames are compressed. Chunks of large files use one of zstd's fast (negative)
/// levels with Huffman-coded literals forced on: for text such as JSONL nearly all the ratio comes
/// from the literals, which the fast levels otherwise store raw; with them the ratio stays within
/// a few percent of level 1 at about twice the speed. (`ZSTD_c_literalCompressionMode` is an
/// experimental zstd parameter: a libzstd that rejects it only changes speed and size, never the
/// frames' validity.)
struct ZstdSettings: Sendable, Equatable {
    var level: Int32
    var forceLiterals = false
}

/// zstd frames for objects: compression with a reusable context, and bounded decompression that
/// never trusts the size a frame claims (a crafted frame cannot make us allocate gigabytes).
final class ZstdCompressor {
    private let cctx: OpaquePointer
    let settings: ZstdSettings

    init(_ settings: ZstdSettings = ZstdSettings(level: 3)) {
        cctx = ZSTD_createCCtx()
        self.settings = settings
    }

    deinit {
        ZSTD_freeCCtx(cctx)
        input?.deallocate()
        output?.deallocate()
    }

    /// One zstd frame holding `header` followed by `content`, with the total size recorded in the frame.
    /// Reused between calls: header + content laid out contiguously, and the output frame.
    private var input: UnsafeMutableRawPointer? = nil
    private var inputCapacity = 0
    private var output: UnsafeMutableRawPointer? = nil
    private var outputCapacity = 0

    private func ensure(_ p: inout UnsafeMutableRawPointer?, _ cap: inout Int, _ n: Int) -> UnsafeMutableRawPointer {
        if cap < n {
            p?.deallocate()
            cap = max(n, 1 << 16)
            p = UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: 16)
        }
        return p!
    }

    /// One zstd frame holding `header` followed by `content`, with the total size recorded in
    /// the frame. With `prefix`, the frame may copy from it (a delta against a base object).
    func compress(header: [UInt8], content: UnsafeRawBufferPointer, prefix: UnsafeRawBufferPointer? = nil) -> Data {
        let total = header.count + content.count
        let src = ensure(&input, &inputCapacity, total)
        header.withUnsafeBytes { src.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        if content.count > 0 { (src + header.count).copyMemory(from: content.baseAddress!, byteCount: content.count) }
        let bound = ZSTD_compressBound(total)
        let dst = ensure(&output, &outputCapacity, bound)
        ZSTD_CCtx_reset(cctx, ZSTD_reset_session_only)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, settings.level)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 0)
        if settings.forceLiterals { ZSTD_CCtx_setParameter(cctx, ZSTD_c_experimentalParam5, 1) }  // literalCompressionMode = ZSTD_ps_enable
        if let prefix, let base = prefix.baseAddress { ZSTD_CCtx_refPrefix(cctx, base, prefix.count) }
        let n = ZSTD_compress2(cctx, dst, bound, src, total)
        precondition(ZSTD_isError(n) == 0, "zstd compression cannot fail with a bound-sized buffer")
        return Data(bytes: dst, count: n)
    }
}

/// A small pool so parallel workers each get a context without creating one per chunk.
final class CompressorPool: @unchecked Sendable {
    private var free: [ZstdCompressor] = []
    private let lock = NSLock()
    let settings: ZstdSettings
    init(_ settings: ZstdSettings = ZstdSettings(level: 3)) { self.settings = settings }

    func withCompressor<T>(_ body: (ZstdCompressor) throws -> T) rethrows -> T {
        lock.lock()
        let c = free.popLast() ?? ZstdCompressor(settings)
        lock.unlock()
        defer { lock.lock(); free.append(c); lock.unlock() }
        return try body(c)
    }
}

enum ZstdFrame {
    static let contentSizeUnknown = UInt64.max
    static let contentSizeError = UInt64.max - 1
    /// Enough leading bytes to read a frame header (ZSTD_FRAMEHEADERSIZE_MAX).
    static let headerProbeSize = 18

    /// The content size a frame header records; nil when the header does not record it (or the
    /// bytes are not a frame: decoding reports that).
    static func claimedContentSize(_ head: [UInt8]) -> UInt64? {
        let n = head.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        return n == contentSizeUnknown || n == contentSizeError ? nil : n
    }

    /// The largest frame `content` bytes can compress to (zstd's bound, saturating).
    static func maxFrameSize(content: UInt64) -> UInt64 {
        // ZSTD_compressBound: size + size/256 + a small margin, well under twice the size.
        let (twice, overflow) = content.multipliedReportingOverflow(by: 2)
        if overflow || twice > UInt64(Int.max) { return UInt64(Int.max) }
        return UInt64(ZSTD_compressBound(Int(content))) + 64
    }

    /// Decompresses an object frame, checking the typed header, the size limit and (when `expected`
    /// is given) the hash. Returns the type and the content without its header.
    static func decodeObject(_ frame: UnsafeRawBufferPointer, path: String, limit: UInt64,
                             expected: ObjectID?, prefix: Data? = nil) throws -> (ObjectType, Data) {
        if let prefix {
            return try prefix.withUnsafeBytes { try decodeObject(frame, path: path, limit: limit, expected: expected, prefixBytes: $0) }
        }
        return try decodeObject(frame, path: path, limit: limit, expected: expected, prefixBytes: nil)
    }

    static func decodeObject(_ frame: UnsafeRawBufferPointer, path: String, limit: UInt64,
                             expected: ObjectID?, prefixBytes: UnsafeRawBufferPointer?) throws -> (ObjectType, Data) {
        guard frame.count > 0, let base = frame.baseAddress else {
            throw StoreError.corruptObject(path: path, reason: "empty file")
        }
        let claimed = ZSTD_getFrameContentSize(base, frame.count)
        if claimed == contentSizeError {
            throw StoreError.corruptObject(path: path, reason: "not a zstd frame")
        }
        if claimed != contentSizeUnknown && claimed > limit + 64 {
            throw StoreError.objectTooLarge(path: path, claimed: claimed, limit: limit)
        }
        guard let ds = ZSTD_createDStream() else {
            throw StoreError.io(path: path, reason: "cannot allocate a zstd decoder")
        }
        defer { ZSTD_freeDStream(ds) }
        ZSTD_initDStream(ds)
        if let prefixBytes, let p = prefixBytes.baseAddress { ZSTD_DCtx_refPrefix(ds, p, prefixBytes.count) }
        // Cap the window so a frame cannot demand a huge decoder buffer either (2^27 = 128 MiB).
        ZSTD_DCtx_setParameter(ds, ZSTD_d_windowLogMax, 27)
        var input = ZSTD_inBuffer(src: base, size: frame.count, pos: 0)

        // Phase 1: just enough output to read the typed header.
        var head = [UInt8](repeating: 0, count: 40)
        var headLen = 0
        var frameDone = false
        try head.withUnsafeMutableBytes { hb in
            var out = ZSTD_outBuffer(dst: hb.baseAddress, size: hb.count, pos: 0)
            while out.pos < out.size {
                let r = ZSTD_decompressStream(ds, &out, &input)
                if ZSTD_isError(r) != 0 {
                    throw StoreError.corruptObject(path: path, reason: "zstd: \(String(cString: ZSTD_getErrorName(r)))")
                }
                if r == 0 { frameDone = true; break }
                if input.pos == input.size && out.pos < out.size {
                    throw StoreError.corruptObject(path: path, reason: "truncated zstd frame")
                }
            }
            headLen = out.pos
        }
        guard let (type, size, hlen) = head.withUnsafeBytes({ ObjectHeader.decode(UnsafeRawBufferPointer(rebasing: $0[0..<headLen])) }) else {
            throw StoreError.corruptObject(path: path, reason: "missing or malformed \"<type> <size>\" header")
        }
        if UInt64(size) > limit {
            throw StoreError.objectTooLarge(path: path, claimed: UInt64(size), limit: limit)
        }
        if claimed != contentSizeUnknown && claimed != UInt64(hlen + size) {
            throw StoreError.corruptObject(path: path, reason: "frame size \(claimed) disagrees with header size \(hlen + size)")
        }
        var content = Data(count: size)
        let already = headLen - hlen
        if already > size {
            throw StoreError.corruptObject(path: path, reason: "content longer than its header says")
        }
        try content.withUnsafeMutableBytes { cb in
            if already > 0 {
                head.withUnsafeBytes { hb in
                    cb.baseAddress!.copyMemory(from: hb.baseAddress! + hlen, byteCount: already)
                }
            }
            var out = ZSTD_outBuffer(dst: cb.baseAddress, size: size, pos: already)
            while !frameDone && out.pos < out.size {
                let r = ZSTD_decompressStream(ds, &out, &input)
                if ZSTD_isError(r) != 0 {
                    throw StoreError.corruptObject(path: path, reason: "zstd: \(String(cString: ZSTD_getErrorName(r)))")
                }
                if r == 0 { frameDone = true; break }
                if input.pos == input.size && out.pos < out.size {
                    throw StoreError.corruptObject(path: path, reason: "truncated zstd frame (\(out.pos) of \(size) bytes)")
                }
            }
            if out.pos < size {
                throw StoreError.corruptObject(path: path, reason: "truncated object (\(out.pos) of \(size) bytes)")
            }
            // The frame must end exactly here: one spare byte of output must stay empty.
            if !frameDone {
                var spare: UInt8 = 0
                let r = withUnsafeMutableBytes(of: &spare) { sp -> Int in
                    var o = ZSTD_outBuffer(dst: sp.baseAddress, size: 1, pos: 0)
                    let r = ZSTD_decompressStream(ds, &o, &input)
                    if ZSTD_isError(r) != 0 { return -1 }
                    return o.pos > 0 ? -2 : Int(r)
                }
                if r == -2 { throw StoreError.corruptObject(path: path, reason: "content longer than its header says") }
                if r != 0 { throw StoreError.corruptObject(path: path, reason: "truncated zstd frame") }
            }
            if let expected {
                let actual = ObjectID.hash(type: type, content: UnsafeRawBufferPointer(cb))
                if actual != expected {
                    throw StoreError.hashMismatch(path: path, expected: expected.hex, actual: actual.hex)
                }
            }
        }
        return (type, content)
    }
}
