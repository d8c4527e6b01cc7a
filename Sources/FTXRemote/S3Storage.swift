import Foundation
import FTXCore

/// An S3-compatible bucket prefix (AWS S3, MinIO, R2, Ceph, GCS's S3 API) through libcurl with
/// SigV4 signing. Path-style (`endpoint/bucket/key`) or virtual-hosted (`bucket.endpoint/key`)
/// addressing; refs are written with conditional PUTs (`If-None-Match: *`, `If-Match: <etag>`).
final class S3Storage: RemoteStorage {
    let display: String
    let bucket: String
    let prefix: String
    let endpoint: String
    let pathStyle: Bool
    let region: String
    let credentials: AWSCredentials?
    let client: HTTPClient

    init(settings: RemoteSettings, bucket: String, prefix: String, environment: AWSEnvironment, jobs: Int) throws {
        self.bucket = bucket
        self.prefix = prefix
        region = settings.region ?? environment.region ?? "us-east-1"
        var ep = settings.endpoint ?? environment.endpoint
        if let e = ep { ep = try RemoteSettings.validate(endpoint: e) }
        endpoint = ep ?? "https://s3.\(region).amazonaws.com"
        // Custom endpoints (MinIO, Ceph, moto) usually need path-style; AWS wants virtual hosts,
        // except for bucket names with dots (their TLS certificates would not match).
        pathStyle = settings.pathStyle ?? (ep != nil || bucket.contains("."))
        credentials = environment.credentials
        let region = self.region
        client = HTTPClient(signing: environment.credentials.map { SigV4(credentials: $0, region: region) }, jobs: jobs)
        display = "\(settings.name) (\(settings.location.url))"
    }

    // MARK: URLs

    /// Percent-encodes everything but RFC 3986's unreserved characters (and `/` in paths), which
    /// is also SigV4's canonical form, so what libcurl signs is what S3 recomputes.
    static func encode(_ s: String, keepSlash: Bool) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: "/") where keepSlash: out += "/"
            default: out += String(format: "%%%02X", b)
            }
        }
        return out
    }

    private var bucketBase: String {
        if pathStyle { return "\(endpoint)/\(bucket)" }
        let scheme = endpoint.hasPrefix("http://") ? "http://" : "https://"
        return scheme + bucket + "." + endpoint.dropFirst(scheme.count)
    }

    func fullKey(_ key: String) -> String { prefix.isEmpty ? key : prefix + "/" + key }

    func url(_ key: String) -> String { bucketBase + "/" + Self.encode(fullKey(key), keepSlash: true) }

    /// SigV4 needs the payload's hash in `x-amz-content-sha256`; a session token travels as a header.
    private func headers(payloadSHA256: String) -> [String] {
        var h = ["x-amz-content-sha256: \(payloadSHA256)"]
        if let t = credentials?.sessionToken { h.append("x-amz-security-token: \(t)") }
        return h
    }

    static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    static func sha256Hex(_ data: Data) -> String { SHA256.hash(data: data).hex }

    static func sha256Hex(file path: String) throws -> String {
        guard let digest = try SHA256.hash(fileAt: path) else { throw RemoteError.io("cannot read file to upload", location: path) }
        return digest.hex
    }

    // MARK: Operations

    func list() throws -> [RemoteObjectInfo] {
        var out: [RemoteObjectInfo] = []
        var token: String? = nil
        let keyPrefix = prefix.isEmpty ? "" : prefix + "/"
        for _ in 0..<100_000 {
            // Query parameters sorted by name, as SigV4's canonical query string requires.
            var q: [String] = []
            if let token { q.append("continuation-token=\(Self.encode(token, keepSlash: false))") }
            q.append("list-type=2")
            q.append("max-keys=1000")
            if !keyPrefix.isEmpty { q.append("prefix=\(Self.encode(keyPrefix, keepSlash: false))") }
            let req = HTTPRequest(method: "GET", url: bucketBase + (pathStyle ? "?" : "/?") + q.joined(separator: "&"),
                                  headers: headers(payloadSHA256: Self.emptySHA256), maxResponseBytes: 16 << 20)
            let r = client.run([req])[0]
            guard case .response(let resp) = r.outcome, resp.status == 200 else { throw failure(r, key: "the listing of s3://\(bucket)/\(keyPrefix)") }
            guard let page = S3XML.listing(resp.body) else {
                throw RemoteError.http(remote: display, key: "listing of \(keyPrefix)", status: resp.status, code: nil,
                                       message: "the listing is not a ListBucketResult document")
            }
            for o in page.objects where o.key.hasPrefix(keyPrefix) {
                out.append(RemoteObjectInfo(key: String(o.key.dropFirst(keyPrefix.count)), size: o.size, modified: o.modified))
            }
            guard page.isTruncated else { return out }
            guard let next = page.continuationToken, !next.isEmpty else {
                throw RemoteError.http(remote: display, key: "listing of \(keyPrefix)", status: resp.status, code: nil,
                                       message: "a truncated listing without a continuation token")
            }
            token = next
        }
        throw RemoteError.http(remote: display, key: "listing of \(keyPrefix)", status: 200, code: nil, message: "more than 100,000 listing pages")
    }

    func get(_ requests: [RemoteGet], progress: TransferProgressHandler?) throws -> [RemoteGot?] {
        let reqs = requests.map { g -> HTTPRequest in
            var h = headers(payloadSHA256: Self.emptySHA256)
            var expected: Int? = nil
            if let r = g.range {
                h.append("Range: bytes=\(r.lowerBound)-\(r.upperBound - 1)")
                expected = Int(r.upperBound - r.lowerBound)
            }
            return HTTPRequest(method: "GET", url: url(g.key), headers: h, maxResponseBytes: expected ?? g.limit, expectedLength: expected)
        }
        let results = client.run(reqs, progress: progress)
        return try zip(requests, results).map { g, r in
            guard case .response(let resp) = r.outcome else { throw failure(r, key: fullKey(g.key)) }
            if resp.status == 404, S3XML.errorCode(resp.body) != "NoSuchBucket" { return nil }
            guard resp.status == 200 || resp.status == 206 else { throw failure(r, key: fullKey(g.key)) }
            return RemoteGot(data: resp.body, version: resp.headers["etag"] ?? "")
        }
    }

    func put(_ requests: [RemotePut], progress: TransferProgressHandler?) throws {
        let reqs = try requests.map { p -> HTTPRequest in
            switch p.body {
            case .data(let d):
                return HTTPRequest(method: "PUT", url: url(p.key), headers: headers(payloadSHA256: Self.sha256Hex(d)), body: .data(d))
            case .file(let path, let size):
                return HTTPRequest(method: "PUT", url: url(p.key), headers: headers(payloadSHA256: try Self.sha256Hex(file: path)),
                                   body: .file(path: path, size: size))
            }
        }
        for (p, r) in zip(requests, client.run(reqs, progress: progress)) {
            guard case .response(let resp) = r.outcome, (200..<300).contains(resp.status) else { throw failure(r, key: fullKey(p.key)) }
        }
    }

    func putConditional(key: String, data: Data, condition: RemoteCondition) throws -> Bool {
        var h = headers(payloadSHA256: Self.sha256Hex(data))
        switch condition {
        case .absent: h.append("If-None-Match: *")
        case .version(let etag): h.append("If-Match: \(etag)")
        }
        let r = client.run([HTTPRequest(method: "PUT", url: url(key), headers: h, body: .data(data))])[0]
        guard case .response(let resp) = r.outcome else { throw failure(r, key: fullKey(key)) }
        if (200..<300).contains(resp.status) { return true }
        // 412: the condition failed; 409: a concurrent conditional write to the same key won.
        if resp.status == 412 || resp.status == 409 || (resp.status == 404 && S3XML.errorCode(resp.body) == "NoSuchKey") {
            // A retried PUT may find its own first attempt already applied (the answer was lost).
            if r.attempts > 1, let now = try get([RemoteGet(key: key, limit: 4096)], progress: nil)[0], now.data == data { return true }
            return false
        }
        throw failure(r, key: fullKey(key))
    }

    func delete(_ keys: [String]) throws {
        let reqs = keys.map { HTTPRequest(method: "DELETE", url: url($0), headers: headers(payloadSHA256: Self.emptySHA256)) }
        for (k, r) in zip(keys, client.run(reqs)) {
            guard case .response(let resp) = r.outcome, (200..<300).contains(resp.status) || resp.status == 404 else { throw failure(r, key: fullKey(k)) }
        }
    }

    // MARK: Errors

    /// Turns an unusable answer into an error naming the remote, the key (as stored) and the fix.
    func failure(_ r: HTTPResult, key: String) -> RemoteError {
        switch r.outcome {
        case .failure(let code, let message):
            // 6: host not found, 7: connection refused, 28: timeout, 35: TLS handshake failed.
            if [6, 7, 28, 35].contains(code) {
                return .unreachable(remote: display, endpoint: endpoint, reason: "\(message)" + (r.attempts > 1 ? " (\(r.attempts) attempts)" : ""))
            }
            if r.attempts > 1 { return .gaveUp(remote: display, key: key, attempts: r.attempts, last: r.lastProblem ?? message) }
            return .http(remote: display, key: key, status: 0, code: nil, message: message)
        case .response(let resp):
            let err = S3XML.error(resp.body)
            let code = err?.code
            let message = err?.message ?? ""
            if code == "RequestTimeTooSkewed" { return .clockSkew(remote: display, detail: skew(resp) ?? message) }
            if code == "NoSuchBucket" { return .noSuchBucket(remote: display, bucket: bucket, endpoint: endpoint) }
            if resp.status == 403 || code == "AuthorizationHeaderMalformed" || code == "PermanentRedirect" || resp.status == 301 {
                let m = message + (err?.region.map { " (the bucket is in \($0))" } ?? "")
                return .accessDenied(remote: display, keyID: credentials?.keyID, region: region, code: code ?? "HTTP \(resp.status)", message: m)
            }
            if resp.status >= 500 || resp.status == 429 || r.lastProblem != nil {
                return .gaveUp(remote: display, key: key, attempts: r.attempts, last: r.lastProblem ?? "HTTP \(resp.status)")
            }
            return .http(remote: display, key: key, status: resp.status, code: code, message: message)
        }
    }

    /// "this machine's clock is 912 s ahead of the server's", from the answer's Date header.
    private func skew(_ resp: HTTPResponse) -> String? {
        guard let d = resp.headers["date"] else { return nil }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let server = f.date(from: d) else { return nil }
        let s = Int(Date().timeIntervalSince(server).rounded())
        return "this machine's clock is \(abs(s)) s \(s >= 0 ? "ahead of" : "behind") the server's"
    }
}
