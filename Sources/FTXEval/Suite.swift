import Foundation
import FTXCore
import FTXData
import Yams

/// An eval suite: which cases, how to generate, what to assert. Loaded from YAML and fully
/// validated before any generation (see SuiteLoader / docs/eval.md).
public struct EvalSuite {
    public var name: String
    /// The suite file as given, and its SHA-256 (recorded in reports).
    public var path: String
    public var sha256: String
    /// The case file (JSONL) resolved against the suite file's directory, and as written.
    public var casesPath: String
    public var casesDeclared: String
    /// Row field holding a case's stable id; rows without it use the content hash (Example.id).
    public var idField: String
    /// Row field holding per-case assertions (a list of assertion mappings).
    public var caseAssertField: String
    public var generation: Generation
    public var assertions: [AssertionSpec]
    /// Default per-case pass threshold on the weighted score (nil: every weighted assertion must pass).
    public var threshold: Double?
    /// Evaluate only the first N cases.
    public var limit: Int?

    public struct Generation: Codable, Equatable, Sendable {
        public var maxTokens = 256
        public var temperature = 0.0
        public var topK = 0
        public var topP = 1.0
        public var seed: UInt64 = 0
        public var stop: [String] = []
        /// Render prompts through the model's chat template (true) or feed the raw input text.
        public var chatTemplate = true
        public var systemPrompt: String?
        /// Prompts per batched generate call.
        public var batchSize = 8
        /// Constrained output (OpenAI's `response_format`); nil: free text.
        public var responseFormat: ResponseFormat?
        public init() {}

        enum CodingKeys: String, CodingKey {
            case maxTokens = "max_tokens", temperature, topK = "top_k", topP = "top_p", seed, stop
            case chatTemplate = "chat_template", systemPrompt = "system_prompt", batchSize = "batch_size"
            case responseFormat = "response_format"
        }

        /// Missing keys take their defaults (reports written by other tools or older versions).
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens) ?? maxTokens
            temperature = try c.decodeIfPresent(Double.self, forKey: .temperature) ?? temperature
            topK = try c.decodeIfPresent(Int.self, forKey: .topK) ?? topK
            topP = try c.decodeIfPresent(Double.self, forKey: .topP) ?? topP
            seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
            stop = try c.decodeIfPresent([String].self, forKey: .stop) ?? stop
            chatTemplate = try c.decodeIfPresent(Bool.self, forKey: .chatTemplate) ?? chatTemplate
            systemPrompt = try c.decodeIfPresent(String.self, forKey: .systemPrompt)
            batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
            responseFormat = try c.decodeIfPresent(ResponseFormat.self, forKey: .responseFormat)
        }

        public var params: EvalGenerationParams {
            EvalGenerationParams(maxTokens: maxTokens, temperature: temperature, topK: topK, topP: topP, seed: seed, stop: stop,
                                 responseFormat: responseFormat)
        }
    }
}

public enum SuiteLoader {
    static let topKeys = ["name", "description", "cases", "id_field", "case_assert_field", "generation",
                          "assert", "threshold", "limit"]
    static let generationKeys = ["max_tokens", "temperature", "top_k", "top_p", "seed", "stop",
                                 "chat_template", "system_prompt", "batch_size", "response_format"]

    /// Loads and validates a suite file. Every problem is an EvalError naming the file and line.
    /// The path is normalised lexically first (`configs/../eval/suite.yaml` → `eval/suite.yaml`),
    /// so a report names its suite and case sources the same way however the path was reached.
    public static func load(path given: String) throws -> EvalSuite {
        let path = SlashPath.normalized(given)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EvalError.suite("cannot read suite file", file: path, line: nil,
                                  hint: FileManager.default.fileExists(atPath: path) ? "check its permissions" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw EvalError.suite("suite file is not UTF-8 text", file: path, line: nil)
        }
        let root: Node?
        do { root = try YAMLDocument.compose(text, file: path) } catch let e as YAMLError {
            throw EvalError.suite(e.problem, file: path, line: e.line)
        }
        guard let root else { throw EvalError.suite("suite file is empty", file: path, line: nil, hint: "a suite needs at least 'cases:'") }
        let node = LocatedNode(yaml: root)
        return try parse(node, path: path, sha256: SHA256.hash(data: data).hex)
    }

    static func parse(_ node: LocatedNode, path: String, sha256: String) throws -> EvalSuite {
        func fail(_ m: String, _ line: Int?, _ hint: String?) -> EvalError { .suite(m, file: path, line: line, hint: hint) }
        guard let pairs = node.mapping else {
            throw fail("a suite must be a mapping (cases:, assert:, generation:)", node.line, nil)
        }
        var fields: [String: LocatedNode] = [:]
        for (k, v) in pairs {
            guard topKeys.contains(k) else { throw fail("unknown key '\(k)'", v.line, Suggest.hint(k, in: topKeys)) }
            fields[k] = v
        }
        guard let casesNode = fields["cases"] else {
            throw fail("suite has no 'cases:'", node.line, "cases: data/test.jsonl  (a JSONL split, relative to the suite file)")
        }
        guard let declared = casesNode.string, !declared.isEmpty else {
            throw fail("'cases' must be a path to a JSONL file", casesNode.line, nil)
        }
        let casesPath = SlashPath.normalized(declared.hasPrefix("/") ? declared : SlashPath.join(SlashPath.parent(path), declared))
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: casesPath, isDirectory: &isDir), !isDir.boolValue else {
            throw fail("case file '\(declared)' not found (looked at \(casesPath))", casesNode.line,
                       "paths in a suite are relative to the suite file's directory")
        }
        let fileName = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        var suite = EvalSuite(name: fileName, path: path, sha256: sha256, casesPath: casesPath, casesDeclared: declared,
                              idField: "id", caseAssertField: "assert", generation: .init(), assertions: [],
                              threshold: nil, limit: nil)
        if let n = fields["name"] {
            guard let s = n.text else { throw fail("'name' must be a string", n.line, nil) }
            suite.name = s
        }
        for key in ["id_field", "case_assert_field"] {
            if let n = fields[key] {
                guard let s = n.string, !s.isEmpty else { throw fail("'\(key)' must be a field name", n.line, nil) }
                if key == "id_field" { suite.idField = s } else { suite.caseAssertField = s }
            }
        }
        if let t = fields["threshold"] {
            guard let d = t.number, (0...1).contains(d) else { throw fail("'threshold' must be a number between 0 and 1", t.line, nil) }
            suite.threshold = d
        }
        if let l = fields["limit"] {
            guard let d = l.number, d >= 1, d == d.rounded() else { throw fail("'limit' must be a positive integer", l.line, nil) }
            suite.limit = Int(d)
        }
        if let g = fields["generation"] { suite.generation = try parseGeneration(g, fail: fail) }
        if let a = fields["assert"] {
            guard let items = a.sequence else {
                throw fail("'assert' must be a list of assertions", a.line, "assert:\n  - type: contains\n    value: refund")
            }
            suite.assertions = try items.map { try AssertionSpec.parse($0, file: path, fail: fail) }
        }
        return suite
    }

    static func parseGeneration(_ node: LocatedNode, fail: (String, Int?, String?) -> EvalError) throws -> EvalSuite.Generation {
        guard let pairs = node.mapping else { throw fail("'generation' must be a mapping", node.line, nil) }
        var g = EvalSuite.Generation()
        for (k, v) in pairs {
            func int(_ min: Int) throws -> Int {
                guard let d = v.number, d == d.rounded(), d >= Double(min), d < 1e9 else {
                    throw fail("'\(k)' must be an integer ≥ \(min)", v.line, nil)
                }
                return Int(d)
            }
            func num(_ range: ClosedRange<Double>) throws -> Double {
                guard let d = v.number, range.contains(d) else {
                    throw fail("'\(k)' must be a number in \(range.lowerBound)…\(range.upperBound)", v.line, nil)
                }
                return d
            }
            switch k {
            case "max_tokens": g.maxTokens = try int(1)
            case "temperature": g.temperature = try num(0...10)
            case "top_k": g.topK = try int(0)
            case "top_p": g.topP = try num(0...1)
            case "seed": g.seed = UInt64(try int(0))
            case "batch_size": g.batchSize = try int(1)
            case "chat_template":
                guard let b = v.bool else { throw fail("'chat_template' must be true or false", v.line, nil) }
                g.chatTemplate = b
            case "system_prompt":
                guard let s = v.text else { throw fail("'system_prompt' must be a string", v.line, nil) }
                g.systemPrompt = s
            case "response_format":
                do {
                    let format = try ResponseFormat(json: JSONParser.parse(v.json.jsonText))
                    g.responseFormat = format == .text ? nil : format
                } catch let e as EvalError {
                    throw fail("generation.response_format: \(e.message)", v.line, e.hint)
                } catch {
                    throw fail("generation.response_format is not a JSON value", v.line, nil)
                }
            case "stop":
                if let s = v.string { g.stop = [s] }
                else if let items = v.sequence, items.allSatisfy({ $0.string != nil }) { g.stop = items.compactMap(\.string) }
                else { throw fail("'stop' must be a string or a list of strings", v.line, nil) }
            default:
                throw fail("unknown generation key '\(k)'", v.line, Suggest.hint(k, in: generationKeys))
            }
        }
        return g
    }
}
