import FTXCore

/// Errors of the tensor layer: bad block layouts, sizes that do not fit a type's block structure.
public enum TensorError: FTXError {
    case unsupportedType(UInt32, tensor: String?)
    case badShape(String, tensor: String?)

    public var message: String {
        switch self {
        case .unsupportedType(let t, _): return "unsupported tensor type \(t)"
        case .badShape(let s, _): return "bad tensor shape: \(s)"
        }
    }
    public var location: String? {
        switch self {
        case .unsupportedType(_, let t), .badShape(_, let t): return t.map { "tensor \($0)" }
        }
    }
    public var hint: String? {
        switch self {
        case .unsupportedType: return "supported types: " + QuantType.allCases.map(\.description).joined(separator: ", ")
        case .badShape: return nil
        }
    }
}
