import FTXCore
import FTXRemote
import FTXStore
import Foundation

/// The registry's side of remotes: what travels how (base model bytes stay home unless asked for;
/// datasets, adapters and base models are the large data a lazy clone leaves behind), and the run
/// index learning fetched runs.
extension Registry {
    /// Base records (`refs/bases/*`) always travel; their model file only with `--with-bases`.
    /// Lazy clones bring everything but chunked files outside reports, logs and configs.
    public static let transferPolicy = TransferPolicy(
        companionPrefixes: [BaseRegistry.refPrefix],
        excluded: { ref, path in
            guard ref.hasPrefix(BaseRegistry.refPrefix), isBaseModelFile(path) else { return nil }
            return "base model file \(path) of \(ref) (pushed only with --with-bases; add it with `ftx base add FILE`)"
        },
        deferrable: { ref, path, kind in
            if ref.hasPrefix(BaseRegistry.refPrefix) { return isBaseModelFile(path) }
            return kind == .chunked && path != "config.yaml" && !path.hasPrefix("eval/") && !path.hasPrefix("train/")
        })

    /// A base record's tree holds the model file, `link.json` (linked bases) and `eval/` reports.
    static func isBaseModelFile(_ path: String) -> Bool { path != "link.json" && !path.hasPrefix("eval/") }

    public func remote(_ name: String? = nil, jobs: Int = 8) throws -> Remote {
        try Remote(repo: repo, name: name ?? RemoteConfig.defaultName(repo), policy: Self.transferPolicy, jobs: jobs)
    }

    /// `ftx fetch`: the remote's objects and refs, then the run index learns the fetched runs.
    public func fetch(_ remote: Remote, options: FetchOptions = FetchOptions()) throws -> TransferReport {
        let report = try remote.fetch(options)
        try syncRunIndex(openRunIndex())
        return report
    }

    public func pull(_ remote: Remote) throws -> PullResult {
        let result = try remote.pull()
        try syncRunIndex(openRunIndex())
        return result
    }

    /// `ftx clone`: the new repository, its remote and what was fetched; the run index is built.
    public static func clone(url: String, into directory: String, options: CloneOptions,
                             showProgress: Bool = true) throws -> (Registry, CloneResult) {
        let (remote, result) = try Remote.clone(url: url, into: directory, options: options, policy: transferPolicy,
                                                showProgress: showProgress)
        let registry = Registry(repo: remote.repo)
        try registry.syncRunIndex(registry.openRunIndex())
        return (registry, result)
    }
}
