import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One line of a JSONL file inside a `LineBatch` buffer (CR/LF already stripped).
public struct LineSpan: Sendable {
    public var start: Int       // offset in the batch buffer
    public var length: Int
    public var line: Int        // 1-based line number in the file
    public var fileOffset: Int64 // byte offset of the line in the file (for re-reading it later)
}

/// A run of complete lines read in one block. `base` is valid only during the callback.
public struct LineBatch {
    public let base: UnsafePointer<UInt8>
    public let lines: [LineSpan]
    public func bytes(_ span: LineSpan) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + span.start, count: span.length)
    }
}

/// Streams a file in fixed-size blocks and hands out batches of complete lines, so memory stays at
/// one block plus at most one capped line no matter how large the file is. Blank lines are skipped
/// (documented policy); a UTF-8 BOM at the start is skipped; CRLF endings are accepted; a line
/// longer than `maxLineBytes` is refused as soon as it passes the cap, without reading the rest.
public final class LineReader {
    public static let defaultMaxLineBytes = 32 << 20
    public let path: String
    public let maxLineBytes: Int
    public let blockSize: Int

    public init(path: String, maxLineBytes: Int = LineReader.defaultMaxLineBytes, blockSize: Int = 4 << 20) {
        self.path = path
        self.maxLineBytes = max(1, maxLineBytes)
        self.blockSize = max(64, blockSize)
    }

    /// Calls `body` with each batch in file order; returns the number of non-blank lines.
    @discardableResult
    public func forEachBatch(_ body: (LineBatch) throws -> Void) throws -> Int {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DataError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
            throw DataError.cannotOpen(path: path, reason: "is a directory")
        }

        var capacity = blockSize * 2
        var buf = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buf.deallocate() }
        var filled = 0            // bytes in buf
        var consumed = 0          // bytes of buf already handed out as lines
        var bufFileOffset: Int64 = 0  // file offset of buf[0]
        var lineNo = 0
        var nonBlank = 0
        var first = true
        var eof = false

        while !eof {
            // Move the partial line to the front and make room for one more block.
            if consumed > 0 {
                let rest = filled - consumed
                if rest > 0 { memmove(buf, buf + consumed, rest) }
                filled = rest
                bufFileOffset += Int64(consumed)
                consumed = 0
            }
            if filled + blockSize > capacity {
                let newCap = filled + blockSize
                let nb = UnsafeMutablePointer<UInt8>.allocate(capacity: newCap)
                nb.update(from: buf, count: filled)
                buf.deallocate()
                buf = nb
                capacity = newCap
            }
            let n = readFully(fd, buf + filled, blockSize)
            if n < 0 { throw DataError.readFailed(path: path, reason: String(cString: strerror(errno))) }
            if n == 0 { eof = true }
            let scanFrom = filled
            filled += n

            if first && filled >= 2 {
                if (buf[0] == 0xFF && buf[1] == 0xFE) || (buf[0] == 0xFE && buf[1] == 0xFF) {
                    throw DataError.utf16(path: path)
                }
                if filled >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF { consumed = 3 }
                first = false
            } else if first && eof {
                first = false
            }

            var spans: [LineSpan] = []
            var lineStart = consumed
            var p = max(scanFrom, consumed)
            while p < filled {
                guard let nl = memchr(buf + p, 0x0A, filled - p) else { break }
                let end = buf.distance(to: nl.assumingMemoryBound(to: UInt8.self))
                lineNo += 1
                if end - lineStart > maxLineBytes {
                    throw DataError.lineTooLong(SourceLocation(file: path, line: lineNo), limit: maxLineBytes)
                }
                appendSpan(&spans, buf, lineStart, end, lineNo, bufFileOffset)
                lineStart = end + 1
                p = lineStart
            }
            if eof && lineStart < filled {  // last line without a newline
                lineNo += 1
                if filled - lineStart > maxLineBytes {
                    throw DataError.lineTooLong(SourceLocation(file: path, line: lineNo), limit: maxLineBytes)
                }
                appendSpan(&spans, buf, lineStart, filled, lineNo, bufFileOffset)
                lineStart = filled
            }
            consumed = lineStart
            // Refuse an over-long line before buffering more of it.
            if !eof && filled - consumed > maxLineBytes {
                throw DataError.lineTooLong(SourceLocation(file: path, line: lineNo + 1), limit: maxLineBytes)
            }
            if !spans.isEmpty {
                nonBlank += spans.count
                try body(LineBatch(base: UnsafePointer(buf), lines: spans))
            }
        }
        return nonBlank
    }

    private func appendSpan(_ spans: inout [LineSpan], _ buf: UnsafeMutablePointer<UInt8>, _ start: Int,
                            _ endIn: Int, _ lineNo: Int, _ bufFileOffset: Int64) {
        var end = endIn
        if end > start && buf[end - 1] == 0x0D { end -= 1 }  // CRLF
        // Skip blank (whitespace-only) lines.
        var q = start
        while q < end, buf[q] == 0x20 || buf[q] == 0x09 || buf[q] == 0x0D { q += 1 }
        if q == end { return }
        spans.append(LineSpan(start: start, length: end - start, line: lineNo, fileOffset: bufFileOffset + Int64(start)))
    }

    private func readFully(_ fd: Int32, _ p: UnsafeMutablePointer<UInt8>, _ count: Int) -> Int {
        var got = 0
        while got < count {
            let r = read(fd, p + got, count - got)
            if r < 0 { if errno == EINTR { continue }; return -1 }
            if r == 0 { break }
            got += r
        }
        return got
    }

    /// Reads the bytes of one line again by its recorded offset (for verification passes).
    public static func readLine(fd: Int32, offset: Int64, length: Int) -> [UInt8]? {
        if length <= 0 { return [] }
        var out = [UInt8](repeating: 0, count: length)
        let ok = out.withUnsafeMutableBytes { raw -> Bool in
            var got = 0
            while got < length {
                guard let base = raw.baseAddress else { return false }
                let r = pread(fd, base + got, length - got, off_t(offset) + off_t(got))
                if r < 0 { if errno == EINTR { continue }; return false }
                if r == 0 { return false }
                got += r
            }
            return true
        }
        return ok ? out : nil
    }
}
