import ArgumentParser
import Foundation
import FTXCore
import FTXRegistry
import FTXRemote
import FTXStore

/// Remotes: `remote`, `push`, `fetch`, `pull`, `clone`. Parsing and printing only (FTXRemote does the work).
enum RemoteCommands {
    static let all: [ParsableCommand.Type] = [
        RemoteCommand.self, PushCommand.self, FetchCommand.self, PullCommand.self, CloneCommand.self,
    ]

    /// `--force-with-lease` takes an optional value, which ArgumentParser cannot express: a bare
    /// flag becomes `--force-with-lease=*` (every pushed ref, each against its tracking ref).
    static func normalize(_ args: [String]) -> [String] {
        guard args.first == "push" else { return args }
        return args.map { $0 == "--force-with-lease" ? "--force-with-lease=*" : $0 }
    }

    static func refJSON(_ r: RefUpdate) -> [String: Any] {
        ["ref": r.ref, "old": r.old?.hex as Any, "new": r.new?.hex as Any, "status": r.status.rawValue, "reason": r.reason as Any]
    }

    static func reportJSON(_ r: TransferReport) -> [String: Any] {
        ["remote": r.remote, "url": r.url, "objects": r.objects, "bytes": r.bytes, "packs": r.packs,
         "promised": r.promised, "dry_run": r.dryRun, "refs": r.refs.map(refJSON)]
    }

    /// One line per ref: status, name, old → new, and why when it was refused or skipped.
    static func printRefs(_ refs: [RefUpdate]) {
        for r in refs {
            var line = "  " + r.status.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0) + " " + r.ref
            switch (r.old, r.new) {
            case (nil, let n?): line += "  -> \(n.short)"
            case (let o?, let n?) where o != n: line += "  \(o.short) -> \(n.short)"
            default: break
            }
            if let why = r.reason { line += "  (\(why))" }
            StoreCLI.out(line)
        }
    }
}

struct RemoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remote",
        abstract: "Manage remotes: S3-compatible bucket prefixes and directories to push to and fetch from.",
        discussion: reflow("""
        Remotes are kept in .ftx/config. Credentials are never stored there: S3 remotes use the
        AWS chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, then AWS_PROFILE in
        ~/.aws/credentials and ~/.aws/config). See docs/remotes.md.

        Examples:
          ftx remote add origin s3://team-bucket/extractor
          ftx remote add minio s3://ftx/extractor --endpoint http://127.0.0.1:9000
          ftx remote add share /mnt/team/extractor
          ftx remote list -v
          ftx remote set-url origin s3://other-bucket/extractor
          ftx remote remove minio
        """),
        subcommands: [RemoteAdd.self, RemoteRemove.self, RemoteList.self, RemoteSetURL.self],
        defaultSubcommand: RemoteList.self)
}

struct RemoteAdd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a remote.")
    @Argument(help: "Its name (e.g. origin).") var name: String
    @Argument(help: "s3://BUCKET/PREFIX, file:///PATH or a directory.") var url: String
    @Option(help: "S3 endpoint URL for MinIO, R2, Ceph… (default: AWS, or AWS_ENDPOINT_URL).") var endpoint: String?
    @Option(help: "S3 region (default: AWS_REGION, the profile's region, else us-east-1).") var region: String?
    @Flag(help: "Path-style addressing (endpoint/bucket/key), as MinIO needs; the default with --endpoint.") var pathStyle = false
    @Flag(help: "Virtual-hosted addressing (bucket.endpoint/key); the default on AWS.") var virtualHosted = false

    func run() throws {
        if pathStyle && virtualHosted { throw ValidationError("--path-style and --virtual-hosted exclude each other") }
        let repo = try StoreCLI.repository()
        var s = RemoteSettings(name: name, location: try RemoteLocation.parse(url))
        s.endpoint = try endpoint.map(RemoteSettings.validate(endpoint:))
        s.region = region
        s.pathStyle = pathStyle ? true : (virtualHosted ? false : nil)
        try RemoteConfig.add(repo, s)
    }
}

struct RemoteRemove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a remote and its remote-tracking refs.",
                                                    aliases: ["rm"])
    @Argument(help: "The remote's name.") var name: String
    func run() throws { try RemoteConfig.remove(try StoreCLI.repository(), name) }
}

struct RemoteSetURL: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set-url", abstract: "Change a remote's URL.")
    @Argument(help: "The remote's name.") var name: String
    @Argument(help: "s3://BUCKET/PREFIX, file:///PATH or a directory.") var url: String
    func run() throws { try RemoteConfig.setURL(try StoreCLI.repository(), name, try RemoteLocation.parse(url)) }
}

struct RemoteList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List remotes.")
    @Flag(name: .shortAndLong, help: "With URL, endpoint, region and addressing.") var verbose = false
    @Flag(help: "Machine-readable output.") var json = false

    func run() throws {
        let remotes = try RemoteConfig.list(try StoreCLI.repository())
        if json {
            try JSONOutput.emit(remotes.map { r -> [String: Any] in
                ["name": r.name, "url": r.location.url, "endpoint": r.endpoint as Any, "region": r.region as Any,
                 "path_style": r.pathStyle as Any, "lazy": r.lazy]
            })
            return
        }
        for r in remotes {
            guard verbose else { StoreCLI.out(r.name); continue }
            var extra: [String] = []
            if let e = r.endpoint { extra.append("endpoint=\(e)") }
            if let g = r.region { extra.append("region=\(g)") }
            if let p = r.pathStyle { extra.append(p ? "path-style" : "virtual-hosted") }
            if r.lazy { extra.append("lazy") }
            StoreCLI.out("\(r.name)\t\(r.location.url)" + (extra.isEmpty ? "" : "\t" + extra.joined(separator: " ")))
        }
    }
}
