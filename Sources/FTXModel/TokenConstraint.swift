/// Restricts which tokens may come next (structured output). Called on the decode thread only.
public protocol TokenConstraint: AnyObject {
    /// Sets to -Float.infinity the logits of every token that cannot continue a valid output
    /// (including EOS/control tokens while the output is incomplete). Called before sampling
    /// (after the repetition penalty, before temperature/top-k/top-p).
    func mask(_ logits: UnsafeMutablePointer<Float>, vocab: Int)
    /// Advances past the sampled token.
    func accept(_ token: Int)
    /// True once the output is a complete value: the engine then ends the sequence with
    /// finish reason "stop" (no EOS needed).
    var isComplete: Bool { get }
}
