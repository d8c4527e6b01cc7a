import FTXCore
import FTXStore
import Foundation

public struct CloneOptions: Sendable {
    public var name = "origin"
    public var endpoint: String?
    public var region: String?
    public var pathStyle: Bool?
    /// Bring commits, trees, configs, reports and logs; large files come when a command needs them.
    public var lazy = false
    public var checkout = true
    public var jobs = 8
    public init() {}
}

public struct CloneResult: Sendable {
    public var directory: String
    public var fetch: TransferReport
    /// The branch checked out (nil for an empty remote).
    public var branch: String?
}

extension Remote {
    /// `ftx clone URL DIR`: a new repository in DIR with the remote as `origin`, everything fetched
    /// (or, lazily, all but large files), and the remote's default branch checked out. On failure
    /// the new repository is removed again.
    public static func clone(url: String, into directory: String, options: CloneOptions, policy: TransferPolicy,
                             showProgress: Bool = true,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (Remote, CloneResult) {
        let location = try RemoteLocation.parse(url)
        let fm = FileManager.default
        let dir = URL(fileURLWithPath: directory, relativeTo: URL(fileURLWithPath: fm.currentDirectoryPath)).standardizedFileURL.path
        var isDir: ObjCBool = false
        let existed = fm.fileExists(atPath: dir, isDirectory: &isDir)
        if existed && (!isDir.boolValue || !((try? fm.contentsOfDirectory(atPath: dir)) ?? []).isEmpty) {
            throw RemoteError.usage("destination '\(directory)' already exists and is not an empty directory", location: dir, hint: "pick another directory")
        }
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        do {
            let repo = try Repository.initialize(at: dir)
            var settings = RemoteSettings(name: options.name, location: location, lazy: options.lazy)
            settings.endpoint = try options.endpoint.map(RemoteSettings.validate(endpoint:))
            settings.region = options.region
            settings.pathStyle = options.pathStyle
            try RemoteConfig.add(repo, settings)
            let remote = try Remote(repo: repo, settings: settings, policy: policy, jobs: options.jobs, environment: environment)
            remote.showProgress = showProgress
            if options.lazy { OnDemandFetch.install(on: repo, policy: policy) }
            let report = try remote.fetch()
            var result = CloneResult(directory: dir, fetch: report, branch: nil)
            let head = remote.cachedSnapshot?.head ?? "refs/heads/main"
            let branches = try repo.refs.list(prefix: "refs/remotes/\(options.name)/").filter { !$0.0.hasPrefix("refs/remotes/\(options.name)/deploy/") }
            let candidates = [head] + branches.map { "refs/heads/" + $0.0.dropFirst("refs/remotes/\(options.name)/".count) }
            for b in candidates {
                guard let t = remote.trackingRef(for: b), let id = try repo.refs.resolve(t).id else { continue }
                if options.checkout {
                    try remote.moveBranch(b, from: nil, to: id, reason: "clone: from \(location.url)")
                } else {
                    try repo.refs.update(b, to: id, expect: .absent, who: .current(), reason: "clone: from \(location.url)")
                    try repo.refs.setHEAD(.symbolic(b), who: .current(), reason: "clone")
                }
                result.branch = b
                break
            }
            return (remote, result)
        } catch {
            if existed {
                for name in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] { try? fm.removeItem(atPath: SlashPath.join(dir, name)) }
            } else {
                try? fm.removeItem(atPath: dir)
            }
            throw error
        }
    }
}
