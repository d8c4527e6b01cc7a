import Foundation
import FTXCore
import FTXData
import FTXTrain
@testable import FTXRegistry

/// YAML configs: the input read as a training config (`ftx train -c`), a data-check config
/// (`ftx data check --config`) and a run config (`ftx run -c`: training defaults, data splits,
/// eval suite and gates). The files a config may name (train.jsonl, valid.jsonl, test.jsonl,
/// suite.yaml, cases.jsonl) exist beside it. Property: the config.yaml a run commits reads back to
/// the same text (determinism of ConfigYAML).
enum ConfigTarget {
    static let target = FuzzTarget(name: "config", run: run)

    static let directory: String = {
        let dir = Scratch.directory("config")
        let row = Data(#"{"prompt": "a", "completion": "b"}"#.utf8 + [10])
        for f in ["train.jsonl", "valid.jsonl", "test.jsonl", "cases.jsonl"] { Scratch.write(row, to: dir + "/" + f) }
        Scratch.write(Data("cases: cases.jsonl\n".utf8), to: dir + "/suite.yaml")
        return dir
    }()

    static func run(_ data: Data) {
        let path = directory + "/config.yaml"
        Scratch.write(data, to: path)
        _ = attempt { try TrainConfig.parse(String(decoding: data, as: UTF8.self), file: path) }
        var check = DataCheckConfig()
        _ = attempt { try check.load(yamlFile: path) }
        var loader = RunConfigLoader(workingDirectory: directory, resolver: TrainConfigResolver())
        guard let plan = attempt({ try loader.load(path: path, overrides: [], message: nil) }) else { return }
        guard let again = (try? YAMLDocument.load(plan.configYAML, file: "config.yaml")) as? [String: Any] else {
            FuzzCheck.fail("the committed config.yaml does not read back as a mapping:\n\(plan.configYAML)")
        }
        let second = ConfigYAML.emit(again)
        if second != plan.configYAML {
            FuzzCheck.fail("config.yaml is not stable when read back:\n\(plan.configYAML)\n---\n\(second)")
        }
    }
}
