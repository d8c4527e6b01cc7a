import FTXCore
import Foundation

extension DataCheckConfig {
    static let fileKeys = ["severity", "near_duplicate_threshold", "minhash_permutations", "length_outlier_z",
                           "style_minority_share", "max_seq_length", "max_line_bytes"]

    /// Reads a YAML config (see docs/data.md). Unknown keys are errors with a did-you-mean.
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
            throw DataError.config(path: path, detail: "expected a mapping at the top level")
        }
        for key in root.keys.sorted() where !Self.fileKeys.contains(key) {
            let hint = DidYouMean.suggest(key, Self.fileKeys).map { " (did you mean \($0)?)" } ?? ""
            throw DataError.config(path: path, detail: "unknown key \"\(key)\"\(hint)")
        }
        func number(_ k: String) throws -> Double? {
            guard let v = root[k] else { return nil }
            if let d = v as? Double { return d }
            if let i = v as? Int { return Double(i) }
            throw DataError.config(path: path, detail: "\(k) must be a number")
        }
        func integer(_ k: String) throws -> Int? {
            guard let v = root[k] else { return nil }
            if let i = v as? Int { return i }
            throw DataError.config(path: path, detail: "\(k) must be an integer")
        }
        if let v = try number("near_duplicate_threshold") { nearDuplicateThreshold = v }
        if let v = try integer("minhash_permutations") { minhashPermutations = v }
        if let v = try number("length_outlier_z") { lengthOutlierZ = v }
        if let v = try number("style_minority_share") { styleMinorityShare = v }
        if let v = try integer("max_seq_length") { maxSeqLength = v }
        if let v = try integer("max_line_bytes") { maxLineBytes = v }
        if let sev = root["severity"] {
            guard let map = sev as? [String: Any] else { throw DataError.config(path: path, detail: "severity must be a mapping of check: level") }
            for (name, level) in map.sorted(by: { $0.key < $1.key }) {
                // YAML 1.1 reads a bare `off` as false.
                let spelled = (level as? Bool) == false ? "off" : (level as? String)
                guard let s = spelled, let lv = Severity(rawValue: s.lowercased()) else {
                    throw DataError.config(path: path, detail: "severity of \(name) must be error, warn or off")
                }
                do { try set(name, lv) } catch let e as DataError {
                    throw DataError.config(path: path, detail: e.message + (e.hint.map { " (\($0))" } ?? ""))
                }
            }
        }
        do { try validate() } catch let e as DataError { throw DataError.config(path: path, detail: e.message) }
    }
}
