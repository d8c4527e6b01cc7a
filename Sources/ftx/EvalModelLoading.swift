import FTXEval

/// Opens the model `ftx eval` runs on. The engine adapter (LlamaEvalModel) is wired in here once
/// FTXModel provides batched generation and scoring.
enum EvalModelLoading {
    static func load(model: String, adapter: String?) throws -> EvalModel {
        throw EvalError.model("this build has no inference engine for evaluation yet",
                              hint: "`ftx diff` works on report files; `ftx eval` needs FTXModel's generate/score")
    }
}
