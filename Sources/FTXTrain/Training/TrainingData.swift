import Foundation
import FTXData
import FTXModel

/// Train/valid examples encoded up front (so every data error surfaces before the first step),
/// with the per-epoch order and micro-batch plan.
public struct TrainingData {
    public let train: [EncodedExample]
    public let valid: [EncodedExample]
    public let skipped: Int
    public let fingerprint: String

    /// Reads and encodes; the first bad line is an error naming file:line.
    public static func load(config c: TrainConfig, tokenizer: Tokenizer, chatTemplate: ChatTemplate?) throws -> TrainingData {
        let enc = ExampleEncoder(tokenizer: tokenizer, chatTemplate: chatTemplate, trainOnInputs: c.trainOnInputs,
                                 maxSeqLength: c.maxSeqLength, longSequences: c.longSequences)
        var skipped = 0
        func read(_ relative: String) throws -> [EncodedExample] {
            let path = c.resolve(relative)
            guard FileManager.default.fileExists(atPath: path) else {
                throw TrainError.data("dataset not found", at: path)
            }
            var out: [EncodedExample] = []
            try ExampleReader.forEach(path: path) { e in
                if let x = try enc.encode(e) { out.append(x) } else { skipped += 1 }
            }
            guard !out.isEmpty else { throw TrainError.data("no usable examples", at: path) }
            return out
        }
        let train = try read(c.dataTrain)
        let valid = try c.dataValid.map(read) ?? []
        var chunks: [Data] = []
        for e in train + valid {
            e.tokens.withUnsafeBufferPointer { chunks.append(Data(buffer: $0)) }
            chunks.append(Data(e.trained.map { $0 ? 1 : 0 }))
        }
        return TrainingData(train: train, valid: valid, skipped: skipped, fingerprint: fnv1a(chunks))
    }

    public init(train: [EncodedExample], valid: [EncodedExample], skipped: Int = 0, fingerprint: String = "") {
        self.train = train; self.valid = valid; self.skipped = skipped; self.fingerprint = fingerprint
    }

    /// The shuffled order of epoch `e` (a pure function of seed and epoch).
    public func order(epoch: Int, seed: Int, shuffle: Bool = true) -> [Int] {
        var idx = Array(0..<train.count)
        if !shuffle { return idx }
        var rng = TrainRNG(seed: UInt64(seed) &* 0x9E37_79B9 ^ UInt64(epoch + 1) &* 0xD1B5_4A32_D192_ED03)
        rng.shuffle(&idx)
        return idx
    }
}
