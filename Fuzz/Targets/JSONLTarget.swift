import Foundation
import FTXData

/// JSONL datasets as `ftx data check` and training read them: the JSON parser on the whole input,
/// the streaming reader (line splitting, UTF-8 validation, example shapes), then every data check
/// with the file as both train and test split (so leakage runs too).
enum JSONLTarget {
    static let target = FuzzTarget(name: "jsonl", run: run)

    static func run(_ data: Data) {
        data.withUnsafeBytes { raw in
            _ = try? JSONParser.parse(raw.bindMemory(to: UInt8.self))
        }
        let dir = Scratch.directory("jsonl")
        let path = dir + "/rows.jsonl"
        Scratch.write(data, to: path)
        let options = ReadOptions(maxLineBytes: 1 << 16, blockSize: 1 << 12)
        guard attempt({ try ExampleReader.readAll(path: path, options: options) }) != nil else { return }
        var check = DataChecker.Options()
        check.config.maxLineBytes = 1 << 16
        check.tokenCounter = { $0.utf8.count / 4 }
        check.config.maxSeqLength = 64
        _ = attempt { try DataChecker.check([DatasetInput(path: path, role: .train), DatasetInput(path: path, role: .test)], options: check) }
    }
}
