import FTXCore
import Foundation
import Yams

extension TrainConfig {
    /// The config with every path it reads made absolute (data splits, a base_model file, and
    /// eval.suite), so the resolved `config.yaml` written into output_dir works from wherever it is
    /// read: `ftx train -c out/config.yaml`. A base_model that is not a file (a registered base's
    /// name, or a model the caller preloaded) keeps its name. output_dir stays as given: it is
    /// relative to the working directory.
    public var rebased: TrainConfig {
        var c = self
        c.dataTrain = absolute(dataTrain)
        c.dataValid = dataValid.map(absolute)
        c.dataTest = dataTest.map(absolute)
        if baseModelPath == nil, FileManager.default.fileExists(atPath: resolve(baseModel)) { c.baseModel = absolute(baseModel) }
        if let eval { c.eval = rebasedEval(eval) }
        return c
    }

    /// `resolve`d against the working directory too (the config's directory may be relative), normalised.
    func absolute(_ path: String) -> String { URL(fileURLWithPath: resolve(path)).standardizedFileURL.path }

    /// eval.suite made absolute in the opaque eval section (left as it is when it does not parse:
    /// the eval module reports that).
    private func rebasedEval(_ text: String) -> String {
        guard let node = try? YAMLDocument.compose(text, file: "eval"), let map = node.mapping,
              let suite = map["suite"]?.string, !suite.hasPrefix("/") else { return text }
        var pairs: [(Node, Node)] = []
        for (k, v) in map { pairs.append((k, k.string == "suite" ? Node(absolute(suite)) : v)) }
        return (try? Yams.serialize(node: Node.mapping(Node.Mapping(pairs)))) ?? text
    }
}
