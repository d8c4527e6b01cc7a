import Foundation
import FTXEval

/// The page shell every `ftx ui` view shares: one stylesheet inline (no build step, no extra
/// request, works from `file://`), the navigation, and the helpers pages write HTML with.
public enum UIPage {
    public enum Section: String, CaseIterable { case runs = "Runs", deployments = "Deployments", data = "Data" }

    /// HTML-escapes text for element content and attribute values (the one escaper the diff uses).
    public static func esc(_ s: String) -> String { DiffHTML.esc(s) }

    /// The relative prefix from a page `depth` folders below the site root to the root.
    public static func root(_ depth: Int) -> String { String(repeating: "../", count: depth) }

    static func href(_ s: Section) -> String {
        switch s { case .runs: return "index.html"; case .deployments: return "deployments.html"; case .data: return "data.html" }
    }

    /// A whole document. `depth` is how many folders below the root the page lives (run/x.html: 1);
    /// `absoluteRoot` makes links start at `/` (error pages, whose URL may be anything).
    public static func document(title: String, depth: Int, active: Section?, body: String, script: String? = nil,
                                absoluteRoot: Bool = false) -> String {
        let root = absoluteRoot ? "/" : Self.root(depth)
        var h = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(title)) · ftx</title><link rel="icon" href="data:,">
        <style>\(css)</style></head><body>
        <header><nav aria-label="Sections"><a class="brand" href="\(root)index.html">ftx</a>
        """
        for s in Section.allCases {
            h += "<a href=\"\(root)\(href(s))\"\(s == active ? " aria-current=\"page\"" : "")>\(s.rawValue)</a>"
        }
        h += "</nav></header>\n<main>\n\(body)\n</main>\n"
        if let script { h += "<script>\n\(script)\n</script>\n" }
        return h + "</body></html>\n"
    }

    static let css = """
    :root{--fg:#1d1d1f;--muted:#666;--line:#d8d8d8;--accent:#2456a6;--good:#2a8a3a;--bad:#b42318;--bg2:#f5f6f8}
    body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:var(--fg)}
    header{background:#1f2937;padding:.5em 1.5em}header a{color:#e5e7eb;margin-right:1.2em;text-decoration:none}
    header a.brand{font-weight:700;color:#fff}header a[aria-current]{color:#fff;border-bottom:2px solid #93c5fd}
    main{padding:1em 1.5em;max-width:1400px}a{color:var(--accent)}a:focus,button:focus,input:focus{outline:2px solid #93c5fd}
    table{border-collapse:collapse;margin:.5em 0}th,td{border-bottom:1px solid var(--line);padding:.3em .6em;text-align:left;vertical-align:top}
    th{background:var(--bg2);position:sticky;top:0}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
    .good,.passed{color:var(--good)}.bad,.failed,.error{color:var(--bad)}.muted{color:var(--muted)}
    .badge{display:inline-block;padding:0 .45em;border-radius:.6em;background:#e0e7ff;color:#1e3a8a;font-size:12px;margin-right:.2em}
    pre{white-space:pre-wrap;margin:0;font:12px/1.35 ui-monospace,monospace}code{font:12px ui-monospace,monospace}
    .charts{display:flex;flex-wrap:wrap;gap:1em}.chart{border:1px solid var(--line);padding:.4em}
    form.filter input[type=text]{width:32em;font:13px ui-monospace,monospace}
    .reg,.drift,.fail{color:var(--bad);font-weight:bold}.ok,.better{color:var(--good)}.worse{color:var(--bad)}.nc,.note{color:var(--muted)}
    """
}
