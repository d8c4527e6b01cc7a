import Foundation
import FTXModel
import FTXStore
import FTXTestSupport
import XCTest
@testable import FTXRegistry

/// A base is its bytes: one base under any number of names, each name (and the id) usable wherever
/// `base` is; names can be given by the model itself, renamed, removed and made the default.
final class BaseNamesTests: XCTestCase {
    /// A minimal GGUF whose metadata names the model family (`general.basename`).
    func gguf(basename: String?, filler: String) -> Data {
        var w = GGUFWriter()
        w.set("general.architecture", .string("llama"))
        if let basename { w.set("general.basename", .string(basename)) }
        w.set("general.description", .string(filler))
        return Data(w.bytes())
    }

    func testDefaultNameIsTheModelsBasenameElseTheFileName() throws {
        let p = try Project()
        let bases = BaseRegistry(registry: p.registry)
        let path = p.root.path + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
        try gguf(basename: "smollm2", filler: "a").write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try bases.add(file: path).name, "smollm2")
        // No basename in the metadata (or not a parseable GGUF): the file name without .gguf.
        XCTAssertEqual(try bases.add(file: p.root.path + "/models/tiny.gguf").name, "tiny")
        // Another model of the same family does not silently replace the name: it needs --name.
        let other = p.root.path + "/models/SmolLM2-360M.gguf"
        try gguf(basename: "smollm2", filler: "other bytes").write(to: URL(fileURLWithPath: other))
        XCTAssertThrowsError(try bases.add(file: other)) { e in
            XCTAssertTrue("\(e)".contains("'smollm2' already names"), "\(e)")
            XCTAssertTrue((e as? RegistryError)?.hint?.contains("--name") == true, "\(e)")
        }
        XCTAssertEqual(try bases.add(file: other, name: "smollm2-360m").name, "smollm2-360m")
    }

    func testOneBaseUnderTwoNamesSharesItsReportsAndEveryNameIsARevision() throws {
        let p = try Project()
        try p.run(message: "one")   // registers models/tiny.gguf as `tiny` and stores its base report
        let bases = BaseRegistry(registry: p.registry)
        let tiny = try bases.base(named: "tiny")
        let alias = try bases.add(file: p.root.path + "/models/tiny.gguf", name: "smol")
        XCTAssertEqual(alias.id, tiny.id)
        XCTAssertEqual(try bases.names(ofID: tiny.id), ["smol", "tiny"])
        try bases.setDefault("smol")
        XCTAssertEqual(bases.defaultName(), "smol")
        // The report stored through `tiny` is the base's report, whichever name asks.
        XCTAssertEqual(try p.registry.diff("base", "HEAD").a.passRate, 0.2, accuracy: 1e-9)
        XCTAssertEqual(try p.registry.repo.resolveRevision("smol"), .external(name: "smol", value: tiny.id))
        for rev in ["smol", "tiny", String(tiny.id.prefix(12))] {
            XCTAssertEqual(try p.registry.diff(rev, "HEAD").a.passRate, 0.2, accuracy: 1e-9, rev)
        }
        // A branch of the same name is the branch (only `base` itself outranks refs).
        let head = try p.registry.repo.headCommit()!
        try p.registry.repo.refs.update("refs/heads/tiny", to: head, expect: .absent, who: .current(), reason: "test")
        XCTAssertEqual(try p.registry.repo.resolveRevision("tiny"), .object(head))
        XCTAssertEqual(try p.registry.diff("smol", "HEAD").a.passRate, 0.2, accuracy: 1e-9)
    }

    func testRenameRemoveAndDefault() throws {
        let p = try Project()
        try p.run(message: "one")
        let bases = BaseRegistry(registry: p.registry)
        let id = try bases.base(named: "tiny").id
        // The only name of bytes a run used cannot be removed.
        XCTAssertThrowsError(try bases.remove("tiny")) { e in
            XCTAssertTrue("\(e)".contains("used by 1 run"), "\(e)")
        }
        // Rename keeps the bytes, the reports and the default.
        try bases.rename("tiny", to: "small")
        XCTAssertEqual(try bases.list().map(\.name), ["small"])
        XCTAssertEqual(bases.defaultName(), "small")
        XCTAssertEqual(try p.registry.diff("base", "HEAD").a.passRate, 0.2, accuracy: 1e-9)
        XCTAssertThrowsError(try bases.base(named: "tiny"))
        XCTAssertThrowsError(try bases.rename("small", to: "bad name"))
        // A second name for the same bytes may go; the reports stay with the base.
        try bases.add(file: p.root.path + "/models/tiny.gguf", name: "alias")
        XCTAssertThrowsError(try bases.rename("small", to: "alias")) { e in XCTAssertTrue("\(e)".contains("already"), "\(e)") }
        let removed = try bases.remove("small")
        XCTAssertEqual(removed.id, id)
        XCTAssertEqual(try bases.list().map(\.name), ["alias"])
        XCTAssertEqual(bases.defaultName(), "alias", "the default follows the bytes to their remaining name")
        XCTAssertEqual(try p.registry.diff("base", "HEAD").a.passRate, 0.2, accuracy: 1e-9)
        XCTAssertThrowsError(try bases.remove("alias"))
        // An unused base goes, and `default` takes a name or an id.
        try p.write("models/other.gguf", "GGUF other bytes")
        let other = try bases.add(file: p.root.path + "/models/other.gguf", name: "other")
        XCTAssertEqual(try bases.setDefault(String(other.id.prefix(10))).name, "other")
        XCTAssertEqual(try bases.defaultBase().id, other.id)
        try bases.remove("other")
        XCTAssertEqual(try bases.list().map(\.name), ["alias"])
        XCTAssertEqual(try bases.defaultBase().name, "alias")
        XCTAssertThrowsError(try bases.setDefault("nosuch")) { e in
            XCTAssertTrue((e as? RegistryError)?.hint?.contains("registered base models: alias") == true, "\(e)")
        }
    }

    /// The error for an unknown name lists what is registered (as `ftx train`'s does).
    func testUnknownNameListsTheRegisteredBases() throws {
        let p = try Project()
        let bases = BaseRegistry(registry: p.registry)
        try bases.add(file: p.root.path + "/models/tiny.gguf")
        try p.write("configs/named.yaml", "base_model: smollm2\ndata: ../data/all.jsonl\n")
        XCTAssertThrowsError(try p.run(config: "configs/named.yaml")) { e in
            XCTAssertEqual((e as? RegistryError)?.message, "no registered base model named 'smollm2'")
            XCTAssertEqual((e as? RegistryError)?.hint, "registered base models: tiny")
        }
        XCTAssertEqual(try bases.find("tiny").name, "tiny")
        XCTAssertThrowsError(try bases.find("tinny")) { e in
            XCTAssertEqual((e as? RegistryError)?.hint, "did you mean 'tiny'? registered base models: tiny")
        }
    }
}
