import Foundation

/// A line chart drawn server-side as inline SVG: one polyline per series on shared axes, with a
/// legend. Loss curves on the run page, the same curves overlaid on the compare page.
public struct SVGLineChart {
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public init(name: String, points: [(x: Double, y: Double)]) { self.name = name; self.points = points }
    }

    public var title: String
    public var xLabel: String
    public var series: [Series]
    public var width = 520.0
    public var height = 260.0

    public init(title: String, xLabel: String, series: [Series]) { self.title = title; self.xLabel = xLabel; self.series = series }

    /// Distinct colours for up to 8 series (compare takes at most 8 runs), then repeats.
    static let palette = ["#2456a6", "#d9480f", "#2a8a3a", "#9c36b5", "#c2255c", "#0b7285", "#5c940d", "#e67700"]

    public func render() -> String {
        let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let label = UIPage.esc(title)
        var s = "<figure class=\"chart\"><figcaption>\(label)</figcaption>"
        s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(label)\">"
        guard let x0 = finite.map(\.x).min(), let x1 = finite.map(\.x).max(),
              let y0 = finite.map(\.y).min(), let y1 = finite.map(\.y).max() else {
            return s + "<text x=\"10\" y=\"20\" font-size=\"12\">no data</text></svg></figure>"
        }
        let left = 52.0, right = 10.0, top = 8.0, bottom = 34.0
        let xs = max(x1 - x0, 1e-12), ys = max(y1 - y0, 1e-12)
        func px(_ x: Double) -> Double { left + (x - x0) / xs * (width - left - right) }
        func py(_ y: Double) -> Double { top + (1 - (y - y0) / ys) * (height - top - bottom) }
        // Axes and three ticks per axis.
        s += "<g stroke=\"#999\" fill=\"none\"><path d=\"M\(f(left)) \(f(top))V\(f(height - bottom))H\(f(width - right))\"/></g>"
        s += "<g font-size=\"10\" fill=\"#555\">"
        for t in [0.0, 0.5, 1.0] {
            let yv = y0 + t * ys, xv = x0 + t * xs
            s += "<text x=\"\(f(left - 4))\" y=\"\(f(py(yv) + 3))\" text-anchor=\"end\">\(num(yv))</text>"
            s += "<text x=\"\(f(px(xv)))\" y=\"\(f(height - bottom + 14))\" text-anchor=\"middle\">\(num(xv))</text>"
        }
        s += "<text x=\"\(f((left + width - right) / 2))\" y=\"\(f(height - 4))\" text-anchor=\"middle\">\(UIPage.esc(xLabel))</text></g>"
        for (i, line) in series.enumerated() {
            let colour = Self.palette[i % Self.palette.count]
            let pts = line.points.filter { $0.x.isFinite && $0.y.isFinite }.map { "\(f(px($0.x))),\(f(py($0.y)))" }
            guard !pts.isEmpty else { continue }
            s += "<polyline class=\"series\" data-series=\"\(UIPage.esc(line.name))\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.6\" points=\"\(pts.joined(separator: " "))\"><title>\(UIPage.esc(line.name))</title></polyline>"
        }
        s += "</svg><div class=\"legend\">"
        for (i, line) in series.enumerated() {
            s += "<span><span style=\"color:\(Self.palette[i % Self.palette.count])\">■</span> \(UIPage.esc(line.name))</span> "
        }
        return s + "</div></figure>"
    }

    func f(_ d: Double) -> String { String(format: "%.1f", d) }
    func num(_ v: Double) -> String { abs(v) >= 1000 || (abs(v) < 0.01 && v != 0) ? String(format: "%.2g", v) : String(format: "%.3g", v) }
}
