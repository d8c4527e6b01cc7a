import ArgumentParser
import Foundation
import FTXCore
import FTXStore
import FTXRegistry

/// The store's porcelain: git-shaped commands over FTXStore. Parsing and printing only.
enum StoreCommands {
    static let all: [ParsableCommand.Type] = [
        InitCommand.self, AddCommand.self, RmCommand.self, StatusCommand.self, CommitCommand.self,
        LogCommand.self, ShowCommand.self, CatFileCommand.self, CheckoutCommand.self,
        BranchCommand.self, TagCommand.self, ReflogCommand.self, FsckCommand.self, GCCommand.self,
        ReindexCommand.self,
    ]
}

/// Shared helpers for the store commands.
enum StoreCLI {
    /// The repository with the registry's `base` revision installed.
    static func repository() throws -> Repository { try Registry.discover().repo }

    static func out(_ s: String) { FileHandle.standardOutput.write(Data((s + "\n").utf8)) }
    static func err(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

    static func date(_ sig: Signature) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "EEE MMM d HH:mm:ss yyyy"
        return f.string(from: sig.date) + " " + sig.timezone
    }

    static func commitJSON(_ id: ObjectID, _ c: Commit) -> [String: Any] {
        [
            "id": id.hex, "tree": c.tree.hex, "parents": c.parents.map(\.hex),
            "author": c.author.ident, "time": c.author.time, "committer": c.committer.ident,
            "committer_time": c.committer.time, "message": c.message,
            "headers": c.extraHeaders.map { [$0.0, $0.1] },
        ]
    }

    static func shortBranch(_ ref: String?) -> String? {
        ref.map { $0.hasPrefix("refs/heads/") ? String($0.dropFirst(11)) : $0 }
    }
}

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create an empty ftx repository (.ftx/) in a directory.",
        discussion: reflow("""
        HEAD starts on an unborn branch `main`. Other ftx commands find .ftx/ by walking up
        from the current directory, as git does.

        Example:
          mkdir my-extractor && cd my-extractor && ftx init
        """))
    @Argument(help: "Directory to initialize.") var directory: String = "."

    func run() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let repo = try Repository.initialize(at: directory)
        StoreCLI.out("Initialized empty ftx repository in \(repo.ftxDirectory)/")
    }
}

struct AddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Stage files or directories for the next commit.",
        discussion: reflow("""
        Files of 1 MiB or more are split into content-defined chunks (~64 KiB), so a new version
        of a dataset stores only the chunks that changed. A directory also stages deletions of
        tracked files beneath it. Patterns in .ftxignore are skipped.

        Examples:
          ftx add data/train.jsonl configs/lora.yaml
          ftx add .
        """))
    @Argument(help: "Files or directories to stage.") var paths: [String]
    @Flag(name: .shortAndLong, help: "Print each staged and removed path.") var verbose = false

    func run() throws {
        let repo = try StoreCLI.repository()
        var reporter: ProgressReporter?
        var current = ""
        let summary = try repo.add(paths: paths) { path, done, total in
            // Only large (chunked) files report progress; one bar per file, in MiB.
            if path != current || reporter == nil {
                current = path
                reporter = ProgressReporter(label: "add \((path as NSString).lastPathComponent)", total: max(total >> 20, 1))
            }
            reporter?.update(done >> 20, done >= total ? [] : [], force: done >= total)
        }
        if verbose {
            for p in summary.staged { StoreCLI.out("add '\(p)'") }
            for p in summary.removed { StoreCLI.out("remove '\(p)'") }
            StoreCLI.out("stored \(summary.bytesStored) new bytes; chunks: \(summary.wholeChunks) whole, "
                         + "\(summary.deltaChunks) as deltas, \(summary.reusedChunks) already stored")
        }
    }
}

struct RmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove files from the index (and the work tree).",
        discussion: reflow("""
        Examples:
          ftx rm old.jsonl              unstage and delete the file
          ftx rm --cached big.bin       unstage but keep the file on disk
        """))
    @Flag(help: "Only remove from the index; keep the file.") var cached = false
    @Argument(help: "Tracked files or directories.") var paths: [String]

    func run() throws {
        let repo = try StoreCLI.repository()
        for p in try repo.remove(paths: paths, cached: cached) { StoreCLI.out("rm '\(p)'") }
    }
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show staged, unstaged and untracked changes.",
        discussion: reflow("""
        Examples:
          ftx status
          ftx status --short      a line per path: XY path (X staged, Y unstaged, ?? new)
          ftx status --json
        """))
    @Flag(name: .shortAndLong, help: "One line per path.") var short = false
    @Flag(help: "Machine-readable output.") var json = false

    func run() throws {
        let repo = try StoreCLI.repository()
        let s = try repo.status()
        let letter: [FileChange: String] = [.added: "A", .modified: "M", .deleted: "D"]
        if json {
            try JSONOutput.emit([
                "branch": StoreCLI.shortBranch(s.branch) as Any, "head": s.head?.hex as Any,
                "staged": s.staged.map { ["path": $0.path, "change": $0.change.rawValue] },
                "unstaged": s.unstaged.map { ["path": $0.path, "change": $0.change.rawValue] },
                "untracked": s.untracked, "clean": s.isClean,
            ])
            return
        }
        if short {
            var lines: [String: (String, String)] = [:]
            for (p, c) in s.staged { lines[p, default: (" ", " ")].0 = letter[c]! }
            for (p, c) in s.unstaged { lines[p, default: (" ", " ")].1 = letter[c]! }
            for p in lines.keys.sorted() { StoreCLI.out("\(lines[p]!.0)\(lines[p]!.1) \(p)") }
            for p in s.untracked { StoreCLI.out("?? \(p)") }
            return
        }
        if let b = s.branch { StoreCLI.out("On branch \(StoreCLI.shortBranch(b)!)") } else {
            StoreCLI.out("HEAD detached at \(s.head?.short ?? "?")")
        }
        if s.head == nil { StoreCLI.out("\nNo commits yet") }
        let words: [FileChange: String] = [.added: "new file:", .modified: "modified:", .deleted: "deleted: "]
        if !s.staged.isEmpty {
            StoreCLI.out("\nChanges to be committed:")
            for (p, c) in s.staged { StoreCLI.out("  \(words[c]!)   \(p)") }
        }
        if !s.unstaged.isEmpty {
            StoreCLI.out("\nChanges not staged for commit:")
            for (p, c) in s.unstaged { StoreCLI.out("  \(words[c]!)   \(p)") }
        }
        if !s.untracked.isEmpty {
            StoreCLI.out("\nUntracked files:")
            for p in s.untracked { StoreCLI.out("  \(p)") }
        }
        if s.isClean { StoreCLI.out("\nnothing to commit, working tree clean") }
    }
}

struct CommitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commit",
        abstract: "Record the staged files as a new commit.",
        discussion: reflow("""
        If another process moves the branch while this one commits, the commit is re-parented
        onto the new tip and retried; if it keeps losing it fails with "lost the race" (exit 2)
        and records nothing. Extra headers (key=value) are stored in the commit in order.

        Examples:
          ftx commit -m "train split v2"
          ftx commit -m "rank 8" --header seed=42 --header base=smollm2
        """))
    @Option(name: .shortAndLong, help: "The commit message.") var message: String
    @Option(name: .customLong("header"), help: "An extra header key=value (repeatable).") var headers: [String] = []
    @Flag(help: "Commit even when the tree equals the parent's.") var allowEmpty = false

    func run() throws {
        let repo = try StoreCLI.repository()
        var extra: [(String, String)] = []
        for h in headers {
            guard let eq = h.firstIndex(of: "=") else { throw ValidationError("--header needs key=value, got '\(h)'") }
            extra.append((String(h[..<eq]), String(h[h.index(after: eq)...])))
        }
        let id = try repo.commit(message: message, extraHeaders: extra, allowEmpty: allowEmpty)
        let branch = StoreCLI.shortBranch(try repo.refs.currentBranch()) ?? "detached HEAD"
        let summary = message.split(separator: "\n").first.map(String.init) ?? ""
        StoreCLI.out("[\(branch) \(id.short)] \(summary)")
    }
}
