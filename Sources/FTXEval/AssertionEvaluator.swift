import Foundation

/// What the model produced for one case, as assertions see it.
public struct CaseOutput {
    public var text: String
    public var outputTokens: Int
    public var latencyMs: Double
    public init(text: String, outputTokens: Int, latencyMs: Double) {
        self.text = text; self.outputTokens = outputTokens; self.latencyMs = latencyMs
    }
}

/// One assertion's verdict on one case.
public struct AssertionResult: Codable, Equatable, Sendable {
    public var type: String
    public var pass: Bool
    /// 0…1: similarity for `similar`, else 1 or 0 (inverted with `not-`).
    public var score: Double
    public var weight: Double
    /// Why it failed (or, for negated assertions, why it would have failed); nil when it passed.
    public var reason: String?
    public var metric: String?
}

public enum AssertionEvaluator {
    /// Default threshold of `similar` when none is given (promptfoo's default).
    public static let defaultSimilarThreshold = 0.75

    public static func evaluate(_ spec: AssertionSpec, output: CaseOutput, context ctx: inout CaseContext) -> AssertionResult {
        var (pass, score, reason) = check(spec, output, &ctx)
        if spec.negated {
            pass.toggle()
            score = 1 - score
            reason = pass ? nil : "output matched, but the assertion is negated"
        }
        return AssertionResult(type: spec.typeName, pass: pass, score: score, weight: spec.weight,
                               reason: pass ? nil : reason, metric: spec.metric)
    }

    static func binary(_ ok: Bool, _ why: @autoclosure () -> String) -> (Bool, Double, String?) {
        ok ? (true, 1, nil) : (false, 0, why())
    }

    static func check(_ spec: AssertionSpec, _ out: CaseOutput, _ ctx: inout CaseContext) -> (Bool, Double, String?) {
        let value: EvalJSON?
        do {
            value = try spec.value.map { try Template.resolve($0, &ctx) }
        } catch let e as Template.Unresolved {
            return (false, 0, "placeholder {{\(e.name)}} has no value for this case")
        } catch { return (false, 0, "\(error)") }
        let text = out.text
        switch spec.kind {
        case .equals:
            let want = value ?? .string(ctx.expected)
            if case .string(let s) = want {
                let a = text.trimmingCharacters(in: .whitespacesAndNewlines)
                let b = s.trimmingCharacters(in: .whitespacesAndNewlines)
                return binary(a == b, "output differs from \(short(b))")
            }
            guard let got = EvalJSON.parse(text) else { return (false, 0, "output is not JSON") }
            return binary(got == want, "JSON differs from \(clip(want.jsonText))")
        case .contains:
            let s = value?.plainText ?? ""
            return binary(text.contains(s), "output does not contain \(short(s))")
        case .icontains:
            let s = value?.plainText ?? ""
            return binary(text.lowercased().contains(s.lowercased()), "output does not contain \(short(s)) (any case)")
        case .startsWith:
            let s = value?.plainText ?? ""
            let trimmed = text.drop(while: { $0.isWhitespace })
            return binary(trimmed.hasPrefix(s), "output does not start with \(short(s))")
        case .regex:
            let pattern = value?.plainText ?? ""
            let re: NSRegularExpression
            if let c = spec.compiledRegex { re = c } else {
                guard let r = try? NSRegularExpression(pattern: pattern) else {
                    return (false, 0, "pattern \(short(pattern)) is not a valid regex for this case")
                }
                re = r
            }
            let range = NSRange(text.startIndex..., in: text)
            return binary(re.firstMatch(in: text, range: range) != nil, "output does not match /\(pattern)/")
        case .isJSON, .jsonSchema:
            guard let json = EvalJSON.parse(text) else { return (false, 0, "output is not valid JSON") }
            var schema = spec.schema
            if let v = value, Template.hasPlaceholders(spec.value ?? .null) { schema = try? JSONSchemaSubset(v) }
            if let schema, let why = schema.violation(of: json) { return (false, 0, "schema: \(why)") }
            return (true, 1, nil)
        case .jsonField:
            guard let path = spec.path else { return (false, 0, "no path") }
            guard let json = EvalJSON.parse(text) else { return (false, 0, "output is not valid JSON") }
            let want: EvalJSON
            if let v = value { want = v } else {
                guard let e = ctx.expectedJSON, let w = path.lookup(e) else {
                    return (false, 0, "expected output has no field \(path) to compare with")
                }
                want = w
            }
            guard let got = path.lookup(json) else { return (false, 0, "output has no field \(path)") }
            let same = got == want || { if case .string(let s) = want { return got.plainText == s }; return false }()
            return binary(same, "\(path) is \(clip(got.jsonText)), expected \(clip(want.jsonText))")
        case .similar:
            let ref = value?.plainText ?? ctx.expected
            let t = spec.threshold ?? defaultSimilarThreshold
            let s = Similarity.score(spec.method, hypothesis: text, reference: ref)
            return (s >= t, s, s >= t ? nil : String(format: "%@ %.3f < %.3f", spec.method.rawValue, s, t))
        case .maxTokens:
            let limit = Double(value?.plainText ?? "") ?? spec.threshold ?? 0
            return binary(Double(out.outputTokens) <= limit, "\(out.outputTokens) tokens > \(Int(limit))")
        case .latencyMs:
            let limit = Double(value?.plainText ?? "") ?? spec.threshold ?? 0
            return binary(out.latencyMs <= limit, String(format: "%.0f ms > %.0f ms", out.latencyMs, limit))
        }
    }

    /// Quoted and clipped text for reasons.
    static func short(_ s: String) -> String { "\"\(clip(s))\"" }
    static func clip(_ s: String) -> String { s.count > 60 ? String(s.prefix(57)) + "…" : s }
}
