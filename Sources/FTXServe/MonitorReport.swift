import Foundation

/// What `ftx monitor` reports: one environment's request log over a window, per adapter version,
/// in deploy order (docs/monitor.md).
public struct MonitorReport: Codable, Sendable {
    public var env: String
    /// The window, ISO 8601 UTC; nil = open.
    public var since: String?
    public var until: String?
    public var files: Int
    /// Torn last lines (kill -9 mid-write) and other skipped lines (the first few named file:line).
    public var torn: Int
    public var skipped: Int
    public var problems: [String]
    /// Adapter versions: those in the deploy reflog in the order they were last deployed (the
    /// current one last; earlier ones only if they served requests in the window), then any other
    /// adapter the log names (run ids requested directly).
    public var versions: [MonitorVersion]
    /// The adapter `refs/deploy/ENV` names now (nil if ENV was never deployed).
    public var current: String?

    public var requests: Int { versions.reduce(0) { $0 + $1.traffic.volume } }
    /// The current version's figures (empty when it served nothing in the window).
    public var currentVersion: MonitorVersion? { versions.first { $0.current } }
}

/// One adapter version's traffic and output quality.
public struct MonitorVersion: Codable, Sendable {
    /// The commit id of the adapter that answered; "-" for requests no adapter answered (base
    /// model alone, unknown model).
    public var adapter: String
    /// The reflog entries that moved ENV to this adapter, oldest first (empty if never deployed).
    public var deploys: [DeployMark]
    public var current: Bool
    public var traffic: TrafficSummary
    /// nil when the adapter has no eval report and suite to compare with (see `qualityNote`).
    public var quality: QualityReport?
    public var qualityNote: String?
    /// First and last request in the window.
    public var firstRequest: String?
    public var lastRequest: String?

    enum CodingKeys: String, CodingKey {
        case adapter, deploys, current, traffic, quality, qualityNote = "quality_note"
        case firstRequest = "first_request", lastRequest = "last_request"
    }
}

/// A deploy or rollback of the environment, from its reflog.
public struct DeployMark: Codable, Equatable, Sendable {
    /// `ENV@{N}` at the time of reading.
    public var rev: String
    public var time: String
    public var who: String
    public var message: String
}

public enum Monitor {
    /// One deploy reflog entry, as `Registry.deployHistory(env:)` gives it (newest first).
    public struct Event: Sendable {
        public var adapter: String
        public var time: Int64
        public var who: String
        public var message: String
        public init(adapter: String, time: Int64, who: String, message: String) {
            self.adapter = adapter; self.time = time; self.who = who; self.message = message
        }
    }

    /// What `quality` returns for one adapter's lines: a report, or why there is none.
    public enum Quality { case report(QualityReport), none(String) }

    /// Groups `log`'s lines by adapter and orders the groups by `history` (newest first, as the
    /// reflog reads). A logged adapter id matches a reflog commit by equality or as a prefix of
    /// at least 7 hex digits.
    public static func summarize(_ log: MonitorLog, env: String, since: Date?, until: Date?, history: [Event],
                                 quality: (String, [RequestLogLine]) -> Quality) -> MonitorReport {
        let current = history.first?.adapter
        func canonical(_ logged: String?) -> String {
            guard let a = logged, !a.isEmpty else { return "-" }
            if let e = history.first(where: { $0.adapter == a || (a.count >= 7 && $0.adapter.hasPrefix(a)) }) { return e.adapter }
            return a
        }
        var groups: [String: [RequestLogLine]] = [:]
        for line in log.lines { groups[canonical(line.adapter), default: []].append(line) }

        // Deploy order: each adapter at its latest reflog entry, oldest first.
        var marks: [String: [DeployMark]] = [:], lastIndex: [String: Int] = [:]
        for (i, e) in history.enumerated().reversed() {
            marks[e.adapter, default: []].append(DeployMark(rev: "\(env)@{\(i)}", time: LogTime.format(Date(timeIntervalSince1970: TimeInterval(e.time))),
                                                            who: e.who, message: e.message))
            lastIndex[e.adapter] = i
        }
        // Versions of the reflog that served nothing in the window are left out, except the current one.
        let deployed = lastIndex.sorted { $0.value > $1.value }.map(\.key).filter { groups[$0] != nil || $0 == current }
        let others = groups.keys.filter { lastIndex[$0] == nil }.sorted()

        let versions = (deployed + others).map { adapter -> MonitorVersion in
            let lines = groups[adapter] ?? []
            var v = MonitorVersion(adapter: adapter, deploys: marks[adapter] ?? [], current: adapter == current,
                                   traffic: TrafficSummary(lines), quality: nil, qualityNote: nil,
                                   firstRequest: lines.map(\.time).min(), lastRequest: lines.map(\.time).max())
            if lines.isEmpty {
                v.qualityNote = "no requests in the window"
            } else if adapter == "-" {
                v.qualityNote = "no adapter answered these requests"
            } else {
                switch quality(adapter, lines) {
                case .report(let q): v.quality = q
                case .none(let why): v.qualityNote = why
                }
            }
            return v
        }
        return MonitorReport(env: env, since: since.map(LogTime.format), until: until.map(LogTime.format),
                             files: log.files.count, torn: log.torn, skipped: log.skipped, problems: log.problems,
                             versions: versions, current: current)
    }
}
