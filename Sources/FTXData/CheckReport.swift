import Foundation

/// One problem found by a check, naming every example involved.
public struct Finding: Codable, Sendable, Equatable {
    public var message: String
    public var locations: [String]          // "file:line" of each example involved
    public var details: [String: String]?

    public init(message: String, locations: [String], details: [String: String]? = nil) {
        self.message = message
        self.locations = locations
        self.details = details
    }
}

public enum CheckStatus: String, Codable, Sendable {
    case pass, warn, fail, off
}

public struct CheckResult: Codable, Sendable {
    public var name: String
    public var severity: Severity
    public var status: CheckStatus
    public var summary: String
    public var examplesAffected: Int
    public var findings: [Finding]
}

public struct FileSummary: Codable, Sendable {
    public var path: String
    public var role: SplitRole
    public var format: ExampleFormat
    public var examples: Int
}

public struct DistributionSummary: Codable, Sendable, Equatable {
    public var count: Int
    public var min: Double
    public var median: Double
    public var mean: Double
    public var p95: Double
    public var max: Double

    public static func of(_ values: [Double]) -> DistributionSummary? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        func q(_ p: Double) -> Double { s[Swift.min(s.count - 1, Int((p * Double(s.count - 1)).rounded()))] }
        let median = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        return DistributionSummary(count: s.count, min: s[0], median: median,
                                   mean: s.reduce(0, +) / Double(s.count), p95: q(0.95), max: s[s.count - 1])
    }
}

public struct TokenStatistics: Codable, Sendable {
    public var tokens: DistributionSummary
    public var maxSeqLength: Int?
    public var overMaxSeqLength: Int?
    public var shareOverMaxSeqLength: Double?
}

public struct DataCheckReport: Codable, Sendable {
    public var files: [FileSummary]
    public var examples: Int
    public var nearDuplicateThreshold: Double
    public var minhash: MinHashParams
    public var checks: [CheckResult]
    public var tokenStatistics: TokenStatistics?
    /// True when a check whose severity is `error` found something (the CLI exits 1).
    public var failed: Bool

    public func check(_ name: CheckName) -> CheckResult? { checks.first { $0.name == name.rawValue } }

    public func jsonData() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try enc.encode(self)
    }
}
