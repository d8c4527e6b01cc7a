import Foundation
import FTXCore
import FTXRegistry

/// The runs table (`index.html`, `runs.json`): one row per run with its key params, headline
/// metrics, gate verdicts and deployments. The server pages it (100 rows, `page=`), sorts it
/// (`sort=NAME[:asc]`, as `ftx runs --sort`) and filters it (`where=`, the `ftx runs --where`
/// language, through the same registry query); an export holds every run and sorts and filters in
/// the browser.
extension UISite {
    static let runsPerPage = 100
    /// Fixed columns before the param and metric ones, and after them.
    static let leadColumns = ["message", "time", "base"]
    static let trailColumns = ["gates", "deployed"]
    /// The key params shown by default, with their short headers.
    static let keyParams: [(name: String, label: String)] = [
        ("lora_r", "r"), ("lora_alpha", "alpha"), ("learning_rate", "lr"), ("num_epochs", "epochs"), ("lora_target_modules", "targets"),
    ]

    /// What the query asks for, checked: where, sort, columns, page.
    struct RunsQuery {
        var filter: String?
        var sort: String?
        var columns: [String]
        var page: Int
        /// The columns shown when `cols=` is absent (links leave `cols=` out when they are the same).
        var defaults: [String]
    }

    func runsQuery(_ r: UIRequest) throws -> RunsQuery {
        let nonEmpty = { (k: String) -> String? in r.query[k].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 } }
        let cols = nonEmpty("cols").map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        var page = 1
        if let p = nonEmpty("page") {
            guard let n = Int(p), (1...10_000_000).contains(n) else { throw UIError.badRequest("page must be a number from 1, not '\(p)'") }
            page = n
        }
        // Default columns: lead ones, the key params and headline metrics the index knows, trail ones.
        let index = try registry.openRunIndex()
        let params = try index.paramNames(), metrics = try index.metricNames()
        let defaults = Self.leadColumns + Self.keyParams.map(\.name).filter(Set(params).contains)
            + RunTable.headline.filter(Set(metrics).contains) + Self.trailColumns
        let known = Set(Self.leadColumns + Self.trailColumns + params + metrics)
        for c in cols ?? [] where !known.contains(c) {
            throw UIError.badRequest("unknown column '\(c)' (choose from: \(known.sorted().joined(separator: ", ")))")
        }
        return RunsQuery(filter: mode == .export ? nil : nonEmpty("where"), sort: mode == .export ? nil : nonEmpty("sort"),
                         columns: cols.map { Array($0.prefix(64)) } ?? defaults, page: mode == .export ? 1 : page, defaults: defaults)
    }

    /// The rows of the page asked for, with the number of matches in all.
    func runsRows(_ q: RunsQuery) throws -> (total: Int, rows: [RunIndex.Row]) {
        if mode == .export {
            let rows = try registry.queryRuns(where: nil, sort: nil, limit: nil)
            return (rows.count, rows)
        }
        let (offset, overflow) = (q.page - 1).multipliedReportingOverflow(by: Self.runsPerPage)
        guard !overflow else { throw UIError.badRequest("page \(q.page) is out of range") }
        if let s = q.sort.map(RunIndex.Sort.init(parsing:)), s.field == "deployed" {
            // Deployments are refs, not index columns: the filtered rows are ordered here, deployed
            // ones first (by environment names; `:asc` puts them last), newest first otherwise.
            let deployed = try deployedByCommit()
            let key = { (row: RunIndex.Row) in deployed[row.commit]?.joined(separator: ",") ?? "" }
            let all = try registry.queryRuns(where: q.filter, sort: nil, limit: nil).enumerated().sorted { a, b in
                let ka = key(a.element), kb = key(b.element)
                return ka != kb ? (s.descending ? ka > kb : ka < kb) : a.offset < b.offset
            }.map(\.element)
            return (all.count, Array(all.dropFirst(offset).prefix(Self.runsPerPage)))
        }
        return try registry.queryRunsPage(where: q.filter, sort: q.sort, offset: offset, limit: Self.runsPerPage)
    }

    /// Commit id → environments it is deployed to.
    func deployedByCommit() throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        for (env, id) in try registry.deployedEnvironments().sorted(by: { $0.key < $1.key }) { out[id.hex, default: []].append(env) }
        return out
    }

    /// A query error (bad --where, unknown sort field) as the 400 page's message: the parser's
    /// words, the place, the hint.
    static func describe(_ error: Error) -> String {
        guard let e = error as? FTXError else { return "\(error)" }
        return e.description + (e.hint.map { "\n\($0)" } ?? "")   // as the CLI prints it, without "ftx: "
    }

    func runsPage(_ r: UIRequest) throws -> UIResponse {
        let q = try runsQuery(r)
        do {
            let (total, rows) = try runsRows(q)
            return .html(runsDocument(q, total: total, rows: rows, deployed: try deployedByCommit(), error: nil))
        } catch let e as UIError { throw e } catch let e as RegistryError {
            switch e {
            case .query, .unknownField: return .html(runsDocument(q, total: 0, rows: [], deployed: [:], error: Self.describe(e)), status: 400)
            default: throw e
            }
        }
    }

    func runsJSON(_ r: UIRequest) throws -> UIResponse {
        let q = try runsQuery(r)
        do {
            let (total, rows) = try runsRows(q)
            let deployed = try deployedByCommit()
            return try .json(["total": total, "page": q.page, "per_page": mode == .export ? total : Self.runsPerPage,
                              "runs": rows.map { row -> [String: Any] in
                                  var j = RunTable.json(row)
                                  j["deployed"] = deployed[row.commit] ?? []
                                  j["url"] = "run/\(row.commit.prefix(12)).html"
                                  return j
                              }])
        } catch let e as RegistryError {
            return try .json(["error": Self.describe(e)], status: 400)
        }
    }

    // MARK: HTML

    /// `index.html?…` with these settings (nil drops a key); page 1 is left out.
    func runsLink(_ q: RunsQuery, sort: String?? = .none, page: Int? = nil) -> String {
        var items: [(String, String)] = []
        if let w = q.filter { items.append(("where", w)) }
        if let s = sort ?? q.sort { items.append(("sort", s)) }
        if q.columns != q.defaults { items.append(("cols", q.columns.joined(separator: ","))) }
        if let p = page, p > 1 { items.append(("page", String(p))) }
        let query = items.map { "\($0.0)=\(Self.queryEscape($0.1))" }.joined(separator: "&")
        return "index.html" + (query.isEmpty ? "" : "?" + query)
    }

    static func queryEscape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: unreserved.union(CharacterSet(charactersIn: ":,"))) ?? s
    }

    static func label(_ col: String) -> String {
        keyParams.first { $0.name == col }?.label ?? col
    }

    /// The header of a sortable column: a link that sorts by it (highest first, then lowest first);
    /// `deployed` sorts deployed runs first.
    func header(_ col: String, _ q: RunsQuery, index: Int) -> String {
        let field = col == "base" ? "base_name" : col == "gates" ? "status" : col
        let text = UIPage.esc(Self.label(col))
        if mode == .export {
            return "<th scope=\"col\"><a href=\"#runs\" data-col=\"\(index)\">\(text)</a></th>"
        }
        let current = q.sort.map(RunIndex.Sort.init(parsing:))
        let sorted = current?.field == field
        let next = sorted && current!.descending ? "\(field):asc" : field
        let aria = sorted ? " aria-sort=\"\(current!.descending ? "descending" : "ascending")\"" : ""
        let arrow = sorted ? (current!.descending ? " ▼" : " ▲") : ""
        return "<th scope=\"col\"\(aria)><a href=\"\(UIPage.esc(runsLink(q, sort: .some(next))))\">\(text)\(arrow)</a></th>"
    }

    /// One cell: its HTML and the value the browser sorts by.
    func cell(_ col: String, _ row: RunIndex.Row, deployed: [String]) -> (html: String, sortKey: String) {
        switch col {
        case "message": return (UIPage.esc(row.summary), row.summary)
        case "time": return ("<time datetime=\"\(row.time)\">\(RunTable.day(row.time))</time>", String(row.time))
        case "base": return (UIPage.esc(row.baseName ?? ""), row.baseName ?? "")
        case "gates":
            var h = "<span class=\"\(row.status.rawValue)\">\(UIPage.esc(row.status.rawValue))</span>"
            if !row.failedGates.isEmpty { h += " <span class=\"muted\">(\(UIPage.esc(row.failedGates.joined(separator: ", "))))</span>" }
            return (h, row.status.rawValue)
        case "deployed":
            return (deployed.map { "<span class=\"badge\">\(UIPage.esc($0))</span>" }.joined(), deployed.joined(separator: ","))
        case "lora_target_modules":
            guard case .text(let t)? = row.params[col] else { return ("", "") }
            // Short names (q for q_proj) that may wrap after each comma, so the metrics stay on a
            // laptop screen; the full list is the tooltip and the sort key.
            let short = t.split(separator: ",").map { UIPage.esc($0.hasSuffix("_proj") ? String($0.dropLast(5)) : String($0)) }
            return ("<span title=\"\(UIPage.esc(t))\">\(short.joined(separator: ",<wbr>"))</span>", t)
        default:
            if let m = row.metrics[col] { return (formatNumber(m), String(m)) }
            switch row.params[col] {
            case .number(let d)?: return (formatNumber(d), String(d))
            case .text(let t)?: return (UIPage.esc(t), t)
            case nil: return ("", "")
            }
        }
    }

    func runsDocument(_ q: RunsQuery, total: Int, rows: [RunIndex.Row], deployed: [String: [String]], error: String?) -> String {
        var b = "<h1>Runs</h1>\n"
        if mode == .server {
            b += "<form class=\"filter\" method=\"get\" action=\"index.html\" role=\"search\">"
            b += "<label>where <input type=\"text\" name=\"where\" value=\"\(UIPage.esc(q.filter ?? ""))\" placeholder=\"lora_r &lt;= 16 and pass_rate &gt; 0.8\"></label> "
            b += "<label>columns <input type=\"text\" name=\"cols\" value=\"\(UIPage.esc(q.columns.joined(separator: ",")))\"></label> "
            if let s = q.sort { b += "<input type=\"hidden\" name=\"sort\" value=\"\(UIPage.esc(s))\">" }
            b += "<button type=\"submit\">Apply</button> <a href=\"index.html\">reset</a></form>\n"
            b += "<p class=\"muted\">Filters use the <code>ftx runs --where</code> language; sort by clicking a column.</p>\n"
        } else {
            b += "<form class=\"filter\" role=\"search\" onsubmit=\"return false\"><label>filter <input type=\"text\" id=\"filter\" placeholder=\"text in any cell\"></label></form>\n"
            b += "<p class=\"muted\">A static export: click a column to sort, type to filter rows by text. Filters in the <code>--where</code> language need <code>ftx ui</code>.</p>\n"
        }
        if let error {
            b += "<div class=\"error\" role=\"alert\"><pre>\(UIPage.esc(error))</pre></div>\n"
        }
        let pages = max(1, (total + Self.runsPerPage - 1) / Self.runsPerPage)
        b += "<p><span id=\"count\">\(total)</span> run\(total == 1 ? "" : "s")"
        if mode == .server && pages > 1 {
            b += " · page \(q.page) of \(pages)"
            if q.page > 1 { b += " · <a rel=\"prev\" href=\"\(UIPage.esc(runsLink(q, page: q.page - 1)))\">previous</a>" }
            if q.page < pages { b += " · <a rel=\"next\" href=\"\(UIPage.esc(runsLink(q, page: q.page + 1)))\">next</a>" }
        }
        b += " · <button type=\"button\" id=\"compare\">Compare selected</button> <span id=\"compare-status\" role=\"status\"></span></p>\n"
        b += "<table id=\"runs\"><thead><tr><th scope=\"col\">compare</th><th scope=\"col\">run</th>"
        for (i, c) in q.columns.enumerated() { b += header(c, q, index: i + 2) }
        b += "</tr></thead>\n<tbody>\n"
        for row in rows {
            let short = String(row.commit.prefix(12))
            let envs = deployed[row.commit] ?? []
            b += "<tr><td><input type=\"checkbox\" class=\"pick\" value=\"\(short)\" aria-label=\"select \(short) to compare\"></td>"
            b += "<td data-v=\"\(short)\"><a href=\"run/\(short).html\"><code>\(short)</code></a></td>"
            for c in q.columns {
                let v = cell(c, row, deployed: envs)
                let numeric = c != "message" && c != "base" && c != "gates" && c != "deployed" && Double(v.sortKey) != nil
                b += "<td\(numeric ? " class=\"num\"" : "") data-v=\"\(UIPage.esc(v.sortKey))\">\(v.html)</td>"
            }
            b += "</tr>\n"
        }
        b += "</tbody></table>\n"
        return UIPage.document(title: "Runs", depth: 0, active: .runs, body: b, script: Self.compareScript + (mode == .export ? Self.exportScript : ""))
    }

    /// The Compare button: 2 to 8 ticked runs, first ticked = baseline.
    static let compareScript = """
    var picked=[];
    document.querySelectorAll('input.pick').forEach(function(c){c.addEventListener('change',function(){
      picked=picked.filter(function(v){return v!==c.value});if(c.checked)picked.push(c.value);});});
    document.getElementById('compare').addEventListener('click',function(){
      var s=document.getElementById('compare-status');
      if(picked.length<2||picked.length>8){s.textContent='select 2 to 8 runs (the first one ticked is the baseline)';return;}
      location.href='compare/'+picked.join(',')+'.html';});

    """

    /// An export sorts by a clicked column (again: the other way) and filters rows by text.
    static let exportScript = """
    var tb=document.querySelector('#runs tbody'),dir={};
    document.querySelectorAll('#runs th a[data-col]').forEach(function(a){a.addEventListener('click',function(e){
      e.preventDefault();var i=+a.dataset.col,d=dir[i]=-(dir[i]||1),rows=[].slice.call(tb.rows);
      rows.sort(function(x,y){var p=x.cells[i].dataset.v,q=y.cells[i].dataset.v;
        if(p===''||q==='')return p===''?(q===''?0:1):-1;
        return d*(!isNaN(p)&&!isNaN(q)?p-q:p.localeCompare(q));});
      rows.forEach(function(r){tb.appendChild(r)});});});
    document.getElementById('filter').addEventListener('input',function(e){
      var t=e.target.value.toLowerCase(),n=0;[].forEach.call(tb.rows,function(r){
        var show=r.textContent.toLowerCase().indexOf(t)>=0;r.hidden=!show;if(show)n++;});
      document.getElementById('count').textContent=n;});
    """
}
