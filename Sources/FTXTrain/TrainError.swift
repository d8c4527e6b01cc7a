import FTXCore

/// Everything that can go wrong in training: bad configs, bad data, bad adapter files, bad checkpoints.
public enum TrainError: FTXError {
    case config(String, at: String?, hint: String? = nil)
    case data(String, at: String?, hint: String? = nil)
    case adapter(String, at: String?, hint: String? = nil)
    case checkpoint(String, at: String?)
    case model(String)

    public var message: String {
        switch self {
        case .config(let m, _, _), .data(let m, _, _), .adapter(let m, _, _), .checkpoint(let m, _), .model(let m): return m
        }
    }
    public var location: String? {
        switch self {
        case .config(_, let l, _), .data(_, let l, _), .adapter(_, let l, _), .checkpoint(_, let l): return l
        case .model: return nil
        }
    }
    public var hint: String? {
        switch self {
        case .config(_, _, let h), .data(_, _, let h), .adapter(_, _, let h): return h
        default: return nil
        }
    }
}
