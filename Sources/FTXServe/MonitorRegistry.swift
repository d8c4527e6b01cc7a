import Foundation
import FTXEval
import FTXRegistry
import FTXStore

extension Monitor {
    /// `.ftx/serve/ENV`, where `ftx serve` writes the request log of ENV.
    public static func logDirectory(_ registry: Registry, env: String) throws -> String {
        try RefStore.validate(shortName: env)
        return registry.repo.ftxDirectory + "/serve/" + env
    }

    /// Reads ENV's log over the window, labels versions from ENV's deploy reflog, and checks each
    /// version's outputs against the suite and eval report of its run commit.
    public static func report(_ registry: Registry, env: String, since: Date?, until: Date?) throws -> MonitorReport {
        let log = try MonitorLog.read(directory: try logDirectory(registry, env: env), since: since, until: until)
        let history = try registry.deployHistory(env: env).map {
            Event(adapter: $0.new.hex, time: $0.time, who: $0.who, message: $0.message)
        }
        return summarize(log, env: env, since: since, until: until, history: history) { adapter, lines in
            quality(registry, adapter: adapter, lines: lines)
        }
    }

    /// The run's own suite (the file its report names, as it is now in the work tree) and report.
    static func quality(_ registry: Registry, adapter: String, lines: [RequestLogLine]) -> Quality {
        guard (7...64).contains(adapter.count), adapter.allSatisfy(\.isHexDigit) else {
            return .none("'\(adapter.prefix(80))' is not a commit id")
        }
        let report: EvalReport
        do {
            let c = try registry.commit(adapter)
            guard let data = try registry.file("eval/report.json", in: c.commit) else {
                return .none("\(c.id.short) has no eval report to compare with")
            }
            report = try EvalReport.decode(data, file: "\(c.id.short):eval/report.json")
        } catch {
            return .none("cannot read the eval report of \(adapter.prefix(12)): \(error)")
        }
        let suite: EvalSuite, changed: Bool
        do {
            let recorded = try registry.recordedSuite(of: adapter)
            suite = try SuiteLoader.load(path: recorded.path)
            changed = recorded.changed
        } catch {
            return .none("cannot load the suite of \(adapter.prefix(12)): \(error)")
        }
        var q = MonitorQuality.check(lines, suiteName: "\(suite.name) (\(suite.path))", assertions: suite.assertions, report: report)
        if changed { q.notes.append("the suite file changed since the run was evaluated; assertions are matched by their text") }
        return .report(q)
    }
}
