import CGit2
import Foundation

/// Code provenance through libgit2: the git repository enclosing a directory (found by walking up,
/// as git does), its HEAD commit, branch (nil when detached) and whether tracked files differ from
/// HEAD (untracked files, such as `.ftx/` itself, do not make the tree dirty).
public enum GitProvenance {
    private static let initOnce: Void = { _ = git_libgit2_init() }()

    /// nil when no git repository encloses `directory`, or it has no commit yet.
    public static func read(at directory: String) throws -> CodeProvenance? {
        _ = initOnce
        var repo: OpaquePointer?
        let rc = git_repository_open_ext(&repo, directory, 0, nil)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        guard rc == 0, let repo else { throw RegistryError.provenance(lastError()) }
        defer { git_repository_free(repo) }

        var head: OpaquePointer?
        let hrc = git_repository_head(&head, repo)
        if hrc == GIT_EUNBORNBRANCH.rawValue || hrc == GIT_ENOTFOUND.rawValue { return nil }
        guard hrc == 0, let head else { throw RegistryError.provenance(lastError()) }
        defer { git_reference_free(head) }

        var resolved: OpaquePointer?
        guard git_reference_resolve(&resolved, head) == 0, let resolved else { throw RegistryError.provenance(lastError()) }
        defer { git_reference_free(resolved) }
        guard let oid = git_reference_target(resolved) else { throw RegistryError.provenance("HEAD has no target") }
        var buf = [CChar](repeating: 0, count: 41)
        git_oid_tostr(&buf, 41, oid)
        let commit = String(cString: buf)

        var branch: String?
        if git_repository_head_detached(repo) == 0, git_reference_is_branch(head) != 0, let s = git_reference_shorthand(head) {
            branch = String(cString: s)
        }
        return CodeProvenance(commit: commit, branch: branch, dirty: try isDirty(repo))
    }

    private static func isDirty(_ repo: OpaquePointer) throws -> Bool {
        var opts = git_status_options()
        guard git_status_options_init(&opts, UInt32(GIT_STATUS_OPTIONS_VERSION)) == 0 else {
            throw RegistryError.provenance(lastError())
        }
        opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        opts.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
        var list: OpaquePointer?
        guard git_status_list_new(&list, repo, &opts) == 0, let list else { throw RegistryError.provenance(lastError()) }
        defer { git_status_list_free(list) }
        return git_status_list_entrycount(list) > 0
    }

    private static func lastError() -> String {
        if let e = git_error_last(), let msg = e.pointee.message { return String(cString: msg) }
        return "libgit2 error"
    }
}

/// Facts about the machine a run trained on (recorded so `reproduce` can explain a difference).
public enum HostFacts {
    public static var cpuModel: String {
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            for line in text.split(separator: "\n") where line.hasPrefix("model name") {
                if let colon = line.firstIndex(of: ":") {
                    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        #if arch(x86_64)
        return "x86_64"
        #else
        return "arm64"
        #endif
    }

    public static var threads: Int { ProcessInfo.processInfo.activeProcessorCount }
}
