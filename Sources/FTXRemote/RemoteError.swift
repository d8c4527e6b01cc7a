import FTXCore

/// Everything that can go wrong talking to a remote. Each names the remote (its name and URL, or
/// the key or file involved) and, where there is one, the fix.
public enum RemoteError: FTXError {
    /// `ftx remote …` misuse: unknown name, bad URL, duplicate name.
    case usage(String, location: String?, hint: String?)
    /// The endpoint cannot be reached (DNS, refused connection, timeout).
    case unreachable(remote: String, endpoint: String, reason: String)
    /// 403 from S3: which key id and region were used, and what the server said.
    case accessDenied(remote: String, keyID: String?, region: String, code: String, message: String)
    case noSuchBucket(remote: String, bucket: String, endpoint: String)
    case clockSkew(remote: String, detail: String)
    /// 503 SlowDown / 500s / dropped connections / truncated bodies that outlasted the retries.
    case gaveUp(remote: String, key: String, attempts: Int, last: String)
    /// Any other unexpected HTTP answer.
    case http(remote: String, key: String, status: Int, code: String?, message: String)
    /// The remote holds something malformed or incomplete (a bad ref, a missing object, a bad pack).
    case damaged(remote: String, location: String, reason: String)
    case notARemote(remote: String, reason: String)
    case io(String, location: String)
    /// A pull that would have to merge file contents: the paths changed on both sides.
    case pullConflict(branch: String, remote: String, paths: [String])
    case pullUnsupported(String, hint: String?)

    public var message: String {
        switch self {
        case .usage(let m, _, _): return m
        case .unreachable(_, let endpoint, let reason): return "cannot reach \(endpoint): \(reason)"
        case .accessDenied(_, let key, let region, let code, let message):
            return "access denied (\(code)) using key id \(key ?? "none: no credentials found") in region \(region)"
                + (message.isEmpty ? "" : ": \(message)")
        case .noSuchBucket(_, let bucket, let endpoint): return "bucket '\(bucket)' does not exist at \(endpoint)"
        case .clockSkew(_, let detail): return "the server refused the request because this machine's clock is off (\(detail))"
        case .gaveUp(_, let key, let n, let last): return "giving up on \(key) after \(n) attempts: \(last)"
        case .http(_, let key, let status, let code, let message):
            return "unexpected answer for \(key): HTTP \(status)\(code.map { " \($0)" } ?? "")\(message.isEmpty ? "" : ": \(message)")"
        case .damaged(_, _, let reason): return "the remote is damaged: \(reason)"
        case .notARemote(_, let reason): return "not an ftx remote: \(reason)"
        case .io(let m, _): return m
        case .pullConflict(let branch, let remote, let paths):
            return "pull stopped before touching anything: \(paths.count) path(s) changed both in your \(branch) and in \(remote): "
                + paths.prefix(10).joined(separator: ", ") + (paths.count > 10 ? ", …" : "")
        case .pullUnsupported(let m, _): return m
        }
    }

    public var location: String? {
        switch self {
        case .usage(_, let l, _): return l
        case .unreachable(let r, _, _), .accessDenied(let r, _, _, _, _), .noSuchBucket(let r, _, _),
             .clockSkew(let r, _), .gaveUp(let r, _, _, _), .http(let r, _, _, _, _), .notARemote(let r, _):
            return r
        case .damaged(let r, let l, _): return "\(r): \(l)"
        case .io(_, let l): return l
        case .pullConflict(_, let remote, _): return remote
        case .pullUnsupported: return nil
        }
    }

    public var hint: String? {
        switch self {
        case .usage(_, _, let h): return h
        case .unreachable: return "check the endpoint (`ftx remote list -v`, --endpoint, AWS_ENDPOINT_URL) and that the server is running"
        case .accessDenied(_, let key, _, let code, _):
            if key == nil { return "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE for a profile in ~/.aws/credentials" }
            if code == "AuthorizationHeaderMalformed" || code == "PermanentRedirect" {
                return "the bucket lives in another region: set it with `ftx remote add … --region R` or AWS_REGION"
            }
            return "check the key pair (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE) and the bucket's policy"
        case .noSuchBucket(_, let bucket, _): return "create it first (e.g. `aws s3 mb s3://\(bucket)`), or fix the remote's URL with `ftx remote set-url`"
        case .clockSkew: return "synchronize the clock (e.g. with NTP) and retry"
        case .gaveUp: return "the server is overloaded or the network unreliable; run the command again (it resumes: finished uploads are not repeated)"
        case .http: return nil
        case .damaged: return "run `ftx fetch` again; if it persists, push the objects again from a complete clone"
        case .notARemote: return "push to it first (`ftx push`), or check the URL"
        case .io: return nil
        case .pullConflict: return "commit nothing more; either undo your change to those paths, or fetch and reconcile them by hand"
        case .pullUnsupported(_, let h): return h
        }
    }
}
