import FTXCore
import FTXStore
import Foundation

/// What a higher layer decides about transfers; FTXRemote itself knows nothing of models or runs.
public struct TransferPolicy: Sendable {
    /// Ref namespaces that travel with every push (created or fast-forwarded, never forced) and
    /// every fetch (created locally when absent), e.g. the registry's base-model records.
    public var companionPrefixes: [String]
    /// Why a file stays out of a push unless asked for (nil: it travels). The registry keeps base
    /// model bytes home unless `--with-bases`; a fetch records such files as promised.
    public var excluded: @Sendable (_ ref: String, _ path: String) -> String?
    /// Large data that a lazy clone leaves on the remote until a command needs it. Such files go
    /// into data packs; everything else into meta packs.
    public var deferrable: @Sendable (_ ref: String, _ path: String, _ kind: EntryKind) -> Bool

    public init(companionPrefixes: [String] = [],
                excluded: @escaping @Sendable (String, String) -> String? = { _, _ in nil },
                deferrable: @escaping @Sendable (String, String, EntryKind) -> Bool = { _, _, kind in kind == .chunked }) {
        self.companionPrefixes = companionPrefixes
        self.excluded = excluded
        self.deferrable = deferrable
    }
}

/// One reference met while walking from ref tips: an object, the type its referrer expects, the
/// ref it was reached from, and for files (and their chunks) the path and entry kind.
struct WalkReference {
    let id: ObjectID
    let type: ObjectType?
    let ref: String
    let path: String
    /// Set for a tree's file entry and for the chunks of a chunked file (then `isChunk`).
    let fileKind: EntryKind?
    let isChunk: Bool
}

/// Depth-first walk of commits, tags, trees and chunk lists from ref tips, in a deterministic
/// order. `enter` sees every reference once and says whether to read the object and go on into
/// what it references (never asked of blobs, which reference nothing).
func walkObjects(_ repo: Repository, tips: [(ref: String, id: ObjectID)],
                 enter: (WalkReference) throws -> Bool) throws {
    var seen = Set<ObjectID>()
    var stack: [WalkReference] = tips.reversed().map {
        WalkReference(id: $0.id, type: nil, ref: $0.ref, path: "", fileKind: nil, isChunk: false)
    }
    while let r = stack.popLast() {
        guard seen.insert(r.id).inserted, try enter(r) else { continue }
        if r.type == .blob || r.fileKind == .blob || r.isChunk { continue }
        let type = try r.type ?? repo.objects.type(of: r.id)
        var next: [WalkReference] = []
        switch type {
        case .blob: break
        case .commit:
            let c = try repo.objects.readCommit(r.id)
            next.append(WalkReference(id: c.tree, type: .tree, ref: r.ref, path: "", fileKind: nil, isChunk: false))
            for p in c.parents { next.append(WalkReference(id: p, type: .commit, ref: r.ref, path: "", fileKind: nil, isChunk: false)) }
        case .tag:
            let t = try repo.objects.readTag(r.id)
            next.append(WalkReference(id: t.object, type: t.type, ref: r.ref, path: "", fileKind: nil, isChunk: false))
        case .tree:
            for e in try repo.objects.readTree(r.id).entries {
                let p = SlashPath.join(r.path, e.name)
                next.append(WalkReference(id: e.id, type: e.kind.objectType, ref: r.ref, path: p,
                                          fileKind: e.kind == .tree ? nil : e.kind, isChunk: false))
            }
        case .chunked:
            for c in try repo.objects.readChunkList(r.id).chunks {
                next.append(WalkReference(id: c.id, type: .blob, ref: r.ref, path: r.path, fileKind: .chunked, isChunk: true))
            }
        }
        stack.append(contentsOf: next.reversed())
    }
}
