import CCrypto
import Foundation

/// SHA-256 over the system's OpenSSL libcrypto: the store's object ids, pack and index checksums,
/// the digests that reports and logs record. A value type, fed incrementally. (It replaced
/// swift-crypto, whose bundled BoringSSL took about a third of a clean build, for this one hash.)
public struct SHA256 {
    private var context = SHA256_CTX()

    public init() { SHA256_Init(&context) }

    public mutating func update(bufferPointer: UnsafeRawBufferPointer) {
        guard let base = bufferPointer.baseAddress, !bufferPointer.isEmpty else { return }
        SHA256_Update(&context, base, bufferPointer.count)
    }

    public mutating func update<D: DataProtocol>(data: D) {
        for region in data.regions { region.withUnsafeBytes { update(bufferPointer: $0) } }
    }

    /// The digest of everything added so far; the hasher is left as it was.
    public func finalize() -> SHA256Digest {
        var c = context
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBufferPointer { _ = SHA256_Final($0.baseAddress!, &c) }
        return SHA256Digest(bytes: out)
    }

    public static func hash<D: DataProtocol>(data: D) -> SHA256Digest {
        var h = SHA256()
        h.update(data: data)
        return h.finalize()
    }

    /// The digest of a file's bytes, read 4 MiB at a time (models are hundreds of MB: never read
    /// whole); nil when the file cannot be opened, so each caller names the failure in its own terms.
    public static func hash(fileAt path: String) throws -> SHA256Digest? {
        guard let f = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? f.close() }
        var h = SHA256()
        while let chunk = try f.read(upToCount: 4 << 20), !chunk.isEmpty { h.update(data: chunk) }
        return h.finalize()
    }
}

/// The 32 bytes of a SHA-256 digest.
public struct SHA256Digest: Sequence, Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]
    public func makeIterator() -> IndexingIterator<[UInt8]> { bytes.makeIterator() }
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try bytes.withUnsafeBytes(body) }
    /// Lowercase hex, as ids and reports write digests.
    public var hex: String { Hex.encode(bytes) }
    public var description: String { "SHA256 digest: " + hex }
}
