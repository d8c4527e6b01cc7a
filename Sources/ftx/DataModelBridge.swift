import FTXData

/// Where `--model` turns into a token counter. The model engine's loader (`LlamaModel.load(path:)`)
/// is not in this build yet, so `--model` reports that clearly instead of guessing.
enum DataModelBridge {
    static func tokenCounter(modelPath: String) throws -> (String) -> Int {
        throw DataError.invalidArgument("--model is not available yet: this build has no model loader for tokenization",
                                        hint: "run without --model; token statistics arrive with the model engine")
    }
}
