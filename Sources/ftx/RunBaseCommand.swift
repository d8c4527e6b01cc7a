import ArgumentParser
import Foundation
import FTXCore
import FTXRegistry

struct RunBaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "base",
        abstract: "Register and list base models (GGUF files identified by their content).",
        discussion: reflow("""
        A registered base is stored in the object store (chunked, so versions share bytes) or,
        with --link, recorded by path, size and id only. `base` in revisions means the default
        registered base with no adapter (e.g. `ftx diff base HEAD`). Runs name a base by name or
        id and refuse a file whose bytes no longer match.

        Examples:
          ftx base add models/SmolLM2-135M-Instruct.Q4_1.gguf
          ftx base add /data/llama.gguf --name llama --link --default
          ftx base list --json
          ftx base verify
        """),
        subcommands: [Add.self, List.self, Verify.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a GGUF base model.")
        @Argument(help: "The .gguf file.") var file: String
        @Option(help: "Name to refer to it by (default: the file name without .gguf).") var name: String?
        @Flag(help: "Keep only path, size and id; do not copy the bytes into the store.") var link = false
        @Flag(name: .customLong("default"), help: "Make it the base that `base` names.") var makeDefault = false
        @Flag(help: "Machine-readable output.") var json = false

        func run() throws {
            let registry = try Registry.discover()
            let b = try BaseRegistry(registry: registry).add(file: file, name: name, link: link,
                                                             makeDefault: makeDefault ? true : nil)
            if json { try RunOutput.json(RunBaseCommand.describe(b, isDefault: BaseRegistry(registry: registry).defaultName() == b.name)) }
            else { print("base \(b.name): \(b.id.prefix(12)) (\(b.size) bytes\(b.linked ? ", linked to \(b.path)" : ", stored"))") }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered base models.")
        @Flag(help: "Machine-readable output.") var json = false

        func run() throws {
            let bases = BaseRegistry(registry: try Registry.discover())
            let all = try bases.list(), def = bases.defaultName()
            if json { return try RunOutput.json(all.map { RunBaseCommand.describe($0, isDefault: $0.name == def) }) }
            if all.isEmpty { print("no base models (ftx base add FILE.gguf)"); return }
            print(RunOutput.table(["", "NAME", "ID", "SIZE", "STORAGE"], all.map {
                [$0.name == def ? "*" : "", $0.name, String($0.id.prefix(12)), String($0.size), $0.linked ? "link \($0.path)" : "stored"]
            }), terminator: "")
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

    static func describe(_ b: BaseRegistry.Base, isDefault: Bool) -> [String: Any] {
        ["name": b.name, "id": b.id, "size": b.size, "path": b.path, "linked": b.linked, "default": isDefault,
         "commit": b.commit.hex]
    }
}
