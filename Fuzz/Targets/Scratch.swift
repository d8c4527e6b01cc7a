import Foundation

/// A private directory for targets whose code under test reads files (adapters, suites, packs,
/// repositories): in /dev/shm when there is one (tens of thousands of writes per second), removed at exit.
enum Scratch {
    static let root: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let dir = "\(base)/ftx-fuzz-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: Scratch.root) }
        return dir
    }()

    /// `root/name` as a fresh directory (emptied first).
    static func directory(_ name: String) -> String {
        let d = root + "/" + name
        try? FileManager.default.removeItem(atPath: d)
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// Writes `data` to `path` (replacing it); the fuzzer's bytes go to disk unchanged.
    static func write(_ data: Data, to path: String) {
        guard FileManager.default.createFile(atPath: path, contents: data) else { fatalError("cannot write \(path)") }
    }

    /// Splits `data` at the first `separator`: (before, after), or (data, nil) when absent. Targets that
    /// need two files take both from one input this way (the separator is in their dictionary).
    static func split(_ data: Data, at separator: String) -> (Data, Data?) {
        guard let r = data.range(of: Data(separator.utf8)) else { return (data, nil) }
        return (data.subdata(in: data.startIndex..<r.lowerBound), data.subdata(in: r.upperBound..<data.endIndex))
    }
}
