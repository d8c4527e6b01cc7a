import ArgumentParser
import Foundation
import FTXCore
import FTXRegistry

struct RunReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Re-train a run from its recorded inputs and check the adapter bytes are identical.",
        discussion: reflow("""
        Uses exactly what the commit recorded: its resolved config.yaml, its data/ files and the
        base model with the recorded id (which must still be registered and match). On the same
        machine and thread count the adapter must come out bit-identical; otherwise the first
        line where the training logs diverge is shown, with any recorded-vs-now differences in
        engine version, thread count or CPU.

        Examples:
          ftx reproduce HEAD
          ftx reproduce v1 --json

        Exit status: 0 identical, 1 different, 2 errors.
        """))

    @Argument(help: "The run commit to reproduce.") var revision: String = "HEAD"
    @Flag(help: "Machine-readable output.") var json = false

    func run() throws {
        let registry = try Registry.discover()
        Interruption.install()
        let r = try registry.reproduce(revision, trainer: RunEngineWiring.trainer) {
            FileHandle.standardError.write(Data(($0 + "\n").utf8))
        }
        if json {
            var out: [String: Any] = ["commit": r.commit.hex, "identical": r.identical, "differing_files": r.differingFiles, "notes": r.notes]
            if let d = r.firstDivergence { out["first_divergence"] = ["line": d.line, "recorded": d.recorded, "reproduced": d.reproduced] }
            try JSONOutput.emit(out)
        } else if r.identical {
            print("identical: \(r.commit.short) re-trained to the same adapter bytes")
        } else {
            print("DIFFERENT: \(r.differingFiles.joined(separator: ", "))")
            if let d = r.firstDivergence {
                print("training logs first diverge at train/log.jsonl:\(d.line)")
                print("  recorded:   \(d.recorded)")
                print("  reproduced: \(d.reproduced)")
            }
        }
        for n in r.notes where !json { print("note: \(n)") }
        if !r.identical {
            throw RegistryError.notDeterministic("re-training did not reproduce the adapter bytes", location: r.commit.hex)
        }
    }
}
