import Foundation
import FTXCore
import FTXData

/// `ftx monitor sample`: a stratified sample of logged traffic as candidate eval cases.
///
/// Strata are (adapter, outcome), the outcome being the error kind, else the finish reason. Each
/// stratum is put in a fixed pseudo-random order (a hash of the seed and the request id, so the
/// order of the log lines does not matter), then strata are drawn round-robin, one case each in
/// turn (strata sorted by name), until `n` cases are drawn or the strata are exhausted: rare
/// outcomes (errors, truncations) are represented even when most traffic is alike.
public enum MonitorSample {
    public static func strata(_ line: RequestLogLine) -> String {
        "\(line.adapter ?? "-")/\(line.error ?? line.finishReason ?? "unknown")"
    }

    /// The lines that can become cases: with logged content (a `--no-log-content` line has no
    /// prompt to label), and of one format, since a case file holds one: chat turns, unless more
    /// of them are completion prompts.
    public static func candidates(_ lines: [RequestLogLine]) -> [RequestLogLine] {
        let chat = lines.filter { $0.messages != nil }
        let completion = lines.filter { $0.messages == nil && $0.prompt != nil }
        return chat.count >= completion.count ? chat : completion
    }

    public static func draw(_ lines: [RequestLogLine], n: Int, seed: UInt64) -> [RequestLogLine] {
        var groups: [String: [RequestLogLine]] = [:]
        for l in candidates(lines) { groups[strata(l), default: []].append(l) }
        let queues = groups.keys.sorted().map { k in
            groups[k]!.map { (FastHash.combine(seed, FastHash.string($0.id)), $0) }
                .sorted { ($0.0, $0.1.id, $0.1.time) < ($1.0, $1.1.id, $1.1.time) }.map(\.1)
        }
        var out: [RequestLogLine] = []
        var round = 0
        while out.count < n, queues.contains(where: { round < $0.count }) {
            for q in queues where round < q.count && out.count < n { out.append(q[round]) }
            round += 1
        }
        return out
    }

    /// One candidate case: a chat row (the logged turns, then the logged output as the assistant
    /// turn to correct) or a completion row (`prompt`, `completion` = the logged output), with the
    /// output also kept unchanged in `logged_output` and where it came from.
    public static func caseRow(_ l: RequestLogLine) -> [String: Any] {
        var row: [String: Any] = ["id": l.id, "logged_output": l.output ?? "", "adapter": l.adapter ?? "-",
                                  "outcome": l.error ?? l.finishReason ?? "unknown", "time": l.time]
        if let m = l.messages {
            row["messages"] = m.map { ["role": $0.role, "content": $0.content] } + [["role": "assistant", "content": l.output ?? ""]]
        } else {
            row["prompt"] = l.prompt ?? ""
            row["completion"] = l.output ?? ""
        }
        return row
    }

    /// The rows as JSONL (sorted keys: the same sample gives the same bytes).
    public static func jsonl(_ lines: [RequestLogLine]) throws -> Data {
        var out = Data()
        for l in lines {
            out.append(try JSONSerialization.data(withJSONObject: caseRow(l), options: [.sortedKeys, .withoutEscapingSlashes]))
            out.append(0x0A)
        }
        return out
    }
}
