import FTXStore
import Foundation

/// Gate status of a commit, as recorded in its header and the run index.
public enum GateStatus: String, Codable, Sendable {
    case passed, failed, none
}

/// One gate's verdict (e.g. `pass_rate >= 0.85` → passed, "0.91").
public struct GateVerdict: Codable, Equatable, Sendable {
    public var name: String
    public var passed: Bool
    public var detail: String
    public init(name: String, passed: Bool, detail: String = "") {
        self.name = name; self.passed = passed; self.detail = detail
    }
}

/// A config parameter as indexed: numbers compare as numbers, everything else as text.
public enum ParamValue: Equatable, Sendable, Codable, CustomStringConvertible {
    case number(Double)
    case text(String)

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let d = try? c.decode(Double.self) { self = .number(d) } else { self = .text(try c.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let d): try c.encode(d)
        case .text(let s): try c.encode(s)
        }
    }

    public var description: String {
        switch self {
        case .number(let d): return formatNumber(d)
        case .text(let s): return s
        }
    }

    var sql: SQLValue {
        switch self {
        case .number(let d): return .real(d)
        case .text(let s): return .text(s)
        }
    }
}

/// Where the training code came from: the enclosing git repository's HEAD, branch and dirty flag.
public struct CodeProvenance: Equatable, Sendable {
    public var commit: String
    public var branch: String?
    public var dirty: Bool
    public init(commit: String, branch: String?, dirty: Bool) {
        self.commit = commit; self.branch = branch; self.dirty = dirty
    }
}

/// The run facts a commit made by `ftx run` carries in its header (docs/architecture.md, "A run
/// commit"). Each is one `key value` header line; maps are compact JSON with sorted keys so the
/// bytes are deterministic.
public struct RunHeader: Equatable, Sendable {
    public var baseID: String?
    public var baseName: String?
    public var seed: Int?
    public var engine: String?
    /// nil: no code repository enclosed the project (recorded as `code none`).
    public var code: CodeProvenance?
    public var hostCPU: String?
    public var hostThreads: Int?
    public var wallSeconds: Double?
    public var metrics: [String: Double] = [:]
    public var gates: [GateVerdict] = []
    public var gateStatus: GateStatus = .none
    public var params: [String: ParamValue] = [:]
    /// Set when the commit is a run commit (has the `run` header).
    public var isRun = true

    public init() {}

    /// The header keys this struct writes, in order.
    public static let keys = ["run", "base", "base-name", "seed", "engine", "code", "host-cpu", "host-threads",
                              "wall-seconds", "gate-status", "metrics", "gates", "params"]

    public var headers: [(String, String)] {
        var h: [(String, String)] = [("run", "1")]
        if let baseID { h.append(("base", baseID)) }
        if let baseName { h.append(("base-name", oneLine(baseName))) }
        if let seed { h.append(("seed", String(seed))) }
        if let engine { h.append(("engine", oneLine(engine))) }
        if let code {
            h.append(("code", "\(code.commit) \(code.dirty ? "dirty" : "clean")\(code.branch.map { " \(oneLine($0))" } ?? "")"))
        } else {
            h.append(("code", "none"))
        }
        if let hostCPU { h.append(("host-cpu", oneLine(hostCPU))) }
        if let hostThreads { h.append(("host-threads", String(hostThreads))) }
        if let wallSeconds { h.append(("wall-seconds", String(format: "%.3f", wallSeconds))) }
        h.append(("gate-status", gateStatus.rawValue))
        h.append(("metrics", Self.json(metrics)))
        h.append(("gates", Self.json(gates)))
        h.append(("params", Self.json(params)))
        return h
    }

    /// Reads the run facts back; returns nil when the commit has no `run` header.
    public init?(headers: [(String, String)]) {
        var map: [String: String] = [:]
        for (k, v) in headers where map[k] == nil { map[k] = v }
        guard map["run"] != nil else { return nil }
        baseID = map["base"]
        baseName = map["base-name"]
        seed = map["seed"].flatMap { Int($0) }
        engine = map["engine"]
        if let c = map["code"], c != "none" {
            let parts = c.split(separator: " ", maxSplits: 2).map(String.init)
            if parts.count >= 2 {
                code = CodeProvenance(commit: parts[0], branch: parts.count > 2 ? parts[2] : nil, dirty: parts[1] == "dirty")
            }
        }
        hostCPU = map["host-cpu"]
        hostThreads = map["host-threads"].flatMap { Int($0) }
        wallSeconds = map["wall-seconds"].flatMap { Double($0) }
        gateStatus = map["gate-status"].flatMap { GateStatus(rawValue: $0) } ?? .none
        let dec = JSONDecoder()
        if let m = map["metrics"], let v = try? dec.decode([String: Double].self, from: Data(m.utf8)) { metrics = v }
        if let g = map["gates"], let v = try? dec.decode([GateVerdict].self, from: Data(g.utf8)) { gates = v }
        if let p = map["params"], let v = try? dec.decode([String: ParamValue].self, from: Data(p.utf8)) { params = v }
    }

    /// Only the gate status, read without decoding the rest (deploy checks this).
    public static func gateStatus(in headers: [(String, String)]) -> GateStatus? {
        headers.first { $0.0 == "gate-status" }.flatMap { GateStatus(rawValue: $0.1) }
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? enc.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    private func oneLine(_ s: String) -> String {
        s.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
    }
}
