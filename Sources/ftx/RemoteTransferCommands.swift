import ArgumentParser
import Foundation
import FTXCore
import FTXRegistry
import FTXRemote
import FTXStore

struct PushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Send branches, tags and deploy refs (and what they reach) to a remote.",
        discussion: reflow("""
        Only what the remote lacks travels: small objects in packs, large files as their new
        chunks (deltas against the chunks the remote has). Objects go first and refs last, each
        ref by compare-and-swap: when someone else moved a branch since your last fetch, your push
        of it is rejected (exit 1) and nothing is lost; run `ftx pull` and push again. Base model
        records always travel, their bytes only with --with-bases.

        Examples:
          ftx push                          the current branch to origin
          ftx push origin main v1.0 refs/deploy/prod
          ftx push --tags
          ftx push --dry-run --json
          ftx push --force-with-lease       overwrite if the remote has what you fetched
          ftx push --force-with-lease=prod:3fa2c1d9e0b1
        """))
    @Argument(help: "The remote (default origin), then branches, tags or deploy refs (default: the current branch).")
    var names: [String] = []
    @Flag(help: "Also push every tag.") var tags = false
    @Flag(help: "Also push every branch.") var all = false
    @Flag(help: "Also send base model bytes (their records always travel).") var withBases = false
    @Option(name: .customLong("force-with-lease"),
            help: ArgumentHelp("Overwrite non-fast-forwards if the remote ref is still what you expect.", valueName: "REF[:ID]"))
    var leases: [String] = []
    @Flag(help: "Show what would be sent, send nothing.") var dryRun = false
    @Flag(help: "Machine-readable output.") var json = false
    @Option(help: "Parallel connections.") var jobs = 8

    func run() throws {
        let registry = try Registry.discover()
        var refs = names
        var remoteName: String? = nil
        if let first = refs.first, (try RemoteConfig.list(registry.repo)).contains(where: { $0.name == first }) {
            remoteName = first
            refs.removeFirst()
        }
        let remote = try registry.remote(remoteName, jobs: jobs)
        var o = PushOptions()
        o.refs = refs
        o.tags = tags
        o.all = all
        o.withBases = withBases
        o.dryRun = dryRun
        o.leases = leases.map { l -> PushOptions.Lease in
            if l == "*" { return PushOptions.Lease(ref: nil, expected: nil) }
            guard let colon = l.firstIndex(of: ":") else { return PushOptions.Lease(ref: l, expected: nil) }
            return PushOptions.Lease(ref: String(l[..<colon]), expected: String(l[l.index(after: colon)...]))
        }
        let r = try remote.push(o)
        if json {
            try JSONOutput.emit(RemoteCommands.reportJSON(r))
        } else {
            StoreCLI.out("\(dryRun ? "would push" : "pushed") to \(r.remote) (\(r.url)): \(r.objects) objects in \(r.packs) pack(s), "
                         + ProgressReporter.formatBytes(r.bytes))
            RemoteCommands.printRefs(r.refs)
            if r.hasRejections { StoreCLI.err("hint: a rejected ref moved on the remote; `ftx pull \(r.remote)` brings it here, then push again") }
        }
        if r.hasRejections { throw ExitCode(1) }
    }
}

struct FetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Bring a remote's objects and refs here (remote-tracking refs refs/remotes/NAME/…).",
        discussion: reflow("""
        Every object is verified by its hash before it enters the store; a killed fetch leaves no
        unverified object. Afterwards `ftx log origin/main`, `ftx diff origin/main HEAD` and
        `ftx runs` see the remote's runs. In a lazy clone, large files stay on the remote until a
        command needs them; --blobs REV prefetches those of one commit.

        Examples:
          ftx fetch
          ftx fetch origin --json
          ftx fetch --blobs origin/main
        """))
    @Argument(help: "The remote (default origin).") var remoteName: String?
    @Option(help: "Prefetch the large files of this commit (lazy clones).") var blobs: String?
    @Flag(help: "Machine-readable output.") var json = false
    @Option(help: "Parallel connections.") var jobs = 8

    func run() throws {
        let registry = try Registry.discover()
        let remote = try registry.remote(remoteName, jobs: jobs)
        let r: TransferReport
        if let rev = blobs {
            r = try remote.fetchFiles(of: try registry.repo.resolveCommit(rev))
        } else {
            r = try registry.fetch(remote)
        }
        if json { return try JSONOutput.emit(RemoteCommands.reportJSON(r)) }
        StoreCLI.out("fetched \(r.objects) objects (\(ProgressReporter.formatBytes(r.bytes))) from \(r.remote) (\(r.url))"
                     + (r.promised > 0 ? "; \(r.promised) large file(s) left on the remote until needed" : ""))
        RemoteCommands.printRefs(r.refs.filter { $0.status != .upToDate })
    }
}

struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Fetch, then bring the current branch up to the remote's (replaying your commits on top).",
        discussion: reflow("""
        A branch that is behind moves forward. When both sides have new commits, yours are
        replayed onto the fetched branch: run commits always (they are records), project commits
        when the paths they change were not changed on the remote. Otherwise pull stops before
        touching anything and names the paths changed on both sides: file contents are never
        merged.

        Examples:
          ftx pull
          ftx pull origin --json
        """))
    @Argument(help: "The remote (default origin).") var remoteName: String?
    @Flag(help: "Machine-readable output.") var json = false
    @Option(help: "Parallel connections.") var jobs = 8

    func run() throws {
        let registry = try Registry.discover()
        let r = try registry.pull(try registry.remote(remoteName, jobs: jobs))
        let branch = StoreCLI.shortBranch(r.branch) ?? r.branch
        if json {
            return try JSONOutput.emit(["branch": branch, "outcome": r.outcome.rawValue, "old": r.old?.hex as Any,
                                       "new": r.new?.hex as Any, "replayed": r.replayed, "fetch": RemoteCommands.reportJSON(r.fetch)])
        }
        switch r.outcome {
        case .upToDate: StoreCLI.out("Already up to date.")
        case .ahead: StoreCLI.out("\(branch) is ahead of \(r.fetch.remote)/\(branch); nothing to pull (push it with `ftx push`)")
        case .fastForward, .created: StoreCLI.out("Fast-forward \(branch): \(r.old?.short ?? "none") -> \(r.new?.short ?? "")")
        case .replayed: StoreCLI.out("Replayed \(r.replayed) commit(s) of \(branch) onto \(r.fetch.remote)/\(branch): now \(r.new?.short ?? "")")
        }
    }
}

struct CloneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clone",
        abstract: "Copy a remote into a new directory (the remote becomes origin).",
        discussion: reflow("""
        With --lazy, commits, trees, configs, reports and logs come now; datasets, adapters and
        base models come when checkout, eval, train, export or deploy first needs them (or with
        `ftx fetch --blobs REV`). Base model bytes travel only if they were pushed with
        --with-bases; otherwise `ftx base list` shows where each came from.

        Examples:
          ftx clone s3://team-bucket/extractor
          ftx clone s3://ftx/extractor my-copy --endpoint http://127.0.0.1:9000 --lazy
          ftx clone /mnt/team/extractor
        """))
    @Argument(help: "s3://BUCKET/PREFIX, file:///PATH or a directory.") var url: String
    @Argument(help: "The new directory (default: the last part of the URL).") var directory: String?
    @Flag(help: "Leave large files on the remote until needed.") var lazy = false
    @Flag(help: "Create the repository and fetch, but write no files.") var noCheckout = false
    @Option(help: "S3 endpoint URL (MinIO, R2, Ceph…).") var endpoint: String?
    @Option(help: "S3 region.") var region: String?
    @Flag(help: "Path-style addressing (the default with --endpoint).") var pathStyle = false
    @Flag(help: "Virtual-hosted addressing (the default on AWS).") var virtualHosted = false
    @Option(help: "Name of the remote in the new repository.") var origin = "origin"
    @Flag(help: "Machine-readable output.") var json = false
    @Option(help: "Parallel connections.") var jobs = 8

    func run() throws {
        if pathStyle && virtualHosted { throw ValidationError("--path-style and --virtual-hosted exclude each other") }
        var o = CloneOptions()
        o.name = origin
        o.endpoint = endpoint
        o.region = region
        o.pathStyle = pathStyle ? true : (virtualHosted ? false : nil)
        o.lazy = lazy
        o.checkout = !noCheckout
        o.jobs = jobs
        let dir = directory ?? url.split(separator: "/").last.map(String.init) ?? "clone"
        let (_, r) = try Registry.clone(url: url, into: dir, options: o)
        if json {
            return try JSONOutput.emit(["directory": r.directory, "branch": StoreCLI.shortBranch(r.branch) as Any,
                                       "fetch": RemoteCommands.reportJSON(r.fetch)])
        }
        StoreCLI.out("Cloned \(r.fetch.url) into \(r.directory): \(r.fetch.objects) objects, \(ProgressReporter.formatBytes(r.fetch.bytes))"
                     + (r.branch.map { "; on branch \(StoreCLI.shortBranch($0)!)" } ?? "; the remote has no branches yet"))
        if r.fetch.promised > 0 { StoreCLI.out("\(r.fetch.promised) large file(s) stay on \(origin) until a command needs them") }
    }
}
