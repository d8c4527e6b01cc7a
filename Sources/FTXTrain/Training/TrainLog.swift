import Foundation
import FTXCore
import FTXData

/// train_log.jsonl: one JSON object per line (sorted keys): step, loss, lr, grad_norm, tokens,
/// tokens_per_s, epoch; {step, valid_loss} lines after each evaluation; with early stopping a last
/// {step, best_step, best_valid_loss, kept} line.
public final class TrainLog {
    public let path: String
    private var lines: [String] = []

    /// Starts empty, or (resuming) keeps the existing lines up to and including `keepThrough`;
    /// `dropSummary` leaves out the early-stopping summary line (the trainer writes it again).
    public init(path: String, keepThrough step: Int?, dropSummary: Bool = false) throws {
        self.path = path
        if let step, let data = FileManager.default.contents(atPath: path) {
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                guard let obj = Self.object(line), let s = obj["step"] as? Int, s <= step, !(dropSummary && obj["kept"] != nil) else { continue }
                lines.append(String(line))
            }
        }
        try flush()
    }

    public func append(_ fields: [String: Any]) throws {
        let d = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        lines.append(String(decoding: d, as: UTF8.self))
        try flush()
    }

    public var entries: [[String: Any]] { lines.compactMap(Self.object) }

    /// One line as a dictionary, its numbers exact (JSONSerialization's reader is not; see
    /// JSONValue.foundationObject), so a logged loss reads back as the Double that was written.
    static func object<S: StringProtocol>(_ line: S) -> [String: Any]? {
        (try? JSONParser.parse(String(line)))?.foundationObject as? [String: Any]
    }

    func flush() throws {
        try AtomicFile.write(Data((lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")).utf8), to: path)
    }
}
