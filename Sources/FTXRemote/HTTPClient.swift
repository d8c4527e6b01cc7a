import CCurl
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One request for `HTTPClient.run`.
struct HTTPRequest {
    enum Body { case none, data(Data), file(path: String, size: Int) }
    var method: String
    var url: String
    /// Extra header lines ("Name: value"); with signing, every one is signed.
    var headers: [String] = []
    var body: Body = .none
    /// Larger answers are refused (untrusted input stays bounded).
    var maxResponseBytes: Int = 1 << 20
    /// A ranged GET must return exactly this many bytes; fewer is a truncated download (retried).
    var expectedLength: Int? = nil
}

struct HTTPResponse {
    var status: Int
    /// Lowercased header names; the last value wins.
    var headers: [String: String]
    var body: Data
}

/// What became of one request after its retries.
struct HTTPResult {
    enum Outcome {
        case response(HTTPResponse)
        /// No usable answer: curl's error code and message (or a truncated or oversized body).
        case failure(code: Int32, message: String)
    }
    var outcome: Outcome
    var attempts: Int
    /// The last retried problem, for "gave up after N attempts: …".
    var lastProblem: String?
}

/// SigV4 signing parameters, given to libcurl (CURLOPT_AWS_SIGV4).
struct SigV4 {
    var credentials: AWSCredentials
    var region: String
}

/// HTTP through libcurl: many requests run in parallel on one multi handle (reusing connections),
/// each retried with exponential backoff and full jitter on dropped connections, truncated bodies,
/// 500/502/503/504 and 429. Progress reports bytes sent and received so far.
final class HTTPClient {
    let signing: SigV4?
    let jobs: Int
    let maxAttempts: Int
    let trace = ProcessInfo.processInfo.environment["FTX_REMOTE_TRACE"] == "1"
    /// Backoff before retry n (1-based): random in [0, min(cap, base·2^(n-1))].
    static let backoffBase = 0.1, backoffCap = 5.0

    /// One multi handle for the client's life: its connection cache keeps connections (and TLS
    /// sessions) open from one batch to the next. Batches run one at a time.
    private let multi: UnsafeMutableRawPointer?
    private let batchLock = NSLock()

    init(signing: SigV4?, jobs: Int, maxAttempts: Int = 6) {
        HTTPClient.globalInit
        self.signing = signing
        self.jobs = max(1, jobs)
        self.maxAttempts = max(1, maxAttempts)
        multi = curl_multi_init()
        if let multi {
            ftx_curl_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, self.jobs)
            ftx_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, self.jobs)
        }
    }

    deinit { if let multi { curl_multi_cleanup(multi) } }

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// Runs every request (up to `jobs` at once); results are in request order.
    func run(_ requests: [HTTPRequest], progress: ((_ sent: Int64, _ received: Int64) -> Void)? = nil) -> [HTTPResult] {
        var results = [HTTPResult?](repeating: nil, count: requests.count)
        guard !requests.isEmpty else { return [] }
        guard let multi else {
            return requests.map { _ in HTTPResult(outcome: .failure(code: -1, message: "cannot initialise libcurl"), attempts: 0) }
        }
        batchLock.lock()
        defer { batchLock.unlock() }

        var queue: [(index: Int, attempt: Int, notBefore: Double, problem: String?)] =
            requests.indices.map { ($0, 1, 0, nil) }
        var active: [Int: Transfer] = [:]   // easy handle address → transfer
        var finishedBytes: (sent: Int64, received: Int64) = (0, 0)
        var remaining = requests.count

        while remaining > 0 {
            let now = Self.now()
            while active.count < jobs, let k = queue.firstIndex(where: { $0.notBefore <= now }) {
                let q = queue.remove(at: k)
                let t = Transfer(request: requests[q.index], index: q.index, attempt: q.attempt, problem: q.problem)
                if let error = t.start(signing: signing) {
                    results[q.index] = HTTPResult(outcome: .failure(code: -1, message: error), attempts: q.attempt, lastProblem: q.problem)
                    remaining -= 1
                    continue
                }
                curl_multi_add_handle(multi, t.easy)
                active[Int(bitPattern: t.easy)] = t
            }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var left: Int32 = 0
            while let msg = curl_multi_info_read(multi, &left) {
                guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle,
                      let t = active.removeValue(forKey: Int(bitPattern: easy)) else { continue }
                let code = ftx_curl_msg_result(msg)
                curl_multi_remove_handle(multi, easy)
                let (result, retry) = t.finish(code: code)
                finishedBytes.sent += t.bytesSent
                finishedBytes.received += t.bytesReceived
                if trace { t.traceLine(retry: retry) }
                if let retry, t.attempt < maxAttempts {
                    let delay = Double.random(in: 0...min(Self.backoffCap, Self.backoffBase * pow(2, Double(t.attempt - 1))))
                    queue.append((t.index, t.attempt + 1, Self.now() + delay, retry))
                } else {
                    var r = result
                    if let retry { r.lastProblem = retry; r.outcome = Self.exhausted(result.outcome, retry) }
                    results[t.index] = r
                    remaining -= 1
                }
                t.cleanup()
            }
            if let progress {
                var sent = finishedBytes.sent, received = finishedBytes.received
                for t in active.values { sent += t.currentSent(); received += t.currentReceived() }
                progress(sent, received)
            }
            if remaining == 0 { break }
            let nextStart = queue.map(\.notBefore).min()
            if active.isEmpty, let next = nextStart {
                let wait = next - Self.now()
                if wait > 0 { usleep(useconds_t(min(wait, 5) * 1_000_000)) }
            } else {
                var timeout = 100.0
                if let next = nextStart { timeout = min(timeout, max(1, (next - Self.now()) * 1000)) }
                curl_multi_poll(multi, nil, 0, Int32(timeout), nil)
            }
        }
        return results.map { $0! }
    }

    /// A retried failure that ran out of attempts stays a failure, or the last response it got.
    private static func exhausted(_ o: HTTPResult.Outcome, _ problem: String) -> HTTPResult.Outcome {
        if case .response(let r) = o, r.status >= 400 { return o }
        if case .failure = o { return o }
        return .failure(code: -2, message: problem)
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}

/// One attempt of one request: the easy handle, its buffers and its callbacks' state.
private final class Transfer {
    let request: HTTPRequest
    let index: Int
    let attempt: Int
    let previousProblem: String?
    var easy: UnsafeMutableRawPointer!
    private var headerList: UnsafeMutablePointer<curl_slist>? = nil
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    var body = Data()
    var headers: [String: String] = [:]
    var status = 0
    var tooLarge = false
    var uploadOffset = 0
    var fd: Int32 = -1
    var bytesSent: Int64 = 0
    var bytesReceived: Int64 = 0
    var started = 0.0

    init(request: HTTPRequest, index: Int, attempt: Int, problem: String?) {
        self.request = request; self.index = index; self.attempt = attempt; self.previousProblem = problem
        errorBuffer[0] = 0
    }

    deinit { errorBuffer.deallocate() }

    /// Configures the easy handle; returns an error message when that is impossible.
    func start(signing: SigV4?) -> String? {
        guard let h = curl_easy_init() else { return "cannot create a libcurl handle" }
        easy = h
        started = HTTPClient.now()
        let me = Unmanaged.passUnretained(self).toOpaque()
        ftx_curl_setopt_str(h, CURLOPT_URL, request.url)
        ftx_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
        ftx_curl_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0)
        ftx_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT, 15)
        // A transfer slower than 1 KiB/s for a minute has stalled: give up on this attempt.
        ftx_curl_setopt_long(h, CURLOPT_LOW_SPEED_LIMIT, 1024)
        ftx_curl_setopt_long(h, CURLOPT_LOW_SPEED_TIME, 60)
        ftx_curl_setopt_long(h, CURLOPT_TCP_KEEPALIVE, 1)
        ftx_curl_setopt_long(h, CURLOPT_BUFFERSIZE, 512 << 10)
        ftx_curl_setopt_long(h, CURLOPT_UPLOAD_BUFFERSIZE, 512 << 10)
        ftx_curl_setopt_long(h, CURLOPT_EXPECT_100_TIMEOUT_MS, 1000)
        ftx_curl_setopt_ptr(h, CURLOPT_ERRORBUFFER, errorBuffer)
        ftx_curl_setopt_ptr(h, CURLOPT_PRIVATE, me)
        ftx_curl_setopt_datacb(h, CURLOPT_WRITEFUNCTION, transferWrite)
        ftx_curl_setopt_ptr(h, CURLOPT_WRITEDATA, me)
        ftx_curl_setopt_datacb(h, CURLOPT_HEADERFUNCTION, transferHeader)
        ftx_curl_setopt_ptr(h, CURLOPT_HEADERDATA, me)
        switch request.method {
        case "GET": break
        case "HEAD": ftx_curl_setopt_long(h, CURLOPT_NOBODY, 1)
        case "PUT":
            ftx_curl_setopt_long(h, CURLOPT_UPLOAD, 1)
            ftx_curl_setopt_datacb(h, CURLOPT_READFUNCTION, transferRead)
            ftx_curl_setopt_ptr(h, CURLOPT_READDATA, me)
            switch request.body {
            case .none: ftx_curl_setopt_off(h, CURLOPT_INFILESIZE_LARGE, 0)
            case .data(let d): ftx_curl_setopt_off(h, CURLOPT_INFILESIZE_LARGE, curl_off_t(d.count))
            case .file(let path, let size):
                fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { return "cannot open \(path): \(String(cString: strerror(errno)))" }
                ftx_curl_setopt_off(h, CURLOPT_INFILESIZE_LARGE, curl_off_t(size))
            }
        default: ftx_curl_setopt_str(h, CURLOPT_CUSTOMREQUEST, request.method)
        }
        for line in request.headers { headerList = curl_slist_append(headerList, line) }
        if let headerList { ftx_curl_setopt_slist(h, CURLOPT_HTTPHEADER, headerList) }
        if let s = signing {
            ftx_curl_setopt_str(h, CURLOPT_AWS_SIGV4, "aws:amz:\(s.region):s3")
            ftx_curl_setopt_str(h, CURLOPT_USERNAME, s.credentials.keyID)
            ftx_curl_setopt_str(h, CURLOPT_PASSWORD, s.credentials.secret)
        }
        return nil
    }

    /// The result of this attempt, and a description when it should be retried.
    func finish(code: CURLcode) -> (HTTPResult, String?) {
        var st: Int = 0
        ftx_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &st)
        status = st
        var up: curl_off_t = 0, down: curl_off_t = 0
        ftx_curl_getinfo_off(easy, CURLINFO_SIZE_UPLOAD_T, &up)
        ftx_curl_getinfo_off(easy, CURLINFO_SIZE_DOWNLOAD_T, &down)
        bytesSent = Int64(up)
        bytesReceived = Int64(down)
        if tooLarge {
            return (HTTPResult(outcome: .failure(code: Int32(CURLE_WRITE_ERROR.rawValue),
                                                message: "answer larger than \(request.maxResponseBytes) bytes"), attempts: attempt), nil)
        }
        if code != CURLE_OK {
            let detail = String(cString: errorBuffer)
            var message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            if code == CURLE_PARTIAL_FILE { message = "truncated download: " + message }
            let result = HTTPResult(outcome: .failure(code: Int32(code.rawValue), message: message), attempts: attempt)
            // A host name that does not resolve or a malformed URL will not get better.
            let permanent: Set<UInt32> = [CURLE_COULDNT_RESOLVE_HOST.rawValue, CURLE_URL_MALFORMAT.rawValue,
                                          CURLE_UNSUPPORTED_PROTOCOL.rawValue, CURLE_READ_ERROR.rawValue]
            return (result, permanent.contains(code.rawValue) ? nil : "\(message) (curl error \(code.rawValue))")
        }
        let response = HTTPResponse(status: status, headers: headers, body: body)
        let result = HTTPResult(outcome: .response(response), attempts: attempt)
        let s3Code = status >= 400 ? S3XML.errorCode(body) : nil
        // S3 answers RequestTimeout (400) when a slow upload stalled: retried like a 5xx.
        if [500, 502, 503, 504, 429].contains(status) || (status == 400 && s3Code == "RequestTimeout") {
            return (result, "HTTP \(status)\(s3Code.map { " \($0)" } ?? "")")
        }
        if (200..<300).contains(status), request.method == "GET" {
            if let expected = request.expectedLength, body.count != expected {
                return (result, "truncated download (\(body.count) of \(expected) bytes)")
            }
            if let cl = headers["content-length"].flatMap(Int.init), cl != body.count {
                return (result, "truncated download (\(body.count) of \(cl) bytes)")
            }
        }
        return (result, nil)
    }

    func currentSent() -> Int64 {
        var v: curl_off_t = 0
        ftx_curl_getinfo_off(easy, CURLINFO_SIZE_UPLOAD_T, &v)
        return Int64(v)
    }

    func currentReceived() -> Int64 {
        var v: curl_off_t = 0
        ftx_curl_getinfo_off(easy, CURLINFO_SIZE_DOWNLOAD_T, &v)
        return Int64(v)
    }

    func traceLine(retry: String?) {
        let ms = Int((HTTPClient.now() - started) * 1000)
        let line = "ftx-http: \(request.method) \(request.url) -> \(status) \(body.count)B \(ms)ms attempt \(attempt)"
            + (retry.map { " retry: \($0)" } ?? "") + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    func cleanup() {
        if let easy { curl_easy_cleanup(easy) }
        easy = nil
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
        if fd >= 0 { close(fd); fd = -1 }
    }
}

// libcurl callbacks: `userdata` is the Transfer (kept alive by the `active` table).

private func transferWrite(_ ptr: UnsafeMutablePointer<CChar>?, _ size: Int, _ n: Int, _ ud: UnsafeMutableRawPointer?) -> Int {
    let t = Unmanaged<Transfer>.fromOpaque(ud!).takeUnretainedValue()
    let count = size * n
    // Error answers carry an XML document whatever the limit for the object itself.
    let limit = (200..<300).contains(t.status) ? t.request.maxResponseBytes : max(t.request.maxResponseBytes, 64 << 10)
    if t.body.count + count > limit { t.tooLarge = true; return 0 }
    if count > 0, let ptr { t.body.append(UnsafeRawPointer(ptr).assumingMemoryBound(to: UInt8.self), count: count) }
    return count
}

private func transferHeader(_ ptr: UnsafeMutablePointer<CChar>?, _ size: Int, _ n: Int, _ ud: UnsafeMutableRawPointer?) -> Int {
    let t = Unmanaged<Transfer>.fromOpaque(ud!).takeUnretainedValue()
    let count = size * n
    guard let ptr, count > 0 else { return count }
    let line = String(decoding: UnsafeRawBufferPointer(start: ptr, count: min(count, 16 << 10)), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    if line.hasPrefix("HTTP/") {
        t.headers = [:]  // a new response (after `100 Continue`)
        let parts = line.split(separator: " ")
        t.status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
    } else if let colon = line.firstIndex(of: ":"), t.headers.count < 200 {
        t.headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return count
}

private func transferRead(_ buf: UnsafeMutablePointer<CChar>?, _ size: Int, _ n: Int, _ ud: UnsafeMutableRawPointer?) -> Int {
    let t = Unmanaged<Transfer>.fromOpaque(ud!).takeUnretainedValue()
    guard let buf else { return 0 }
    let cap = size * n
    switch t.request.body {
    case .none: return 0
    case .data(let d):
        let k = min(cap, d.count - t.uploadOffset)
        if k <= 0 { return 0 }
        d.withUnsafeBytes { raw in UnsafeMutableRawPointer(buf).copyMemory(from: raw.baseAddress! + t.uploadOffset, byteCount: k) }
        t.uploadOffset += k
        return k
    case .file(_, let fileSize):
        let want = min(cap, fileSize - t.uploadOffset)
        if want <= 0 { return 0 }
        var got = -1
        repeat { got = pread(t.fd, buf, want, off_t(t.uploadOffset)) } while got < 0 && errno == EINTR
        if got <= 0 { return Int(CURL_READFUNC_ABORT) }  // the file shrank or vanished: abort this attempt
        t.uploadOffset += got
        return got
    }
}
