/// The limits and settings of a server (the `ftx serve` flags).
public struct ServeOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Bearer token every /v1 and /metrics request must carry; nil = none.
    public var apiKey: String?
    public var maxBodyBytes = 1 << 20
    /// Seconds a request may take in all (queue + generation) before it is cancelled.
    public var timeoutSeconds = 300.0
    /// Sequences decoded together, and requests that may wait beyond them before 429.
    public var maxBatch = 32
    public var maxQueue = 256
    /// false = `--no-log-content`: the request log keeps sizes and hashes only.
    public var logContent = true
    public init() {}

    /// Loopback hosts need no API key.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// Why `--host`/`--api-key-env` cannot serve (nil when they can): a non-loopback host needs an
    /// API key, and the named variable must hold one. `ftx serve` and `ftx ui` share the rule.
    public static func apiKeyProblem(host: String, apiKeyEnv: String?, environment: [String: String]) -> String? {
        if apiKeyEnv == nil && !isLoopback(host) {
            return "--host \(host) is reachable from other machines: set an API key with --api-key-env VAR"
        }
        if let v = apiKeyEnv, (environment[v] ?? "").isEmpty {
            return "--api-key-env \(v): the environment variable \(v) is not set or empty"
        }
        return nil
    }
}
