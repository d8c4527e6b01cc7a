import Foundation

/// The one way the CLI prints `--json`: sorted keys, slashes as written (`"runs/full"`, not
/// `"runs\/full"`), pretty-printed unless `compact` (one line per result, for streaming tools).
enum JSONOutput {
    static func emit(_ object: Any, compact: Bool = false) throws {
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        if !compact { options.insert(.prettyPrinted) }
        write(try JSONSerialization.data(withJSONObject: object, options: options))
    }

    static func emit<T: Encodable>(_ value: T) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        write(try enc.encode(value))
    }

    private static func write(_ data: Data) {
        fflush(stdout)   // after anything `print` buffered
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
}
