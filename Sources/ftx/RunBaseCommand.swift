import ArgumentParser
import Foundation
import FTXCore
import FTXModel
import FTXRegistry

struct RunBaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "base",
        abstract: "Register, name and list base models (GGUF files identified by their content).",
        discussion: reflow("""
        A registered base is stored in the object store (chunked, so versions share bytes) or,
        with --link, recorded by path, size and id only. Without --name a base is named after the
        model's family in its GGUF metadata (general.basename, e.g. smollm2), else its file name.
        A base is its bytes: the same file added under a second name is the same base, with the
        same stored eval reports. `base` in revisions means the default base with no adapter
        (`ftx diff base HEAD`); any base's name or id works there too (`ftx diff smollm2 HEAD`),
        as in `base_model:` and `regression_vs:`. Runs refuse a file whose bytes no longer match.

        Examples:
          ftx base add models/SmolLM2-135M-Instruct.Q4_1.gguf     named smollm2
          ftx base add /data/llama.gguf --name llama --link --default
          ftx base list --json
          ftx base rename smollm2 smol
          ftx base default llama
          ftx base rm llama                 refused while runs use its bytes
          ftx base verify
        """),
        subcommands: [Add.self, List.self, Rename.self, Remove.self, Default.self, Verify.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a base model: a GGUF file, or a Hugging Face checkpoint folder (stored as a GGUF ftx writes).",
            discussion: reflow("""
            A checkpoint folder (config.json, *.safetensors, tokenizer.json) is written as a GGUF that \
            llama.cpp also loads, in the checkpoint's own dtype or, with --quantize, as Q8_0, Q4_1 or Q4_K \
            (rows that are not whole 256-value blocks fall back to Q5_0, as llama.cpp does); that file is \
            the stored base, and the record keeps each source file's SHA-256.

            Examples:
              ftx base add models/SmolLM2-135M-Instruct.Q4_1.gguf
              ftx base add ./Qwen2.5-0.5B-Instruct/ --quantize q8_0 --name qwen
            """))
        @Argument(help: "The .gguf file or checkpoint folder.") var file: String
        @Option(help: "For a checkpoint folder: store the projections as q8_0, q4_1 or q4_k (default: the checkpoint's dtype).")
        var quantize: String?
        @Option(help: "Name to refer to it by (default: general.basename from the GGUF metadata, else the file name without .gguf).")
        var name: String?
        @Flag(help: "Keep only path, size and id; do not copy the bytes into the store.") var link = false
        @Flag(name: .customLong("default"), help: "Make it the base that `base` names.") var makeDefault = false
        @Flag(help: "Machine-readable output.") var json = false

        func run() throws {
            let bases = BaseRegistry(registry: try Registry.discover())
            let b: BaseRegistry.Base
            if HFCheckpoint.isCheckpoint(file) {
                guard !link else { throw ValidationError("--link keeps a GGUF file in place; a checkpoint folder is converted and stored") }
                var q: GGUFModelExport.Quantization?
                if let quantize {
                    guard let t = GGUFModelExport.Quantization(rawValue: quantize.lowercased()) else {
                        throw ValidationError("--quantize \(quantize): choose one of " + GGUFModelExport.Quantization.allCases.map(\.rawValue).joined(separator: ", "))
                    }
                    q = t
                }
                b = try bases.add(checkpoint: file, name: name, quantize: q, makeDefault: makeDefault ? true : nil)
            } else {
                guard quantize == nil else { throw ValidationError("--quantize applies to a Hugging Face checkpoint folder, not a GGUF file") }
                b = try bases.add(file: file, name: name, link: link, makeDefault: makeDefault ? true : nil)
            }
            let others = try bases.names(ofID: b.id).filter { $0 != b.name }
            if json { return try JSONOutput.emit(RunBaseCommand.describe(b, bases)) }
            print("base \(b.name): \(b.id.prefix(12)) (\(b.size) bytes\(b.linked ? ", linked to \(b.path)" : ", stored"))"
                  + (others.isEmpty ? "" : "; same bytes as " + others.map { "'\($0)'" }.joined(separator: ", ")))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered base models (one row per base, with all its names).")
        @Flag(help: "Machine-readable output: one object per name, with `aliases` (other names of the same bytes).") var json = false

        func run() throws {
            let bases = BaseRegistry(registry: try Registry.discover())
            let all = try bases.list(), def = bases.defaultName()
            if json { return try JSONOutput.emit(try all.map { try RunBaseCommand.describe($0, bases) }) }
            if all.isEmpty { print("no base models (ftx base add FILE.gguf)"); return }
            var rows: [[String]] = []
            for id in all.map(\.id).reduce(into: [String](), { if !$0.contains($1) { $0.append($1) } }) {
                let names = all.filter { $0.id == id }, first = names[0]
                rows.append([names.contains { $0.name == def } ? "*" : "", names.map(\.name).joined(separator: ", "),
                             String(id.prefix(12)), String(first.size), first.linked ? "link \(first.path)" : "stored"])
            }
            print(RunOutput.table(["", "NAME", "ID", "SIZE", "STORAGE"], rows), terminator: "")
        }
    }

    struct Rename: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rename a base (its bytes, reports and default status go with it; runs find it by id).")
        @Argument(help: "The current name.") var old: String
        @Argument(help: "The new name.") var new: String

        func run() throws {
            let b = try BaseRegistry(registry: try Registry.discover()).rename(old, to: new)
            print("base \(old) renamed to \(b.name) (\(b.id.prefix(12)))")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm",
            abstract: "Remove a base's name (refused when it is the last name of bytes that runs used).")
        @Argument(help: "Base name or id.") var name: String

        func run() throws {
            let bases = BaseRegistry(registry: try Registry.discover())
            let b = try bases.remove(name)
            let left = try bases.names(ofID: b.id)
            print("removed base \(b.name) (\(b.id.prefix(12)))" + (left.isEmpty ? "" : "; the same bytes stay registered as " + left.joined(separator: ", ")))
        }
    }

    struct Default: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a base the default: the one `base` means in revisions.")
        @Argument(help: "Base name or id.") var name: String

        func run() throws {
            let b = try BaseRegistry(registry: try Registry.discover()).setDefault(name)
            print("default base: \(b.name) (\(b.id.prefix(12)))")
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check that a base model's bytes still match its id.")
        @Argument(help: "Base name or id (default: the default base).") var name: String?

        func run() throws {
            let bases = BaseRegistry(registry: try Registry.discover())
            let b = try bases.find(name ?? "base")
            let path = try bases.verifiedPath(b)
            print("base \(b.name): ok (\(path))")
        }
    }

    static func describe(_ b: BaseRegistry.Base, _ bases: BaseRegistry) throws -> [String: Any] {
        ["name": b.name, "id": b.id, "size": b.size, "path": b.path, "linked": b.linked, "default": bases.defaultName() == b.name,
         "commit": b.commit.hex, "aliases": try bases.names(ofID: b.id).filter { $0 != b.name }]
    }
}
