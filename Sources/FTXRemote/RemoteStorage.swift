import Foundation

/// One stored object of a remote, as a listing shows it.
struct RemoteObjectInfo {
    /// The key relative to the remote's root (`refs/heads/main`, `packs/meta/pack-….idx`).
    var key: String
    var size: Int
    var modified: Date?
}

struct RemoteGet {
    var key: String
    /// A byte range of the object; nil = all of it.
    var range: Range<UInt64>? = nil
    /// Larger objects are refused (their key is untrusted input).
    var limit: Int
}

struct RemoteGot {
    var data: Data
    /// The version a conditional write compares against (an S3 ETag; a hash for directories).
    var version: String
}

struct RemotePut {
    enum Body { case data(Data), file(path: String, size: Int) }
    var key: String
    var body: Body
}

enum RemoteCondition: Equatable {
    /// Create only: the key must not exist (S3 `If-None-Match: *`).
    case absent
    /// Replace only this version (S3 `If-Match: <etag>`).
    case version(String)
}

/// Byte counts of a batch in flight, for progress.
typealias TransferProgressHandler = (_ sent: Int64, _ received: Int64) -> Void

/// What push, fetch and gc need from a place that stores objects by key. Two kinds: S3-compatible
/// object storage and a directory. Keys are `/`-separated and never contain `..`.
protocol RemoteStorage: AnyObject {
    /// The remote's name and URL, for messages: `origin (s3://team/extractor)`.
    var display: String { get }
    /// Every object under the remote's root.
    func list() throws -> [RemoteObjectInfo]
    /// Many objects (in parallel where the transport allows); nil where a key does not exist.
    func get(_ requests: [RemoteGet], progress: TransferProgressHandler?) throws -> [RemoteGot?]
    /// Unconditional writes of objects that are named by their content (packs): a retry or a
    /// concurrent writer of the same key writes the same bytes.
    func put(_ requests: [RemotePut], progress: TransferProgressHandler?) throws
    /// Compare-and-swap of one small object (a ref); false when the condition did not hold.
    func putConditional(key: String, data: Data, condition: RemoteCondition) throws -> Bool
    func delete(_ keys: [String]) throws
}
