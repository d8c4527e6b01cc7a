import FTXCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Temporary files of interrupted writes. Every file ftx writes goes to a temporary name first
/// (`.tmp-<pid>-<random>-<name>` from AtomicFile, `.tmp-pack-<pid>-<random>` for packs) and is
/// renamed into place only when complete, so a killed command never leaves a half-written file
/// under a real name — only a temporary, which `status` ignores and these functions remove.
extension Repository {
    /// True for a temporary file's name (see `AtomicFile.temporaryName`).
    static func isAtomicTemporary(_ name: String) -> Bool { AtomicFile.temporaryOwner(ofName: name) != nil }

    /// True when the process that created this temporary no longer runs (never for our own).
    static func temporaryOwnerIsGone(_ name: String) -> Bool {
        AtomicFile.temporaryOwner(ofName: name).map(LocalProcess.isGone) ?? false
    }

    /// Removes work-tree temporaries left by killed processes (a `checkout` interrupted between
    /// writing a file and renaming it). Temporaries of running processes are left alone.
    /// Returns the removed paths, relative to the work tree.
    @discardableResult
    public func removeStaleTemporaries() -> [String] {
        var removed: [String] = []
        let patterns = ignorePatterns()
        func visit(_ rel: String) {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: absolutePath(rel)) else { return }
            for n in names.sorted() {
                let r = SlashPath.join(rel, n)
                var st = stat()
                guard lstat(absolutePath(r), &st) == 0 else { continue }
                let type = st.st_mode & S_IFMT
                if type == S_IFREG, Repository.isAtomicTemporary(n), Repository.temporaryOwnerIsGone(n) {
                    if unlink(absolutePath(r)) == 0 { removed.append(r) }
                } else if type == S_IFDIR, !isIgnored(r, patterns: patterns) {
                    visit(r)
                }
            }
        }
        visit("")
        return removed
    }
}
