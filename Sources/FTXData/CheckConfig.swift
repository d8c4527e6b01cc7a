import FTXCore

/// The checks `ftx data check` runs; the raw values are the names used by flags and config files.
public enum CheckName: String, CaseIterable, Codable, Sendable {
    case exactDuplicates = "exact-duplicates"
    case nearDuplicates = "near-duplicates"
    case contradictions
    case jsonMix = "json-mix"               // some outputs JSON, others not
    case jsonShape = "json-shape"           // JSON outputs with differing keys / value types
    case casing                             // first-letter casing against the dominant convention
    case trailingWhitespace = "trailing-whitespace" // trailing newline / space conventions
    case lengthOutliers = "length-outliers"
    case emptyOutputs = "empty-outputs"
    case systemPrompts = "system-prompts"   // more than one system prompt (or some missing)
    case leakage                            // valid/test inputs found (nearly) in train
    case truncation                         // examples longer than max_seq_length tokens

    public var isStyle: Bool {
        switch self {
        case .jsonMix, .jsonShape, .casing, .trailingWhitespace, .lengthOutliers, .emptyOutputs, .systemPrompts: return true
        default: return false
        }
    }
}

public enum Severity: String, Codable, Sendable, CaseIterable {
    case error, warn, off
}

/// Thresholds and severities of `ftx data check` (flags override a config file, which overrides defaults).
public struct DataCheckConfig: Sendable, Equatable {
    public var severities: [CheckName: Severity] = DataCheckConfig.defaultSeverities
    /// Jaccard similarity (word 3-shingles of normalized text) at or above which two examples are near duplicates.
    public var nearDuplicateThreshold: Double = 0.8
    public var minhashPermutations: Int = 128
    /// Modified z-score (median/MAD of log length) beyond which an output length is an outlier.
    public var lengthOutlierZ: Double = 3.5
    /// A style convention is reported when the examples breaking it are at most this share.
    public var styleMinorityShare: Double = 0.25
    /// Token limit for the truncation check (needs a token counter).
    public var maxSeqLength: Int?
    public var maxLineBytes: Int = LineReader.defaultMaxLineBytes

    public static let defaultSeverities: [CheckName: Severity] = {
        var s: [CheckName: Severity] = [:]
        for c in CheckName.allCases { s[c] = .warn }
        s[.contradictions] = .error
        s[.leakage] = .error
        return s
    }()

    public init() {}

    public func severity(_ c: CheckName) -> Severity { severities[c] ?? .warn }

    /// Applies "name=level" settings (flags); "all=off" and "style=…" address groups.
    public mutating func apply(severitySpec spec: String) throws {
        let parts = spec.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else {
            throw DataError.invalidArgument("severity \"\(spec)\" is not NAME=LEVEL", hint: "e.g. --severity near-duplicates=error")
        }
        guard let level = Severity(rawValue: parts[1].lowercased()) else {
            throw DataError.invalidArgument("unknown severity \"\(parts[1])\"", hint: "use error, warn or off")
        }
        try set(parts[0], level)
    }

    public mutating func set(_ name: String, _ level: Severity) throws {
        switch name {
        case "all": for c in CheckName.allCases { severities[c] = level }
        case "style": for c in CheckName.allCases where c.isStyle { severities[c] = level }
        default:
            guard let c = CheckName(rawValue: name) else {
                let names = ["all", "style"] + CheckName.allCases.map(\.rawValue)
                throw DataError.invalidArgument("unknown check \"\(name)\"",
                                                hint: DidYouMean.suggest(name, names).map { "did you mean \($0)?" } ?? "checks: \(names.joined(separator: ", "))")
            }
            severities[c] = level
        }
    }

    public func validate() throws {
        guard nearDuplicateThreshold > 0 && nearDuplicateThreshold <= 1 else {
            throw DataError.invalidArgument("near-duplicate threshold must be in (0, 1]", hint: "the default is 0.8")
        }
        guard minhashPermutations >= 8 && minhashPermutations <= 1024 else {
            throw DataError.invalidArgument("MinHash permutations must be between 8 and 1024", hint: "the default is 128")
        }
        guard lengthOutlierZ > 0 else { throw DataError.invalidArgument("length outlier z must be positive", hint: nil) }
        guard styleMinorityShare > 0 && styleMinorityShare < 1 else {
            throw DataError.invalidArgument("style minority share must be in (0, 1)", hint: "the default is 0.25")
        }
        if let m = maxSeqLength, m <= 0 { throw DataError.invalidArgument("max sequence length must be positive", hint: nil) }
        guard maxLineBytes > 0 else { throw DataError.invalidArgument("max line bytes must be positive", hint: nil) }
    }
}
