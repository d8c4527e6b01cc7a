import Foundation
import FTXStore
import FTXTestSupport
import XCTest
@testable import FTXRegistry

final class DeployTests: XCTestCase {
    /// The adapter files of a commit, by name.
    func adapterFiles(_ p: Project, _ rev: String) throws -> [String: Data] {
        let c = try p.registry.commit(rev)
        let adapter = try XCTUnwrap(p.registry.entry("adapter", in: c.commit))
        var out: [String: Data] = [:]
        for (path, e) in try p.registry.repo.flatten(tree: adapter.id) {
            out[path] = try p.registry.readFile(try TreeEntry(name: "x", kind: e.kind, id: e.id))
        }
        return out
    }

    func deployedFiles(_ p: Project, _ env: String) throws -> [String: Data] {
        let dir = p.registry.deployDirectory + "/" + env
        var out: [String: Data] = [:]
        for n in try FileManager.default.contentsOfDirectory(atPath: dir) where n != Registry.deployManifestName {
            out[n] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + n))
        }
        return out
    }

    func testDeployThenRollbackRestoresTheEarlierAdapterBytes() throws {
        let p = try Project()
        let a = try p.run(message: "A").commit
        let b = try p.run(["lora_r=16"], message: "B").commit
        XCTAssertNotEqual(try adapterFiles(p, a.hex), try adapterFiles(p, b.hex))

        try p.registry.deploy(revision: a.hex, env: "prod")
        XCTAssertEqual(try deployedFiles(p, "prod"), try adapterFiles(p, a.hex))
        let d = try p.registry.deploy(revision: "HEAD", env: "prod", reason: "better recall")
        XCTAssertEqual(d.previous, a)
        XCTAssertEqual(try deployedFiles(p, "prod"), try adapterFiles(p, b.hex))

        let r = try p.registry.rollback(env: "prod")
        XCTAssertEqual(r.commit, a)
        XCTAssertEqual(try p.registry.repo.refs.resolve("refs/deploy/prod").id, a)
        XCTAssertEqual(try deployedFiles(p, "prod"), try adapterFiles(p, a.hex))
        // The manifest names what is deployed; no temp directories are left behind.
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath:
            p.registry.deployDirectory + "/prod/" + Registry.deployManifestName))) as? [String: Any]
        XCTAssertEqual(manifest?["commit"] as? String, a.hex)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: p.registry.deployDirectory).filter { !$0.hasPrefix(".prod.lock") }, ["prod"])

        // History: newest first, who/when/why.
        let h = try p.registry.deployHistory(env: "prod")
        XCTAssertEqual(h.map(\.new), [a, b, a])
        XCTAssertTrue(h[0].message.hasPrefix("rollback prod to prod@{1}"), h[0].message)
        XCTAssertTrue(h[1].message.contains("reason: better recall"))
        // `prod@{2}` is the store's reflog syntax: deploying it is the same rollback.
        try p.registry.deploy(revision: "prod@{1}", env: "prod")
        XCTAssertEqual(try deployedFiles(p, "prod"), try adapterFiles(p, b.hex))
        XCTAssertEqual(try p.registry.deployEnvironment(of: "prod@{2}"), "prod")
        XCTAssertNil(try p.registry.deployEnvironment(of: "main@{1}"))
        XCTAssertNil(try p.registry.deployEnvironment(of: "prod"))
        let list = try p.registry.deployments()
        XCTAssertEqual(list.map(\.env), ["prod"])
        XCTAssertEqual(list.first?.commit, b)
    }

    func testDeployRejectsBadInputs() throws {
        let p = try Project()
        XCTAssertThrowsError(try p.registry.deploy(revision: "HEAD", env: "prod"), "no commits yet")
        try p.run()
        XCTAssertThrowsError(try p.registry.deploy(revision: "HEAD", env: "../etc"))
        XCTAssertThrowsError(try p.registry.deploy(revision: "nosuchrev", env: "prod"))
        XCTAssertThrowsError(try p.registry.rollback(env: "staging")) { e in
            guard case RegistryError.unknownEnvironment = e else { return XCTFail("\(e)") }
        }
        try p.registry.deploy(revision: "HEAD", env: "prod")
        XCTAssertThrowsError(try p.registry.rollback(env: "prod"), "prod has no earlier deployment")
        XCTAssertTrue(FileManager.default.fileExists(atPath: p.registry.deployDirectory + "/prod/adapter_model.safetensors"))
    }
}
