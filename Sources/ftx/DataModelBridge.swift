import FTXData
import FTXModel

/// Where `--model` turns into a token counter: FTXData never imports FTXModel, so the CLI loads the
/// GGUF's tokenizer (no weights) and hands `ftx data` a `(String) -> Int`.
enum DataModelBridge {
    static func tokenCounter(modelPath: String) throws -> (String) -> Int {
        let tokenizer = try Tokenizer.load(modelPath: modelPath)
        // Special tokens written in the data are counted as plain text, as training would see them.
        return { tokenizer.encode($0, parseSpecial: false).count }
    }
}
