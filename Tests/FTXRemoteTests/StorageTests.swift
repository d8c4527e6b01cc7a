import FTXTestSupport
import Foundation
import XCTest
@testable import FTXRemote
import FTXStore

/// The two transports under the same contract: listing, ranged reads, uploads from memory and
/// from files, and compare-and-swap that exactly one of many racing writers wins.
final class StorageTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = TestSupport.makeTempDir("ftx-storage") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func s3(_ endpoint: String, bucket: String, secret: String = "storagesecret") throws -> S3Storage {
        let settings = RemoteSettings(name: "t", location: .s3(bucket: bucket, prefix: "pre/fix"), endpoint: endpoint)
        let env = try AWSEnvironment.resolve(["HOME": dir.path, "AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": secret])
        return try S3Storage(settings: settings, bucket: bucket, prefix: "pre/fix", environment: env, jobs: 4)
    }

    func exercise(_ s: RemoteStorage) throws {
        XCTAssertEqual(try s.list().count, 0)
        let file = dir.appendingPathComponent("upload.bin")
        let big = TestSupport.pseudoRandomBytes(3 << 20, seed: 2)
        try big.write(to: file)
        try s.put([RemotePut(key: "packs/meta/a b+c.pack", body: .file(path: file.path, size: big.count)),
                   RemotePut(key: "small", body: .data(Data("hello".utf8)))], progress: nil)
        let listed = try s.list()
        XCTAssertEqual(Set(listed.map(\.key)), ["packs/meta/a b+c.pack", "small"])
        XCTAssertEqual(listed.first { $0.key == "small" }?.size, 5)
        let got = try s.get([RemoteGet(key: "packs/meta/a b+c.pack", range: 1000..<1_501_000, limit: 1 << 30),
                             RemoteGet(key: "small", limit: 100), RemoteGet(key: "absent", limit: 100)], progress: nil)
        XCTAssertEqual(got[0]?.data, big.subdata(in: 1000..<1_501_000))
        XCTAssertEqual(got[1]?.data, Data("hello".utf8))
        XCTAssertNil(got[2])
        XCTAssertThrowsError(try s.get([RemoteGet(key: "packs/meta/a b+c.pack", limit: 1000)], progress: nil), "larger than the limit")

        // Compare-and-swap: create-only, then replace-only-this-version.
        XCTAssertTrue(try s.putConditional(key: "refs/heads/main", data: Data("1\n".utf8), condition: .absent))
        XCTAssertFalse(try s.putConditional(key: "refs/heads/main", data: Data("2\n".utf8), condition: .absent))
        let v1 = try XCTUnwrap(try s.get([RemoteGet(key: "refs/heads/main", limit: 100)], progress: nil)[0])
        XCTAssertTrue(try s.putConditional(key: "refs/heads/main", data: Data("3\n".utf8), condition: .version(v1.version)))
        XCTAssertFalse(try s.putConditional(key: "refs/heads/main", data: Data("4\n".utf8), condition: .version(v1.version)))

        // Eight writers race from the same version: exactly one wins.
        let v3 = try XCTUnwrap(try s.get([RemoteGet(key: "refs/heads/main", limit: 100)], progress: nil)[0])
        let wins = NSLock()
        var won: [Int] = []
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            if (try? s.putConditional(key: "refs/heads/main", data: Data("w\(i)\n".utf8), condition: .version(v3.version))) == true {
                wins.lock(); won.append(i); wins.unlock()
            }
        }
        XCTAssertEqual(won.count, 1, "winners: \(won)")
        XCTAssertEqual(try s.get([RemoteGet(key: "refs/heads/main", limit: 100)], progress: nil)[0]?.data, Data("w\(won[0])\n".utf8))
        try s.delete(["small", "absent"])
        XCTAssertEqual(Set(try s.list().map(\.key)), ["packs/meta/a b+c.pack", "refs/heads/main"])
    }

    func testDirectoryStorage() throws {
        try exercise(DirectoryStorage(settings: RemoteSettings(name: "t", location: .directory(dir.path + "/remote")), path: dir.path + "/remote"))
    }

    /// S3 through a proxy that recomputes every signature with botocore.
    func testS3StorageSignedAsBotocoreSigns() throws {
        let (moto, bucket) = try RemoteTestServers.freshBucket()
        let proxy = try RemoteTestServers.startProxy(upstream: moto, faults: "none", verifySecret: "storagesecret")
        defer { proxy.stop() }
        try exercise(try s3(proxy.endpoint, bucket: bucket))
        XCTAssertEqual(proxy.faults, [])
        XCTAssertThrowsError(try s3(proxy.endpoint, bucket: bucket, secret: "wrong").list()) { e in
            guard case RemoteError.accessDenied(_, let key, let region, let code, _)? = e as? RemoteError else { return XCTFail("\(e)") }
            XCTAssertEqual([key, region, code], ["AKIDTEST", "us-east-1", "SignatureDoesNotMatch"])
        }
    }

    /// Listings longer than a page are followed through their continuation tokens.
    func testS3ListingPages() throws {
        let (moto, bucket) = try RemoteTestServers.freshBucket()
        let s = try s3(moto.endpoint, bucket: bucket)
        try s.put((0..<1010).map { RemotePut(key: "refs/tags/t\($0)", body: .data(Data("\($0)".utf8))) }, progress: nil)
        XCTAssertEqual(try s.list().count, 1010)
    }
}
