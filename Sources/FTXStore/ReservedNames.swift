import Foundation

/// `.ftx` (the store) and `.git` (the repository a work tree often sits in) may never be named by
/// a tree, at any depth: checking one out would write into the store or plant git hooks and
/// config (core.fsmonitor runs a command on the next `git status`). A filesystem may take other
/// spellings for these names, so they are refused too, as git refuses them (verify_path,
/// is_ntfs_dotgit, is_hfs_dotgit):
/// - any case (case-insensitive filesystems: APFS, HFS+, NTFS);
/// - the code points HFS+ ignores when comparing names (zero-width joiners, direction marks);
/// - Unicode compatibility forms (NFKC: a fullwidth `．ｇｉｔ` reads as `.git` once normalised);
/// - NTFS: trailing dots and spaces, an alternate data stream (`.git::$INDEX_ALLOCATION`), a
///   backslash (a directory separator there), and the 8.3 short names `GIT~1`…`GIT~4`.
enum ReservedName {
    static let names = ["git", "ftx"]

    /// The reserved name (`.git` or `.ftx`) a filesystem may take `name` for, or nil.
    static func aliased(by name: String) -> String? {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: name.unicodeScalars.filter { !isHFSIgnorable($0) })
        var folded = String(scalars)
        if !folded.utf8.allSatisfy({ $0 < 0x80 }) { folded = folded.precomposedStringWithCompatibilityMapping }
        var bytes = Array(folded.lowercased().utf8)
        if let end = bytes.firstIndex(where: { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "\\") }) {
            bytes.removeSubrange(end...)
        }
        while let last = bytes.last, last == UInt8(ascii: ".") || last == UInt8(ascii: " ") { bytes.removeLast() }
        for n in names {
            let base = Array(n.utf8)
            if bytes == [UInt8(ascii: ".")] + base { return "." + n }
            // 8.3 short names: the first four names sharing a prefix get ~1…~4, later ones a hash.
            if bytes.count == base.count + 2, bytes.starts(with: base), bytes[base.count] == UInt8(ascii: "~"),
               (UInt8(ascii: "1")...UInt8(ascii: "4")).contains(bytes[base.count + 1]) {
                return "." + n
            }
        }
        return nil
    }

    /// The code points HFS+ drops when it compares file names (git's list in utf8.c).
    static func isHFSIgnorable(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x200C...0x200F, 0x202A...0x202E, 0x206A...0x206F, 0xFEFF: return true
        default: return false
        }
    }
}
