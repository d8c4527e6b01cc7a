import FTXCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Replaces a whole directory atomically: the new content is written into a sibling temp directory,
/// fsynced, then swapped with the old one in a single `renameat2(RENAME_EXCHANGE)` (Linux), so a
/// reader opening files under the final path sees the complete old set or the complete new set,
/// never a mix or a half-written file. The old content (now under the temp name) is removed after
/// the swap. Where the exchange is unavailable (old kernels, other systems) the old directory is
/// renamed aside first: a reader can then briefly find no directory, but still never a half one.
public enum AtomicDirectory {
    public static func replace(_ finalPath: String, build: (String) throws -> Void) throws {
        let fm = FileManager.default
        let parent = (finalPath as NSString).deletingLastPathComponent
        let name = (finalPath as NSString).lastPathComponent
        try? fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let tmp = "\(parent)/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try fm.createDirectory(atPath: tmp, withIntermediateDirectories: false)
            try build(tmp)
            try fsyncTree(tmp)
        } catch {
            try? fm.removeItem(atPath: tmp)
            throw error
        }
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: finalPath, isDirectory: &isDir) {
            if exchange(tmp, finalPath) {
                AtomicFile.syncDirectory(parent)
                try? fm.removeItem(atPath: tmp)  // tmp now holds the old content
                return
            }
            let aside = "\(tmp).old"
            guard rename(finalPath, aside) == 0 else {
                let err = String(cString: strerror(errno))
                try? fm.removeItem(atPath: tmp)
                throw RegistryError.io("cannot move the old directory aside: \(err)", location: finalPath)
            }
            guard rename(tmp, finalPath) == 0 else {
                let err = String(cString: strerror(errno))
                _ = rename(aside, finalPath)
                try? fm.removeItem(atPath: tmp)
                throw RegistryError.io("cannot rename into place: \(err)", location: finalPath)
            }
            AtomicFile.syncDirectory(parent)
            try? fm.removeItem(atPath: aside)
        } else {
            guard rename(tmp, finalPath) == 0 else {
                let err = String(cString: strerror(errno))
                try? fm.removeItem(atPath: tmp)
                throw RegistryError.io("cannot rename into place: \(err)", location: finalPath)
            }
            AtomicFile.syncDirectory(parent)
        }
    }

    /// Writes a file inside a directory being built (plain write + fsync happens in `fsyncTree`).
    public static func writeFile(_ data: Data, to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: data) else {
            throw RegistryError.io("cannot write file", location: path)
        }
    }

    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32

    /// renameat2 looked up at run time (glibc ≥ 2.28 declares it only under _GNU_SOURCE).
    private static let renameat2Fn: RenameAt2? = {
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return nil }
        return unsafeBitCast(sym, to: RenameAt2.self)
    }()

    private static func exchange(_ a: String, _ b: String) -> Bool {
        guard let fn = renameat2Fn else { return false }
        let RENAME_EXCHANGE: UInt32 = 1 << 1
        return fn(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0
    }

    private static func fsyncTree(_ dir: String) throws {
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: dir) else { return }
        while let rel = e.nextObject() as? String {
            let p = "\(dir)/\(rel)"
            let fd = open(p, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { fsync(fd); close(fd) }
        }
        AtomicFile.syncDirectory(dir)
    }
}
