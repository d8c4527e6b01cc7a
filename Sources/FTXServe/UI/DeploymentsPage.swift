import Foundation
import FTXRegistry

/// `deployments.html`: per environment, its deploy reflog as a timeline (newest first: who, when,
/// which run, reason, forced, rollbacks marked), as `ftx deploy --history` reads it; and where
/// `ftx serve` has logged requests for it, `ftx monitor`'s summary per adapter version (the same
/// report and HTML fragment as `ftx monitor --html`, over the whole log).
extension UISite {
    func deploymentsPage(_ r: UIRequest) throws -> UIResponse {
        let e = UIPage.esc
        let depth = 0
        let deployments = try registry.deployments()
        var h = "<h1>Deployments</h1>\n"
        if deployments.isEmpty { h += "<p>No environment has been deployed yet (<code>ftx deploy REV --env ENV</code>).</p>\n" }
        if deployments.count > 1 {
            h += "<nav aria-label=\"Environments\"><ul>" + deployments.map { "<li><a href=\"#env-\(e($0.env))\">\(e($0.env))</a></li>" }.joined() + "</ul></nav>\n"
        }
        for d in deployments {
            h += "<section aria-labelledby=\"env-\(e(d.env))\"><h2 id=\"env-\(e(d.env))\">\(e(d.env))</h2>\n"
            h += "<p>Now: \(Self.runLink(d.commit.short, depth: depth)) \(e(d.summary)) <span class=\"badge\">gates \(e(d.gateStatus.rawValue))</span></p>\n"
            h += deployTimelineHTML(d, depth: depth)
            h += try monitorHTML(env: d.env)
            h += "</section>\n"
        }
        return .html(UIPage.document(title: "Deployments", depth: depth, active: .deployments, body: h))
    }

    func deployTimelineHTML(_ d: Registry.Deployment, depth: Int) -> String {
        let e = UIPage.esc
        var h = "<table class=\"timeline\"><caption>Deploy history of \(e(d.env)), newest first</caption><tr>"
        h += ["revision", "when (UTC)", "who", "run", "action", "forced", "reason", "message"].map { "<th scope=\"col\">\($0)</th>" }.joined()
        h += "</tr>\n"
        for (i, ev) in d.history.enumerated() {
            let action = ev.isRollback ? "<strong class=\"worse\">rollback</strong>" : "deploy"
            h += "<tr\(ev.isRollback ? " class=\"rollback\"" : "")><td><code>\(e(d.env))@{\(i)}</code>\(i == 0 ? " <span class=\"badge\">current</span>" : "")</td>"
            h += "<td>\(RunTable.day(ev.time))</td><td>\(e(ev.who))</td><td>\(Self.runLink(ev.new.short, depth: depth))</td>"
            h += "<td>\(action)</td><td>\(ev.forced ? "<strong class=\"bad\">forced</strong> (gates failed)" : "no")</td>"
            h += "<td>\(e(ev.reason ?? "—"))</td><td>\(e(ev.message))</td></tr>\n"
        }
        return h + "</table>\n"
    }

    /// `ftx monitor`'s report for `env` over its whole request log, when there is one.
    func monitorHTML(env: String) throws -> String {
        let dir = try Monitor.logDirectory(registry, env: env)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        guard files.contains(where: { $0.hasSuffix(".jsonl") }) else { return "" }
        let report = try Monitor.report(registry, env: env, since: nil, until: nil)
        return "<h3>Monitoring (<code>ftx monitor --env \(UIPage.esc(env)) --since all</code>)</h3>\n"
            + "<div class=\"monitor\">\n" + MonitorText.htmlBody(report, failOn: []) + "</div>\n"
    }
}
