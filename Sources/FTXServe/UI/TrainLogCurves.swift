import Foundation

/// The numeric series of a run's `train/log.jsonl` (one JSON object per line: step, loss, lr,
/// grad_norm, tokens_per_s…; `{step, valid_loss}` after each evaluation), keyed by field, over steps.
/// The log comes from the store, so it is bounded: lines and bytes are capped, a malformed line is
/// skipped (a torn last line must not hide the curve), and each series is thinned for drawing.
public struct TrainLogCurves {
    public static let maxBytes = 256 << 20
    public static let maxLines = 2_000_000
    /// Points kept per series: more than a chart's width in pixels gains nothing.
    public static let maxPoints = 1_000

    public private(set) var series: [String: [(x: Double, y: Double)]] = [:]

    public init(_ data: Data) {
        guard data.count <= Self.maxBytes else { return }
        var lines = 0
        for line in data.split(separator: UInt8(ascii: "\n")) {
            lines += 1
            guard lines <= Self.maxLines else { break }
            guard let obj = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
                  let step = (obj["step"] as? NSNumber)?.doubleValue, step.isFinite else { continue }
            for (key, value) in obj where key != "step" {
                guard let n = value as? NSNumber else { continue }
                let y = n.doubleValue
                if y.isFinite { series[key, default: []].append((step, y)) }
            }
        }
        for (k, v) in series where v.count > Self.maxPoints { series[k] = Self.thin(v, to: Self.maxPoints) }
    }

    /// Every k-th point plus the last, so the curve keeps its end.
    static func thin(_ points: [(x: Double, y: Double)], to n: Int) -> [(x: Double, y: Double)] {
        let stride = (points.count + n - 1) / n
        var out = Swift.stride(from: 0, to: points.count, by: stride).map { points[$0] }
        if let last = points.last, out.last?.x != last.x { out.append(last) }
        return out
    }
}
