// The one shape of error the CLI prints: `ftx: <what went wrong> (<where>)` then an optional hint.
// Every module's error enum conforms, so the CLI needs no knowledge of any module's cases.

public protocol FTXError: Error, CustomStringConvertible {
    /// What went wrong, in one sentence, without the location.
    var message: String { get }
    /// Where: a file, file:line, a revision, an object id. Nil when there is no place to name.
    var location: String? { get }
    /// What the user can do about it, or nil.
    var hint: String? { get }
    /// Process exit status the CLI uses for this error (2 by default; 1 is kept for "check failed").
    var exitCode: Int32 { get }
}

extension FTXError {
    public var location: String? { nil }
    public var hint: String? { nil }
    public var exitCode: Int32 { 2 }
    public var description: String {
        if let location { return "\(message) (\(location))" }
        return message
    }
}

/// A plain error for places that have nothing more specific to say.
public struct GenericError: FTXError {
    public let message: String
    public let location: String?
    public let hint: String?
    public init(_ message: String, at location: String? = nil, hint: String? = nil) {
        self.message = message
        self.location = location
        self.hint = hint
    }
}
