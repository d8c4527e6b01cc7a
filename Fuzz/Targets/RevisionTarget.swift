import Foundation
import FTXStore

/// Revision syntax (`show`, `checkout`, `diff`, `log` arguments) and ref-name validation, against a
/// small repository made once: three commits on main then a merge of `side`, an annotated tag
/// v1, a lightweight tag, a deploy env `prod`, a directory, and a staged file.
enum RevisionTarget {
    static let target = FuzzTarget(name: "revision", run: run)

    static let repository: Repository = {
        do {
            let dir = Scratch.directory("revision")
            let repo = try Repository.initialize(at: dir)
            let who = Signature(ident: "Fuzz <fuzz@example.com>", time: 1_700_000_000)
            func commit(_ files: [String: String], _ message: String) throws -> ObjectID {
                for (path, text) in files {
                    let full = dir + "/" + path
                    try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                            withIntermediateDirectories: true)
                    Scratch.write(Data(text.utf8), to: full)
                }
                try repo.add(paths: Array(files.keys), cwd: dir)
                return try repo.commit(message: message, author: who)
            }
            let one = try commit(["a.txt": "one\n"], "one")
            let two = try commit(["d/x.txt": "x\n", "d/e/y.txt": "y\n"], "two")
            let three = try commit(["a.txt": "three\n"], "three")
            let merge = try repo.objects.write(commit: Commit(
                tree: try repo.objects.readCommit(three).tree, parents: [three, two], author: who, message: "merge side\n"))
            try repo.refs.update("refs/heads/main", to: merge, expect: .value(three), who: who, reason: "merge")
            try repo.refs.update("refs/heads/side", to: two, expect: .absent, who: who, reason: "branch")
            let tag = try repo.objects.write(tag: Tag(object: two, type: .commit, name: "v1", tagger: who, message: "v1\n"))
            try repo.refs.update("refs/tags/v1", to: tag, expect: .absent, who: who, reason: "tag")
            try repo.refs.update("refs/tags/light", to: one, expect: .absent, who: who, reason: "tag")
            try repo.refs.update("refs/deploy/prod", to: one, expect: .absent, who: who, reason: "deploy")
            Scratch.write(Data("staged\n".utf8), to: dir + "/new.txt")
            try repo.add(paths: ["new.txt"], cwd: dir)
            return repo
        } catch {
            fatalError("revision target: cannot make its repository: \(error)")
        }
    }()

    static func run(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        if let target = attempt({ try repository.resolveRevision(text) }), case .object(let id) = target {
            _ = try? repository.objects.read(id)
        }
        _ = try? RefStore.validate(name: text)
        _ = try? RefStore.validate(shortName: text)
    }
}
