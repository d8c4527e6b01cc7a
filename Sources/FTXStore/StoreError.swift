import FTXCore

/// Everything that can go wrong in the object store, each naming the place (object path, ref, revision).
public enum StoreError: FTXError {
    case notARepository(String)
    case alreadyInitialized(String)
    case objectNotFound(String)
    case ambiguousPrefix(String, candidates: Int)
    case corruptObject(path: String, reason: String)
    case hashMismatch(path: String, expected: String, actual: String)
    case objectTooLarge(path: String, claimed: UInt64, limit: UInt64)
    case wrongType(id: String, expected: String, actual: String)
    case badObject(id: String, reason: String)
    case invalidTreeName(String, reason: String)
    case invalidPath(String, reason: String)
    case corruptPack(path: String, reason: String)
    case badRef(name: String, reason: String)
    case invalidRefName(String, reason: String)
    case staleLock(path: String, pid: Int32?)
    case lockBusy(path: String)
    case casFailed(ref: String, expected: String, actual: String)
    case lostRace(ref: String, attempts: Int)
    case badRevision(String, reason: String)
    case corruptIndex(path: String, reason: String)
    case wouldOverwrite(paths: [String])
    case io(path: String, reason: String)
    case sqlite(path: String, reason: String)
    case derivedIndexDamaged(path: String, reason: String)
    case nothingToCommit
    case usage(String)

    public var message: String {
        switch self {
        case .notARepository: return "not an ftx repository (or any parent directory)"
        case .alreadyInitialized: return "an ftx repository already exists here"
        case .objectNotFound: return "object not found"
        case .ambiguousPrefix(_, let n): return "short object id is ambiguous (\(n) objects match)"
        case .corruptObject(_, let reason): return "corrupt object: \(reason)"
        case .hashMismatch(_, let exp, let act): return "object content does not match its id (expected \(exp), found \(act))"
        case .objectTooLarge(_, let claimed, let limit): return "object claims \(claimed) bytes, more than the limit of \(limit); refusing to decompress"
        case .wrongType(_, let exp, let act): return "expected a \(exp) object but found a \(act)"
        case .badObject(_, let reason): return "malformed object: \(reason)"
        case .invalidTreeName(_, let reason): return "invalid tree entry name: \(reason)"
        case .invalidPath(_, let reason): return "invalid path: \(reason)"
        case .corruptPack(_, let reason): return "corrupt pack: \(reason)"
        case .badRef(_, let reason): return "bad ref: \(reason)"
        case .invalidRefName(_, let reason): return "invalid ref name: \(reason)"
        case .staleLock(_, let pid):
            if let pid { return "stale lock file left by process \(pid), which is no longer running" }
            return "lock file exists and its owner is gone"
        case .lockBusy: return "another ftx process holds the lock and did not release it in time"
        case .casFailed(_, let exp, let act): return "ref moved while updating (expected \(exp.prefix(12)), found \(act.prefix(12)))"
        case .lostRace(_, let n): return "lost the race to update the branch after \(n) attempts; the commit was not recorded"
        case .badRevision(_, let reason): return "bad revision: \(reason)"
        case .corruptIndex(_, let reason): return "corrupt staging index: \(reason)"
        case .wouldOverwrite(let paths): return "checkout would overwrite uncommitted changes in \(paths.count) path(s): \(paths.prefix(5).joined(separator: ", "))"
        case .io(_, let reason): return reason
        case .sqlite(_, let reason): return "index.sqlite: \(reason)"
        case .derivedIndexDamaged(_, let reason): return "index.sqlite is damaged: \(reason)"
        case .nothingToCommit: return "nothing to commit (the staged tree equals the project state at HEAD; run commits are records and do not count)"
        case .usage(let m): return m
        }
    }

    public var location: String? {
        switch self {
        case .notARepository(let p), .alreadyInitialized(let p), .objectNotFound(let p),
             .ambiguousPrefix(let p, _), .invalidTreeName(let p, _), .invalidPath(let p, _),
             .badRevision(let p, _), .invalidRefName(let p, _):
            return p
        case .corruptObject(let p, _), .hashMismatch(let p, _, _), .objectTooLarge(let p, _, _),
             .corruptPack(let p, _), .staleLock(let p, _), .lockBusy(let p), .corruptIndex(let p, _),
             .io(let p, _), .sqlite(let p, _), .derivedIndexDamaged(let p, _):
            return p
        case .wrongType(let id, _, _), .badObject(let id, _): return id
        case .badRef(let n, _), .casFailed(let n, _, _), .lostRace(let n, _): return n
        case .wouldOverwrite, .nothingToCommit, .usage: return nil
        }
    }

    public var hint: String? {
        switch self {
        case .notARepository: return "run `ftx init` to create one here"
        case .ambiguousPrefix: return "use more hex digits"
        case .staleLock(let p, _): return "if no ftx command is running, remove it: rm \(p)"
        case .lockBusy(let p): return "wait for the other command to finish; if none is running, remove \(p)"
        case .lostRace: return "run the command again; the branch is still consistent"
        case .wouldOverwrite: return "commit your changes, or pass --force to discard them"
        case .hashMismatch, .corruptObject, .corruptPack: return "run `ftx fsck` to list every damaged object"
        case .badRevision: return "revisions: an id (≥ 6 hex digits), branch, tag, HEAD, X~N, X^, X^N, ref@{N}, X:path (X: is the root tree)"
        case .nothingToCommit: return "stage changes with `ftx add <path>` first"
        case .derivedIndexDamaged: return "it holds only derived data: `ftx reindex` moves it aside and rebuilds it"
        default: return nil
        }
    }
}
