import Foundation

/// One micro-batch: `batch` sequences of `seqLen` rows (right-padded). targets[r] is the token row r
/// must predict, or −1 (prompt, padding, last position). positions restart at each packed segment and
/// keyStart[r] is the first row (within its sequence) that row r may attend to.
public struct TokenBatch: Equatable, Sendable {
    public var batch: Int, seqLen: Int
    public var tokens: [Int32], targets: [Int32], positions: [Int32], keyStart: [Int32]

    public init(batch: Int, seqLen: Int, tokens: [Int32], targets: [Int32], positions: [Int32]? = nil, keyStart: [Int32]? = nil) {
        self.batch = batch; self.seqLen = seqLen; self.tokens = tokens; self.targets = targets
        self.positions = positions ?? (0..<(batch * seqLen)).map { Int32($0 % seqLen) }
        self.keyStart = keyStart ?? [Int32](repeating: 0, count: batch * seqLen)
    }
    public var rows: Int { batch * seqLen }
    public var targetCount: Int { targets.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) } }
}
