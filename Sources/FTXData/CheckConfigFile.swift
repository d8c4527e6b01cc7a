import FTXCore
import Foundation

extension DataCheckConfig {
    static let fileKeys = ["severity", "near_duplicate_threshold", "minhash_permutations", "length_outlier_z",
                           "style_minority_share", "max_seq_length", "max_line_bytes"]

    /// Reads a YAML config (see docs/data.md). Unknown keys are errors with a did-you-mean; every
    /// error names the file and the line of the key.
    public mutating func load(yamlFile path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DataError.config(path: path, detail: "cannot read the file")
        }
        let node: Any?
        do { node = try YAMLDocument.load(text, file: path) } catch let e as YAMLError {
            throw DataError.config(path: e.location ?? path, detail: e.problem)
        }
        guard let root = node as? [String: Any] else {
            if node == nil { return }
            throw DataError.config(path: "\(path):1", detail: "expected a mapping at the top level")
        }
        let lines = try YAMLDocument.keyLines(text, file: path)
        func at(_ key: String) -> String { lines[key].map { "\(path):\($0)" } ?? path }
        for key in root.keys.sorted(by: { (lines[$0] ?? 0, $0) < (lines[$1] ?? 0, $1) }) where !Self.fileKeys.contains(key) {
            let hint = DidYouMean.suggest(key, Self.fileKeys).map { " (did you mean \($0)?)" } ?? ""
            throw DataError.config(path: at(key), detail: "unknown key \"\(key)\"\(hint)")
        }
        func number(_ k: String) throws -> Double? {
            guard let v = root[k] else { return nil }
            if let d = v as? Double { return d }
            if let i = v as? Int { return Double(i) }
            throw DataError.config(path: at(k), detail: "\(k) must be a number")
        }
        func integer(_ k: String) throws -> Int? {
            guard let v = root[k] else { return nil }
            if let i = v as? Int { return i }
            throw DataError.config(path: at(k), detail: "\(k) must be an integer")
        }
        // Each value is checked as it is set (the defaults are valid), so a range error names its key.
        func checked(_ k: String) throws {
            do { try validate() } catch let e as DataError { throw DataError.config(path: at(k), detail: e.message) }
        }
        if let v = try number("near_duplicate_threshold") { nearDuplicateThreshold = v; try checked("near_duplicate_threshold") }
        if let v = try integer("minhash_permutations") { minhashPermutations = v; try checked("minhash_permutations") }
        if let v = try number("length_outlier_z") { lengthOutlierZ = v; try checked("length_outlier_z") }
        if let v = try number("style_minority_share") { styleMinorityShare = v; try checked("style_minority_share") }
        if let v = try integer("max_seq_length") { maxSeqLength = v; try checked("max_seq_length") }
        if let v = try integer("max_line_bytes") { maxLineBytes = v; try checked("max_line_bytes") }
        if let sev = root["severity"] {
            guard let map = sev as? [String: Any] else {
                throw DataError.config(path: at("severity"), detail: "severity must be a mapping of check: level")
            }
            for (name, level) in map.sorted(by: { $0.key < $1.key }) {
                // YAML 1.1 reads a bare `off` as false.
                let spelled = (level as? Bool) == false ? "off" : (level as? String)
                guard let s = spelled, let lv = Severity(rawValue: s.lowercased()) else {
                    throw DataError.config(path: at("severity.\(name)"), detail: "severity of \(name) must be error, warn or off")
                }
                do { try set(name, lv) } catch let e as DataError {
                    throw DataError.config(path: at("severity.\(name)"), detail: e.message + (e.hint.map { " (\($0))" } ?? ""))
                }
            }
        }
    }
}
