/// `ftx data stats`: counts, lengths, formats and role distribution of one file, in one streaming pass.
public struct DataStatsReport: Codable, Sendable {
    public var path: String
    public var format: ExampleFormat
    public var examples: Int
    public var inputChars: DistributionSummary?
    public var outputChars: DistributionSummary?
    public var messagesPerExample: DistributionSummary?   // chat
    public var roles: [String: Int]?                      // chat: messages per role
    public var withSystemPrompt: Int?                     // chat
    public var distinctSystemPrompts: Int?                // chat
    public var emptyOutputs: Int
    public var fields: [String: Int]                      // extra top-level fields and how many examples have each
    public var tokens: DistributionSummary?               // when a token counter is given
}

public enum DataStats {
    public static func compute(path: String, read: ReadOptions = ReadOptions(),
                               tokenCounter: ((String) -> Int)? = nil) throws -> DataStatsReport {
        var inLens: [Double] = [], outLens: [Double] = [], msgCounts: [Double] = [], tokens: [Double] = []
        var roles: [String: Int] = [:], fields: [String: Int] = [:]
        var withSystem = 0, empty = 0
        var systems = Set<UInt64>()
        let format = try ExampleReader.forEachBatch(path: path, options: read, computeID: false) { examples, _, _ in
            for e in examples {
                inLens.append(Double(ExampleFeatures.scalarCount(e.input)))
                if e.format != .text {
                    let out = e.output
                    outLens.append(Double(ExampleFeatures.scalarCount(out)))
                    if out.allSatisfy(\.isWhitespace) { empty += 1 }
                }
                if e.format == .chat {
                    msgCounts.append(Double(e.messages.count))
                    for m in e.messages { roles[m.role, default: 0] += 1 }
                    if let s = e.systemPrompt { withSystem += 1; systems.insert(FastHash.string(s)) }
                }
                for k in e.fields.keys { fields[k, default: 0] += 1 }
                if let tc = tokenCounter { tokens.append(Double(tc(DatasetAnalysis.tokenText(e)))) }
            }
        }
        let chat = format == .chat
        return DataStatsReport(
            path: path, format: format, examples: inLens.count,
            inputChars: DistributionSummary.of(inLens), outputChars: DistributionSummary.of(outLens),
            messagesPerExample: chat ? DistributionSummary.of(msgCounts) : nil,
            roles: chat ? roles : nil, withSystemPrompt: chat ? withSystem : nil,
            distinctSystemPrompts: chat ? systems.count : nil, emptyOutputs: empty, fields: fields,
            tokens: DistributionSummary.of(tokens))
    }
}
