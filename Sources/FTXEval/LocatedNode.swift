import Foundation
import Yams

/// A YAML or JSON tree whose nodes remember their line, so validation errors can name file:line.
/// Suite files come from Yams (every node has its own line); per-case assertions in a JSONL row all
/// carry that row's line.
public struct LocatedNode {
    public indirect enum Kind {
        case scalar(EvalJSON)
        case mapping([(String, LocatedNode)])
        case sequence([LocatedNode])
    }
    public var kind: Kind
    public var line: Int?

    public init(_ kind: Kind, line: Int?) { self.kind = kind; self.line = line }

    /// From a composed Yams node; keys must be scalars. Aliases are resolved by Yams' composer.
    public init(yaml node: Node) {
        line = node.mark?.line
        switch node {
        case .scalar(let s):
            // Yams resolves plain scalars to null/bool/int/float/str by the YAML core schema.
            switch node.any {
            case is NSNull: kind = .scalar(.null)
            case let b as Bool: kind = .scalar(.bool(b))
            case let i as Int: kind = .scalar(.number(Double(i)))
            case let d as Double: kind = .scalar(.number(d))
            default: kind = .scalar(.string(s.string))
            }
        case .mapping(let m):
            kind = .mapping(m.map { (k, v) in (k.string ?? "\(k)", LocatedNode(yaml: v)) })
        case .sequence(let s):
            kind = .sequence(s.map { LocatedNode(yaml: $0) })
        case .alias:
            kind = .scalar(.null)
        }
    }

    /// From a JSON value, every node at `line`.
    public init(json: EvalJSON, line: Int?) {
        self.line = line
        switch json {
        case .object(let pairs): kind = .mapping(pairs.map { ($0.0, LocatedNode(json: $0.1, line: line)) })
        case .array(let items): kind = .sequence(items.map { LocatedNode(json: $0, line: line) })
        default: kind = .scalar(json)
        }
    }

    public var json: EvalJSON {
        switch kind {
        case .scalar(let v): return v
        case .mapping(let pairs): return .object(pairs.map { ($0.0, $0.1.json) })
        case .sequence(let items): return .array(items.map(\.json))
        }
    }

    public var mapping: [(String, LocatedNode)]? { if case .mapping(let m) = kind { return m }; return nil }
    public var sequence: [LocatedNode]? { if case .sequence(let s) = kind { return s }; return nil }
    public var scalar: EvalJSON? { if case .scalar(let v) = kind { return v }; return nil }
    public var string: String? { if case .scalar(.string(let s)) = kind { return s }; return nil }
    public var number: Double? { if case .scalar(.number(let d)) = kind { return d }; return nil }
    public var bool: Bool? { if case .scalar(.bool(let b)) = kind { return b }; return nil }
    /// Scalars of any type as text (YAML `max_tokens: 12` and `stop: ["12"]` both read).
    public var text: String? { scalar.map(\.plainText) }

    public var typeDescription: String {
        switch kind {
        case .scalar(let v): return v.typeName
        case .mapping: return "mapping"
        case .sequence: return "list"
        }
    }
}
