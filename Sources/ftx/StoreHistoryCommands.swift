import ArgumentParser
import Foundation
import FTXCore
import FTXStore
import FTXRegistry

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Show commit history, newest first.",
        discussion: reflow("""
        Examples:
          ftx log
          ftx log --oneline -n 5
          ftx log main~3 --json
        """))
    @Argument(help: "Where to start.") var revision: String = "HEAD"
    @Option(name: .short, help: "Show at most N commits.") var n: Int?
    @Flag(help: "One line per commit: short id and summary.") var oneline = false
    @Flag(help: "Headline metrics and gate status per commit (from the run index).") var metrics = false
    @Flag(help: "Machine-readable output.") var json = false

    func run() throws {
        let repo = try StoreCLI.repository()
        if metrics {
            let registry = Registry(repo: repo)
            if json { try JSONOutput.emit(try registry.logWithMetrics(from: revision, limit: n).map(RunTable.json)); return }
            return RunOutput.write(try registry.logListing(from: revision, limit: n).logText())
        }
        if revision == "HEAD", try repo.headCommit() == nil {
            if json { try JSONOutput.emit([Any]()); return }
            throw StoreError.badRevision("HEAD", reason: "the current branch has no commits yet")
        }
        let start = try repo.resolveCommit(revision)
        let commits = try repo.history(from: start, limit: n)
        if json { try JSONOutput.emit(commits.map { StoreCLI.commitJSON($0.id, $0.commit) }); return }
        let deco = try repo.decorations()
        for (i, (id, c)) in commits.enumerated() {
            let d = deco[id].map { " (\($0.joined(separator: ", ")))" } ?? ""
            if oneline { StoreCLI.out("\(id.short)\(d) \(c.summary)"); continue }
            if i > 0 { StoreCLI.out("") }
            StoreCLI.out("commit \(id.hex)\(d)")
            if c.parents.count > 1 { StoreCLI.out("Merge: \(c.parents.map(\.short).joined(separator: " "))") }
            StoreCLI.out("Author: \(c.author.ident)")
            StoreCLI.out("Date:   \(StoreCLI.date(c.author))")
            StoreCLI.out("")
            for line in c.message.split(separator: "\n", omittingEmptySubsequences: false).dropLast(c.message.hasSuffix("\n") ? 1 : 0) {
                StoreCLI.out("    \(line)")
            }
        }
    }
}

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a commit (headers, message, changed paths), tag, tree or file.",
        discussion: reflow("""
        Examples:
          ftx show                 HEAD: all headers (extra ones too) and changed files
                                   (a run commit: the files the run recorded, then its lineage)
          ftx show v1              an annotated tag, then its commit
          ftx show HEAD~1 --json
          ftx show HEAD~1:config.yaml   a file as it was (REV:path; REV: = root tree)
          ftx show v1:data              a directory listing
        """))
    @Argument(help: "A revision.") var revision: String = "HEAD"
    @Flag(help: "Machine-readable output.") var json = false

    func run() throws {
        let repo = try StoreCLI.repository()
        var id = try repo.resolveObject(revision)
        var (type, content) = try repo.objects.read(id)
        if type == .tag {
            let tag = try Tag.parse(content, id: id.hex)
            if !json {
                StoreCLI.out("tag \(tag.name)\nTagger: \(tag.tagger.ident)\nDate:   \(StoreCLI.date(tag.tagger))\n\n\(tag.message)")
            }
            id = tag.object
            (type, content) = try repo.objects.read(id)
        }
        switch type {
        case .commit:
            let c = try Commit.parse(content, id: id.hex)
            // A run commit records its own tree (DESIGN §5): show that, not changes against the parent.
            let lineage: RunLineage? = c.isRecord ? (try? Registry(repo: repo).lineage(id.hex)) : nil
            var changes: [(path: String, change: FileChange)] = []
            if lineage == nil { changes = try repo.diffTrees(c.parents.first.map { try repo.objects.readCommit($0).tree }, c.tree) }
            if json {
                var j = StoreCLI.commitJSON(id, c)
                if let lineage { j["recorded"] = lineage.json["recorded"] } else { j["changes"] = changes.map { ["path": $0.path, "change": $0.change.rawValue] } }
                try JSONOutput.emit(j)
                return
            }
            StoreCLI.out("commit \(id.hex)")
            StoreCLI.out("tree   \(c.tree.hex)")
            for p in c.parents { StoreCLI.out("parent \(p.hex)") }
            StoreCLI.out("Author: \(c.author.ident)")
            StoreCLI.out("Date:   \(StoreCLI.date(c.author))")
            for (k, v) in c.extraHeaders { StoreCLI.out("\(k): \(v.replacingOccurrences(of: "\n", with: "\n    "))") }
            StoreCLI.out("")
            for line in c.message.split(separator: "\n", omittingEmptySubsequences: false).dropLast(c.message.hasSuffix("\n") ? 1 : 0) {
                StoreCLI.out("    \(line)")
            }
            let mark: [FileChange: String] = [.added: "A", .modified: "M", .deleted: "D"]
            for ch in changes { StoreCLI.out("\(mark[ch.change]!)\t\(ch.path)") }
            if let lineage {
                StoreCLI.out("")
                StoreCLI.out(lineage.recordedText)
                StoreCLI.out(lineage.text)
            }
        case .tree:
            let t = try Tree.parse(content, id: id.hex)
            if json { try JSONOutput.emit(t.entries.map { ["name": $0.name, "kind": $0.kind.rawValue, "id": $0.id.hex] }); return }
            for e in t.entries { StoreCLI.out("\(e.kind.rawValue) \(e.id.hex)\t\(e.name)\(e.kind == .tree ? "/" : "")") }
        case .blob, .chunked:
            try repo.objects.streamFile(kind: type == .blob ? .blob : .chunked, id: id) { FileHandle.standardOutput.write($0) }
        case .tag:
            FileHandle.standardOutput.write(content)
        }
    }
}

struct CatFileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat-file",
        abstract: "Print an object's type, size or content.",
        discussion: reflow("""
        Examples:
          ftx cat-file -t HEAD                     commit
          ftx cat-file -s 3fa9c1                   content size in bytes
          ftx cat-file -p HEAD:                    the root tree of HEAD
          ftx cat-file -p HEAD~1:data/train.jsonl  a file as it was one commit ago
        A large file's object (type `chunked`) prints as the file: -s is its size, -p its bytes.
        """))
    @Flag(name: .customShort("t"), help: "Print the type.") var type = false
    @Flag(name: .customShort("s"), help: "Print the content size.") var size = false
    @Flag(name: .customShort("p"), help: "Pretty-print the content.") var pretty = false
    @Argument(help: "A revision, object id, or REV:path.") var revision: String

    func validate() throws {
        if [type, size, pretty].filter({ $0 }).count != 1 { throw ValidationError("give exactly one of -t, -s, -p") }
    }

    func run() throws {
        let repo = try StoreCLI.repository()
        let id = try repo.resolveObject(revision)
        let (t, content) = try repo.objects.read(id)
        if type { StoreCLI.out(t.rawValue); return }
        // A chunk list stands for its file (as a blob does): its size and bytes are the file's.
        if size { StoreCLI.out(String(t == .chunked ? try ChunkList.parse(content, id: id.hex).totalSize : content.count)); return }
        if t == .chunked {
            try repo.objects.streamFile(kind: .chunked, id: id) { FileHandle.standardOutput.write($0) }
        } else if t == .tree {
            for e in try Tree.parse(content, id: id.hex).entries { StoreCLI.out("\(e.kind.rawValue) \(e.id.hex)\t\(e.name)") }
        } else {
            FileHandle.standardOutput.write(content)
        }
    }
}

struct ReflogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reflog",
        abstract: "Show the history of a ref's values (newest first).",
        discussion: reflow("""
        Entry N is what `<ref>@{N}` means in any revision.

        Examples:
          ftx reflog                 HEAD's history
          ftx reflog main
          ftx reflog prod --json     a deploy env's history
        """))
    @Argument(help: "A ref: HEAD, a branch, tag or deploy env.") var ref: String = "HEAD"
    @Option(name: .short, help: "Show at most N entries.") var n: Int?
    @Flag(help: "Machine-readable output.") var json = false

    func run() throws {
        let repo = try StoreCLI.repository()
        guard let full = try repo.refName(for: ref) else { throw StoreError.badRevision(ref, reason: "no such ref") }
        var entries = Array(try repo.refs.reflog(full).enumerated().reversed())
        if let n { entries = Array(entries.prefix(n)) }
        let total = try repo.refs.reflog(full).count
        if json {
            try JSONOutput.emit(entries.map { (i, e) in
                ["index": total - 1 - i, "old": e.old.hex, "new": e.new.hex, "who": e.who.ident, "time": e.who.time, "message": e.message] as [String: Any]
            })
            return
        }
        for (i, e) in entries { StoreCLI.out("\(e.new.short) \(ref)@{\(total - 1 - i)}: \(e.message)") }
    }
}
