import Foundation
import FTXEval
import FTXRegistry
import FTXStore
import FTXTestSupport

/// A repository of hand-made run commits (no training, no model): each run's tree holds what
/// `ftx run` records — config.yaml, data splits, train/log.jsonl, eval/report.json, adapter/ —
/// so the ui pages read them exactly as they read real runs.
struct UIPagesFixture {
    let root: URL
    let registry: Registry
    private var clock: Int64 = 1_765_000_000

    init() throws {
        root = TestSupport.makeTempDir("ftx-ui-pages")
        registry = Registry(repo: try Repository.initialize(at: root.path))
    }

    static func rows(_ range: Range<Int>) -> String {
        range.map { "{\"prompt\": \"q\($0)\", \"completion\": \"a\($0)\"}\n" }.joined()
    }

    /// A run commit: `passing` of its 10 eval cases pass, `lr` goes in the config, the train loss
    /// falls from `loss0` over 5 steps (with one valid-loss line), `train` is the train split.
    @discardableResult
    mutating func run(_ message: String, lr: Double, passing: Int, loss0: Double, train: String,
                      gates: GateStatus = .passed) throws -> ObjectID {
        let cases = (0..<10).map { i in
            CaseReport(id: "c\(i)", prompt: "p\(i)", expected: "e\(i)", output: i < passing ? "e\(i)" : "x\(i)",
                       pass: i < passing, score: i < passing ? 1 : 0, exactMatch: i < passing)
        }
        let report = EvalReport(suite: .init(name: "fake", sha256: "suite", casesSHA256: "cases"),
                                model: ModelIdentity(name: "tiny", adapter: message), cases: cases, metrics: EvalMetrics(cases: cases))
        var log = (1...5).map { "{\"loss\":\(loss0 / Double($0)),\"lr\":\(lr),\"step\":\($0)}\n" }.joined()
        log += "{\"step\":5,\"valid_loss\":\(loss0 / 4)}\n"
        let tree = try registry.writeTree([
            "config.yaml": .bytes(Data("base_model: tiny.gguf\nlearning_rate: \(lr)\nlora_r: 8\nseed: 7\n".utf8)),
            "data": .tree(["train.jsonl": .bytes(Data(train.utf8)), "test.jsonl": .bytes(Data(Self.rows(100..<110).utf8))]),
            "train": .tree(["log.jsonl": .bytes(Data(log.utf8))]),
            "eval": .tree(["report.json": .bytes(try report.jsonData())]),
            "adapter": .tree(["adapter_config.json": .bytes(Data("{\"r\": 8, \"run\": \"\(message)\"}".utf8))]),
        ], importer: FileImporter(store: registry.repo.objects))
        var header = RunHeader()
        header.baseName = "tiny"
        header.gateStatus = gates
        header.metrics = ["pass_rate": Double(passing) / 10]
        clock += 60
        return try registry.commitRun(tree: tree, message: message, headers: header.headers,
                                      author: Signature(ident: "Ada <ada@example.com>", time: clock))
    }

    func write(_ rel: String, _ text: String) throws {
        let url = root.appendingPathComponent(rel)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
}
