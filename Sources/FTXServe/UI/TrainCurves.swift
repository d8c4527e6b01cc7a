import Foundation
import FTXData

/// The curves of a run's train log (train/log.jsonl): train loss, valid loss, learning rate and
/// tokens/s against the step. Bounded: at most `maxLines` lines are read, and each series is thinned
/// to at most `maxPoints` points (every k-th, plus the last) so a long run draws a small SVG.
public struct TrainCurves {
    public var loss: [(x: Double, y: Double)] = []
    public var validLoss: [(x: Double, y: Double)] = []
    public var learningRate: [(x: Double, y: Double)] = []
    public var tokensPerSecond: [(x: Double, y: Double)] = []

    public static let maxLines = 1_000_000
    public static let maxPoints = 2_000

    public init() {}

    public init(log: Data) {
        var lines = 0
        log.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var start = 0
            while start < bytes.count, lines < Self.maxLines {
                var end = start
                while end < bytes.count, bytes[end] != 10 { end += 1 }
                lines += 1
                if end > start, let v = try? JSONParser.parse(UnsafeBufferPointer(rebasing: bytes[start..<end])) { add(v) }
                start = end + 1
            }
        }
        loss = Self.thin(loss); validLoss = Self.thin(validLoss)
        learningRate = Self.thin(learningRate); tokensPerSecond = Self.thin(tokensPerSecond)
    }

    private mutating func add(_ v: JSONValue) {
        func num(_ k: String) -> Double? { if case .number(let s)? = v[k] { return Double(s) } else { return nil } }
        guard let step = num("step") else { return }
        if let l = num("loss") { loss.append((step, l)) }
        if let l = num("valid_loss") { validLoss.append((step, l)) }
        if let l = num("lr") { learningRate.append((step, l)) }
        if let t = num("tokens_per_s") { tokensPerSecond.append((step, t)) }
    }

    static func thin(_ p: [(x: Double, y: Double)]) -> [(x: Double, y: Double)] {
        guard p.count > maxPoints else { return p }
        let k = (p.count + maxPoints - 2) / (maxPoints - 1)
        var out = stride(from: 0, to: p.count, by: k).map { p[$0] }
        if (p.count - 1) % k != 0 { out.append(p[p.count - 1]) }
        return out
    }

    /// As JSON: each series a list of [step, value].
    public var json: [String: Any] {
        func pairs(_ p: [(x: Double, y: Double)]) -> [[Double]] { p.map { [$0.x, $0.y] } }
        return ["loss": pairs(loss), "valid_loss": pairs(validLoss), "lr": pairs(learningRate), "tokens_per_s": pairs(tokensPerSecond)]
    }
}
