import FTXData
import FTXModel

/// Constrains decoding to one JSON value: any object (`{"type":"json_object"}`) or a value that
/// fits a schema of the `JSONSchemaSubset` subset. `mask` walks the vocabulary's byte trie from
/// the automaton's current state, so each step visits only tokens whose every prefix is still valid.
public final class JSONConstraint: TokenConstraint {
    let schema: JSONConstraintSchema
    let vocab: JSONConstraintVocab
    private(set) var state: JSONGrammarState
    /// A token the automaton refused was accepted (the engine ignored the mask): only EOS remains.
    private(set) var failed = false
    private var endedByEOS = false
    private var allowed: [Int32] = []
    private var kept: [Float] = []
    /// Allowed tokens per automaton state: inside a free string the state repeats token after
    /// token, so the trie walk (the costly part) runs once per distinct state. Bounded in ids held.
    private var memo: [JSONGrammarState: [Int32]] = [:]
    private var memoIDs = 0
    static let memoLimit = 1 << 21

    /// `schema` nil = any JSON object (`{"type":"json_object"}`); otherwise the subset that
    /// `JSONSchemaSubset` validates. Throws EvalError naming the unsupported keyword for a schema
    /// outside the subset (the server turns it into a 400).
    public convenience init(tokenizer: Tokenizer, schema: JSONValue?) throws {
        try self.init(tokenizer: tokenizer, compiled: schema.map { try JSONConstraintSchema.compile($0) } ?? .anyObject)
    }

    init(tokenizer: Tokenizer, compiled: JSONConstraintSchema) throws {
        schema = compiled
        vocab = JSONConstraintVocab.shared(for: tokenizer)
        state = JSONGrammarState(root: compiled.root)
    }

    public var isComplete: Bool { state.isDone || endedByEOS }

    public func accept(_ token: Int) {
        guard !failed, !isComplete || state.isDone else { return }
        if vocab.endIDs.contains(token) {
            if state.canEnd(schema) { endedByEOS = true } else { failed = true }
            return
        }
        guard token >= 0, token < vocab.vocabSize, !vocab.bytes[token].isEmpty else { failed = true; return }
        var s = state
        for b in vocab.bytes[token] where !s.step(b, schema) { failed = true; return }
        state = s
    }

    public func mask(_ logits: UnsafeMutablePointer<Float>, vocab size: Int) {
        allowed.removeAll(keepingCapacity: true)
        if !failed && !endedByEOS {
            if let hit = memo[state] {
                allowed.append(contentsOf: hit)
            } else {
                collect(node: 0, state)
                if memoIDs + allowed.count > Self.memoLimit { memo.removeAll(); memoIDs = 0 }
                memo[state] = allowed
                memoIDs += allowed.count
            }
        }
        if failed || state.canEnd(schema) || allowed.isEmpty {
            // End tokens once the value is complete (or as the way out of a refused token).
            for id in vocab.endIDs where id < size { allowed.append(Int32(id)) }
        }
        kept.removeAll(keepingCapacity: true)
        for id in allowed where Int(id) < size { kept.append(logits[Int(id)]) }
        for i in 0..<size { logits[i] = -.infinity }
        var k = 0
        for id in allowed where Int(id) < size { logits[Int(id)] = kept[k]; k += 1 }
    }

    /// Depth-first over the trie below `node`, `s` being the state after the node's bytes.
    private func collect(node: Int32, _ s: JSONGrammarState) {
        let v = vocab
        let n = Int(node)
        for e in Int(v.firstEdge[n])..<Int(v.firstEdge[n + 1]) {
            var t = s
            guard t.step(v.edgeByte[e], schema) else { continue }
            let child = Int(v.edgeTarget[e])
            for k in Int(v.firstToken[child])..<Int(v.firstToken[child + 1]) { allowed.append(v.tokenIDs[k]) }
            collect(node: Int32(child), t)
        }
    }
}

extension JSONConstraintSchema {
    /// Checks the schema against the subset (EvalError naming the keyword), then compiles it.
    static func compile(_ schema: JSONValue) throws -> JSONConstraintSchema {
        let s = EvalJSON(schema)
        do { _ = try JSONSchemaSubset(s) } catch let e as JSONSchemaSubset.SchemaError {
            throw EvalError.other(e.message, location: "response_format", hint: e.hint)
        }
        return try JSONConstraintSchema(s)
    }
}
