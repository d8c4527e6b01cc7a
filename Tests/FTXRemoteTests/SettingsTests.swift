import FTXTestSupport
import Foundation
import XCTest
@testable import FTXRemote
import FTXStore

/// Remote URLs, the `[remote "…"]` config sections and the AWS configuration chain.
final class SettingsTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = TestSupport.makeTempDir("ftx-remote-settings") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func testURLs() throws {
        XCTAssertEqual(try RemoteLocation.parse("s3://team-bucket/extractor/v1/"), .s3(bucket: "team-bucket", prefix: "extractor/v1"))
        XCTAssertEqual(try RemoteLocation.parse("s3://team-bucket"), .s3(bucket: "team-bucket", prefix: ""))
        XCTAssertEqual(try RemoteLocation.parse("file:///mnt/share/x"), .directory("/mnt/share/x"))
        XCTAssertEqual(try RemoteLocation.parse("../share", cwd: "/home/me/proj"), .directory("/home/me/share"))
        XCTAssertEqual(RemoteLocation.s3(bucket: "b1b", prefix: "p/q").url, "s3://b1b/p/q")
        for bad in ["s3://AK:SECRET@bucket/p", "s3://x", "s3://Upper/p", "s3://bucket/../up", "http://host/x", "file://relative", ""] {
            XCTAssertThrowsError(try RemoteLocation.parse(bad), bad)
        }
        let e = try XCTUnwrap({ () -> RemoteError? in
            do { _ = try RemoteLocation.parse("s3://AKIA:s3cr3t@bucket/p"); return nil } catch let e as RemoteError { return e } catch { return nil }
        }())
        XCTAssertFalse(e.description.contains("s3cr3t"), "the error must not echo the secret: \(e.description)")
        XCTAssertEqual(try RemoteSettings.validate(endpoint: "http://127.0.0.1:9000/"), "http://127.0.0.1:9000")
        XCTAssertThrowsError(try RemoteSettings.validate(endpoint: "http://user:pw@127.0.0.1:9000"))
        XCTAssertThrowsError(try RemoteSettings.validate(endpoint: "ftp://host"))
        XCTAssertThrowsError(try RemoteSettings.validate(endpoint: "http://host/path"))
    }

    func testConfigRoundTripAndErrors() throws {
        let text = "[core]\n\tformat = 1\n# comment\n[remote \"origin\"]\n\turl = s3://b1b/p\n\tregion = \"eu west\\\"1\"\n"
        var c = try RepositoryConfig.parse(text, path: "cfg")
        XCTAssertEqual(c.value("remote", "origin", "url"), "s3://b1b/p")
        XCTAssertEqual(c.value("remote", "origin", "region"), "eu west\"1")
        XCTAssertEqual(c.subsections(of: "remote"), ["origin"])
        c.set("remote", "origin", "endpoint", "http://h:1")
        let again = try RepositoryConfig.parse(c.serialized(), path: "cfg")
        XCTAssertEqual(again, c)
        XCTAssertThrowsError(try RepositoryConfig.parse("[core\n", path: "cfg")) { e in
            XCTAssertEqual((e as? ConfigError)?.location, "cfg:1")
        }
        XCTAssertThrowsError(try RepositoryConfig.parse("[core]\nkey value\n", path: "cfg")) { e in
            XCTAssertEqual((e as? ConfigError)?.location, "cfg:2")
        }
    }

    func testRemoteConfigCommands() throws {
        let repo = try Repository.initialize(at: dir.path)
        try RemoteConfig.add(repo, RemoteSettings(name: "origin", location: .s3(bucket: "b1b", prefix: "x"), endpoint: "http://127.0.0.1:9", pathStyle: true))
        try RemoteConfig.add(repo, RemoteSettings(name: "share", location: .directory("/tmp/share")))
        XCTAssertThrowsError(try RemoteConfig.add(repo, RemoteSettings(name: "origin", location: .directory("/x"))))
        XCTAssertThrowsError(try RemoteConfig.add(repo, RemoteSettings(name: "a/b", location: .directory("/x"))))
        XCTAssertEqual(try RemoteConfig.list(repo).map(\.name), ["origin", "share"])
        XCTAssertEqual(try RemoteConfig.get(repo, "origin").endpoint, "http://127.0.0.1:9")
        XCTAssertEqual(try RemoteConfig.get(repo, "origin").pathStyle, true)
        XCTAssertEqual(try RemoteConfig.defaultName(repo), "origin")
        try RemoteConfig.setURL(repo, "share", .directory("/tmp/other"))
        XCTAssertEqual(try RemoteConfig.get(repo, "share").location, .directory("/tmp/other"))
        try repo.refs.update("refs/remotes/share/main", to: ObjectID.hash(type: .blob, content: Data()), expect: .any, who: .current(), reason: "t")
        try RemoteConfig.remove(repo, "share")
        XCTAssertEqual(try RemoteConfig.list(repo).map(\.name), ["origin"])
        XCTAssertNil(try repo.refs.read("refs/remotes/share/main"))
        XCTAssertThrowsError(try RemoteConfig.get(repo, "orign")) { e in
            XCTAssertEqual((e as? RemoteError)?.hint, "did you mean 'origin'?")
        }
    }

    func testAWSChain() throws {
        let home = dir.path
        try FileManager.default.createDirectory(atPath: home + "/.aws", withIntermediateDirectories: true)
        try """
        [default]
        aws_access_key_id = AKDEFAULT
        aws_secret_access_key = secretdefault
        [dev]
        aws_access_key_id = AKDEV
        aws_secret_access_key = secretdev
        aws_session_token = tokendev
        """.write(toFile: home + "/.aws/credentials", atomically: true, encoding: .utf8)
        try """
        [default]
        region = eu-central-1
        [profile dev]
        region = us-west-2
        s3 =
          addressing_style = path
        endpoint_url = http://minio.local:9000
        [profile cfgonly]
        aws_access_key_id = AKCFG
        aws_secret_access_key = secretcfg
        """.write(toFile: home + "/.aws/config", atomically: true, encoding: .utf8)

        var e = try AWSEnvironment.resolve(["HOME": home])
        XCTAssertEqual(e.credentials?.keyID, "AKDEFAULT")
        XCTAssertEqual(e.region, "eu-central-1")
        XCTAssertNil(e.endpoint)

        e = try AWSEnvironment.resolve(["HOME": home, "AWS_PROFILE": "dev"])
        XCTAssertEqual(e.credentials, AWSCredentials(keyID: "AKDEV", secret: "secretdev", sessionToken: "tokendev",
                                                     source: "profile dev in \(home)/.aws/credentials"))
        XCTAssertEqual(e.region, "us-west-2")
        XCTAssertEqual(e.endpoint, "http://minio.local:9000")

        e = try AWSEnvironment.resolve(["HOME": home, "AWS_PROFILE": "cfgonly"])
        XCTAssertEqual(e.credentials?.keyID, "AKCFG")

        // The environment wins over files; AWS_REGION over the profile; empty counts as unset.
        e = try AWSEnvironment.resolve(["HOME": home, "AWS_PROFILE": "dev", "AWS_ACCESS_KEY_ID": "AKENV",
                                        "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "", "AWS_REGION": "ap-south-1"])
        XCTAssertEqual(e.credentials?.keyID, "AKENV")
        XCTAssertNil(e.credentials?.sessionToken)
        XCTAssertEqual(e.region, "ap-south-1")

        XCTAssertThrowsError(try AWSEnvironment.resolve(["HOME": home, "AWS_PROFILE": "nope"]))
        XCTAssertNil(try AWSEnvironment.resolve(["HOME": home + "/none"]).credentials)
    }

    func testS3XML() throws {
        let page = """
        <?xml version="1.0" encoding="UTF-8"?>
        <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p/</Prefix>
        <IsTruncated>true</IsTruncated><NextContinuationToken>tok+/=</NextContinuationToken>
        <Contents><Key>p/refs/heads/a&amp;b</Key><LastModified>2024-05-01T10:00:00.000Z</LastModified><ETag>&quot;abc&quot;</ETag><Size>65</Size></Contents>
        <Contents><Key>p/packs/meta/pack-1.idx</Key><LastModified>2024-05-01T10:00:01Z</LastModified><Size>1200</Size></Contents>
        </ListBucketResult>
        """
        let l = try XCTUnwrap(S3XML.listing(Data(page.utf8)))
        XCTAssertTrue(l.isTruncated)
        XCTAssertEqual(l.continuationToken, "tok+/=")
        XCTAssertEqual(l.objects.map(\.key), ["p/refs/heads/a&b", "p/packs/meta/pack-1.idx"])
        XCTAssertEqual(l.objects.map(\.size), [65, 1200])
        XCTAssertEqual(l.objects[0].etag, "\"abc\"")
        XCTAssertEqual(l.objects[0].modified, Date(timeIntervalSince1970: 1_714_557_600))
        XCTAssertNil(S3XML.listing(Data("<Error><Code>NoSuchBucket</Code></Error>".utf8)))
        XCTAssertNil(S3XML.listing(Data("not xml".utf8)))
        let err = S3XML.error(Data("<?xml version=\"1.0\"?><Error><Code>AuthorizationHeaderMalformed</Code><Message>m</Message><Region>eu-west-1</Region></Error>".utf8))
        XCTAssertEqual(err?.code, "AuthorizationHeaderMalformed")
        XCTAssertEqual(err?.region, "eu-west-1")
    }

    func testKeyEncodingIsSigV4Canonical() {
        XCTAssertEqual(S3Storage.encode("refs/heads/a b+c%é~", keepSlash: true), "refs/heads/a%20b%2Bc%25%C3%A9~")
        XCTAssertEqual(S3Storage.encode("p/q", keepSlash: false), "p%2Fq")
    }
}
