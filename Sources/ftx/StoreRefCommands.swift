import ArgumentParser
import Foundation
import FTXCore
import FTXStore
import FTXRegistry

struct CheckoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkout",
        abstract: "Switch the work tree to a revision, restore paths from it, or roll a deployment back.",
        discussion: reflow("""
        A branch name attaches HEAD to the branch; any other revision detaches HEAD. Uncommitted
        changes that the switch would overwrite (and untracked files in the way) make it refuse
        unless --force. Trees are validated: a crafted object can never write outside the work tree.
        A run commit records a run's outputs, not files of the project: checking one out gives the
        work tree of the commit the run was made from.

        ENV@{N} (or REV --env ENV) moves only the deployment of ENV, as `ftx deploy` does: HEAD and
        the work tree stay as they are, so no --force is needed. A revision whose gates failed is
        refused unless --force-deploy is given with --reason (recorded in the deploy reflog); --force
        is not a gate override here.

        Examples:
          ftx checkout main
          ftx checkout HEAD~2
          ftx checkout v1 -- data/train.jsonl
          ftx checkout prod@{1}
          ftx checkout prod@{1} --force-deploy --reason "C breaks invoices"
        """))
    @Flag(name: .shortAndLong, help: "Discard uncommitted changes that would be overwritten.") var force = false
    @Option(help: "Also deploy the revision's adapter to this environment (a rollback when REV is an earlier one).") var env: String?
    @Flag(help: "With ENV@{N} or --env: deploy even though the revision's gates failed (needs --reason), as `ftx deploy --force` does.") var forceDeploy = false
    @Option(help: "With ENV@{N} or --env: why; recorded in the deploy reflog (required with --force-deploy).") var reason: String?
    @Argument(help: "A revision.") var revision: String
    @Argument(parsing: .postTerminator, help: "Paths to restore (after --).") var paths: [String] = []

    func run() throws {
        let repo = try StoreCLI.repository()
        let deployFlags = forceDeploy || reason != nil
        if !paths.isEmpty {
            if deployFlags { throw ValidationError("--force-deploy and --reason apply to a deployment (ENV@{N} or --env ENV), not to restoring paths") }
            let restored = try repo.checkoutPaths(revision, paths: paths, force: force)
            StoreCLI.err("Restored \(restored.count) path(s) from \(revision)")
            return
        }
        let registry = Registry(repo: repo)
        // `ENV@{N}` (or --env ENV) moves a deployment: the registry's gate check and atomic swap of
        // .ftx/deploy/ENV/. A deployment is not a work-tree state, so HEAD and the work tree stay.
        if let deployEnv = try env ?? registry.deployEnvironment(of: revision) {
            if force {
                throw ValidationError("--force discards work-tree changes, and moving a deployment leaves the work tree alone; "
                                      + "to deploy a revision whose gates failed, give --force-deploy --reason \"why\"")
            }
            let o = try registry.deploy(revision: revision, env: deployEnv, force: forceDeploy, reason: reason, rollback: true,
                                        overrideFlag: "--force-deploy")
            StoreCLI.err("\(deployEnv): rolled back to \(o.commit.short)\(o.previous.map { " (was \($0.short))" } ?? "")"
                         + "\(o.forced ? " [forced: gates failed]" : "") (HEAD and the work tree unchanged)")
            return
        }
        if deployFlags { throw ValidationError("--force-deploy and --reason apply to a deployment (ENV@{N} or --env ENV); \(revision) is not one") }
        let s = try repo.checkout(revision, force: force)
        if let b = s.branch { StoreCLI.err("Switched to branch '\(StoreCLI.shortBranch(b)!)'") } else {
            StoreCLI.err("HEAD is now at \(s.commit.short) (detached)")
        }
    }
}

struct BranchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "branch",
        abstract: "List, create or delete branches.",
        discussion: reflow("""
        Examples:
          ftx branch                      list (* marks the current branch)
          ftx branch experiment           create at HEAD
          ftx branch fix HEAD~2           create at a revision
          ftx branch -d experiment
          ftx branch --json
        """))
    @Flag(name: .short, help: "Delete the branch.") var delete = false
    @Flag(help: "Machine-readable output.") var json = false
    @Argument(help: "Branch to create or delete.") var name: String?
    @Argument(help: "Start revision.") var start: String = "HEAD"

    func run() throws {
        let repo = try StoreCLI.repository()
        let current = try repo.refs.currentBranch()
        guard let name else {
            let branches = try repo.refs.list(prefix: "refs/heads/")
            if json {
                try JSONOutput.emit(branches.map { ["name": String($0.0.dropFirst(11)), "id": $0.1.hex, "current": $0.0 == current] as [String: Any] })
                return
            }
            for (ref, id) in branches {
                StoreCLI.out("\(ref == current ? "*" : " ") \(ref.dropFirst(11))  \(id.short)")
            }
            return
        }
        let ref = "refs/heads/\(name)"
        // Deleting takes any name a ref file may have; creating only names git would create.
        try delete ? RefStore.validate(name: ref) : RefStore.validate(shortName: name)
        if delete {
            guard ref != current else { throw StoreError.usage("cannot delete the branch '\(name)' that HEAD is on") }
            guard let id = try repo.refs.resolve(ref).id else { throw StoreError.badRevision(name, reason: "no such branch") }
            try repo.refs.delete(ref, expect: id)
            StoreCLI.out("Deleted branch \(name) (was \(id.short))")
            return
        }
        let id = try repo.resolveCommit(start)
        do {
            try repo.refs.update(ref, to: id, expect: .absent, who: .current(), reason: "branch: created from \(start)")
        } catch StoreError.casFailed {
            throw StoreError.usage("a branch named '\(name)' already exists")
        }
    }
}

struct TagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag",
        abstract: "List, create (lightweight or annotated) or delete tags.",
        discussion: reflow("""
        Examples:
          ftx tag                           list
          ftx tag v1                        lightweight tag at HEAD
          ftx tag -a v2 -m "shipped" HEAD~1 annotated tag object (tagger, date, message)
          ftx tag -d v1
        """))
    @Flag(name: .short, help: "Create an annotated tag object.") var annotate = false
    @Option(name: .short, help: "Message of an annotated tag.") var message: String?
    @Flag(name: .short, help: "Delete the tag.") var delete = false
    @Flag(help: "Machine-readable output.") var json = false
    @Argument(help: "Tag name.") var name: String?
    @Argument(help: "Revision to tag.") var revision: String = "HEAD"

    func run() throws {
        let repo = try StoreCLI.repository()
        guard let name else {
            let tags = try repo.refs.list(prefix: "refs/tags/")
            if json {
                try JSONOutput.emit(tags.map { (ref, id) -> [String: Any] in
                    let type = (try? repo.objects.type(of: id))?.rawValue ?? "missing"
                    return ["name": String(ref.dropFirst(10)), "id": id.hex, "type": type]
                })
                return
            }
            for (ref, _) in tags { StoreCLI.out(String(ref.dropFirst(10))) }
            return
        }
        let ref = "refs/tags/\(name)"
        try delete ? RefStore.validate(name: ref) : RefStore.validate(shortName: name)
        if delete {
            guard let id = try repo.refs.resolve(ref).id else { throw StoreError.badRevision(name, reason: "no such tag") }
            try repo.refs.delete(ref, expect: id)
            StoreCLI.out("Deleted tag '\(name)' (was \(id.short))")
            return
        }
        var id = try repo.resolveObject(revision)
        if annotate || message != nil {
            guard let message else { throw ValidationError("an annotated tag needs -m <message>") }
            let type = try repo.objects.type(of: id)
            id = try repo.objects.write(tag: Tag(object: id, type: type, name: name, tagger: .current(),
                                                 message: message.hasSuffix("\n") ? message : message + "\n"))
        }
        do {
            try repo.refs.update(ref, to: id, expect: .absent, who: .current(), reason: "tag: \(name)")
        } catch StoreError.casFailed {
            throw StoreError.usage("tag '\(name)' already exists")
        }
    }
}
