import Foundation

/// An access key pair (and session token) for SigV4. Held in memory only, never written anywhere.
public struct AWSCredentials: Sendable, Equatable {
    public var keyID: String
    public var secret: String
    public var sessionToken: String?
    /// Where they came from, for messages ("environment", "profile dev in ~/.aws/credentials").
    public var source: String
}

/// The AWS configuration chain people already have: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/
/// AWS_SESSION_TOKEN, then the profile (AWS_PROFILE, else `default`) in ~/.aws/credentials and
/// ~/.aws/config (AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE move them). Region: AWS_REGION,
/// AWS_DEFAULT_REGION, the profile's `region`, else us-east-1. Endpoint: AWS_ENDPOINT_URL_S3,
/// AWS_ENDPOINT_URL, the profile's `endpoint_url`.
public struct AWSEnvironment: Sendable {
    public var credentials: AWSCredentials?
    public var region: String?
    public var endpoint: String?

    public static func resolve(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AWSEnvironment {
        let env = environment.filter { !$0.value.isEmpty }  // an empty variable counts as unset, as in the AWS CLI
        let home = env["HOME"] ?? NSHomeDirectory()
        let profile = env["AWS_PROFILE"] ?? env["AWS_DEFAULT_PROFILE"] ?? "default"
        let credFile = env["AWS_SHARED_CREDENTIALS_FILE"] ?? home + "/.aws/credentials"
        let confFile = env["AWS_CONFIG_FILE"] ?? home + "/.aws/config"
        let creds = try AWSConfigFile.load(credFile)?.sections[profile]
        let conf = try AWSConfigFile.load(confFile)?.sections[profile == "default" ? "default" : "profile \(profile)"]

        var out = AWSEnvironment()
        if let id = env["AWS_ACCESS_KEY_ID"], let secret = env["AWS_SECRET_ACCESS_KEY"] {
            out.credentials = AWSCredentials(keyID: id, secret: secret, sessionToken: env["AWS_SESSION_TOKEN"], source: "environment")
        } else {
            for (values, file) in [(creds, credFile), (conf, confFile)] {
                if let v = values, let id = v["aws_access_key_id"], let secret = v["aws_secret_access_key"] {
                    out.credentials = AWSCredentials(keyID: id, secret: secret, sessionToken: v["aws_session_token"],
                                                     source: "profile \(profile) in \(file)")
                    break
                }
            }
            if out.credentials == nil, env["AWS_PROFILE"] != nil, creds == nil, conf == nil {
                throw RemoteError.usage("AWS profile '\(profile)' is not in \(credFile) or \(confFile)", location: nil,
                                        hint: "create it with `aws configure --profile \(profile)`, or unset AWS_PROFILE")
            }
        }
        out.region = [env["AWS_REGION"], env["AWS_DEFAULT_REGION"], conf?["region"]].compactMap { $0 }.first { !$0.isEmpty }
        out.endpoint = [env["AWS_ENDPOINT_URL_S3"], env["AWS_ENDPOINT_URL"], conf?["endpoint_url"]].compactMap { $0 }.first { !$0.isEmpty }
        return out
    }
}

/// The INI dialect of ~/.aws/credentials and ~/.aws/config: `[section]`, `key = value`, `#`/`;`
/// comments; indented lines belong to a nested block (`s3 =` settings) and are skipped.
enum AWSConfigFile {
    struct Parsed { var sections: [String: [String: String]] = [:] }

    static let maxSize = 1 << 20

    static func load(_ path: String) throws -> Parsed? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard data.count <= maxSize else {
            throw RemoteError.io("AWS configuration file is larger than \(maxSize) bytes", location: path)
        }
        return parse(String(decoding: data, as: UTF8.self))
    }

    static func parse(_ text: String) -> Parsed {
        var out = Parsed()
        var current: String? = nil
        for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            if raw.first == " " || raw.first == "\t" { continue }
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
                current = name
                if out.sections[name] == nil { out.sections[name] = [:] }
                continue
            }
            guard let section = current, let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            out.sections[section]?[key] = value
        }
        return out
    }
}
