import Foundation

/// Deterministic YAML for a resolved run config: sorted keys, block mappings, flow lists of
/// scalars, numbers in their shortest exact form (0.0002, not 2e-4; 1.0 stays a float), strings
/// double-quoted unless plainly safe. The committed config.yaml is what people read in `ftx show`.
enum ConfigYAML {
    static func emit(_ map: [String: Any]) -> String {
        var out = ""
        block(map, indent: 0, into: &out)
        return out
    }

    private static func block(_ map: [String: Any], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for key in map.keys.sorted() {
            let v = map[key]!
            if let m = v as? [String: Any], !m.isEmpty {
                out += "\(pad)\(scalar(key)):\n"
                block(m, indent: indent + 2, into: &out)
            } else if let a = v as? [Any], a.contains(where: { $0 is [String: Any] }) {
                out += "\(pad)\(scalar(key)):\n"
                for item in a { out += "\(pad)  - \(flow(item))\n" }
            } else {
                out += "\(pad)\(scalar(key)): \(flow(v))\n"
            }
        }
    }

    static func flow(_ v: Any) -> String {
        switch v {
        case let m as [String: Any]: return "{" + m.keys.sorted().map { "\(scalar($0)): \(flow(m[$0]!))" }.joined(separator: ", ") + "}"
        case let a as [Any]: return "[" + a.map(flow).joined(separator: ", ") + "]"
        case is NSNull: return "null"
        case let b as Bool: return b ? "true" : "false"
        case let i as Int: return String(i)
        case let d as Double: return number(d)
        case let s as String: return scalar(s)
        default: return scalar("\(v)")
        }
    }

    static func number(_ d: Double) -> String {
        guard d.isFinite else { return d.isNaN ? ".nan" : (d > 0 ? ".inf" : "-.inf") }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) + ".0" }
        if abs(d) >= 1e-4 && abs(d) < 1e15 {
            // Plain decimal, shortest digits that round-trip.
            let s = String(d)
            if !s.contains("e") { return s }
            return String(format: "%.17g", d).contains("e") ? s : trimmed(String(format: "%.17f", d), exact: d)
        }
        return String(d)
    }

    private static func trimmed(_ s: String, exact: Double) -> String {
        var t = s
        while t.hasSuffix("0"), let shorter = Double(String(t.dropLast())), shorter == exact { t.removeLast() }
        return t
    }

    static func scalar(_ s: String) -> String {
        let safe = !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_./+-".contains($0)) }
            && Double(s) == nil && !s.hasPrefix("-")
            && !["true", "false", "null", "yes", "no", "on", "off", "~", "y", "n", ".inf", ".nan"].contains(s.lowercased())
        if safe { return s }
        let data = (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}
