import ArgumentParser

enum DataCommands {
    static let all: [ParsableCommand.Type] = [DataCommand.self]
}

/// `ftx data …`: dataset hygiene before any training (see docs/data.md).
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Check, clean, split and summarize JSONL datasets (chat, completion, text).",
        discussion: reflow("""
        Formats (one JSON object per line):
          chat        {"messages":[{"role":"user","content":"…"},
                       {"role":"assistant","content":"…"}]}
          completion  {"prompt":"…","completion":"…"}
          text        {"text":"…"}

        Typical use:
          ftx data check data/all.jsonl         duplicates, contradictions, style drift
          ftx data clean data/all.jsonl --out data/clean.jsonl
          ftx data split data/clean.jsonl --valid 0.1 --test 0.1 --seed 1
          ftx data check data/train.jsonl data/valid.jsonl data/test.jsonl  # + leakage
          ftx data stats data/train.jsonl
        """),
        subcommands: [DataCheckCommand.self, DataCleanCommand.self, DataSplitCommand.self, DataStatsCommand.self]
    )
}
