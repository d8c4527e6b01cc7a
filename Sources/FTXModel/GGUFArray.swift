/// A GGUF metadata array. Read from a file it stays a range of the mapped bytes — checked when the
/// file is opened, decoded only when asked for — so a huge array in a hostile or unusual model
/// costs no memory until something reads it (the tokenizer reads its own four). Built in memory
/// (GGUFWriter, tests) it holds its values.
public struct GGUFArray: Sendable, Equatable, ExpressibleByArrayLiteral {
    /// GGUF value type id of the elements.
    public let elementType: UInt32
    public let count: Int
    private let storage: Storage

    private enum Storage: @unchecked Sendable {
        case values([GGUFValue])
        /// The elements' bytes [range) in `file` (after the element type and count), already checked.
        case mapped(MappedFile, Range<Int>, path: String, depth: Int)
    }

    public init(_ values: [GGUFValue]) {
        elementType = values.first?.typeCode ?? 4   // an empty array says uint32, as llama.cpp writes it
        count = values.count
        storage = .values(values)
    }
    public init(arrayLiteral elements: GGUFValue...) { self.init(elements) }

    init(elementType: UInt32, count: Int, file: MappedFile, range: Range<Int>, path: String, depth: Int) {
        self.elementType = elementType; self.count = count
        storage = .mapped(file, range, path: path, depth: depth)
    }

    /// The elements, decoded (nested arrays stay lazy).
    public var values: [GGUFValue] {
        switch storage {
        case .values(let v): return v
        case .mapped(let file, let range, let path, let depth):
            var c = GGUFCursor(file: file, path: path)
            c.offset = range.lowerBound
            var out: [GGUFValue] = []
            out.reserveCapacity(count)
            // The range was walked when the file was opened, so decoding cannot run out of bytes.
            for _ in 0..<count {
                guard let v = try? c.value(type: elementType, at: c.offset, depth: depth + 1) else { break }
                out.append(v)
            }
            return out
        }
    }

    public static func == (a: GGUFArray, b: GGUFArray) -> Bool {
        a.elementType == b.elementType && a.count == b.count && a.values == b.values
    }

    /// Element type, count and elements as GGUF stores them (a mapped array is copied byte for byte).
    func encode(into out: inout [UInt8]) {
        func le<T: FixedWidthInteger>(_ x: T) { withUnsafeBytes(of: x.littleEndian) { out += $0 } }
        le(elementType)
        le(UInt64(count))
        switch storage {
        case .values(let v): for e in v { e.encode(into: &out) }
        case .mapped(let file, let range, _, _): out += UnsafeRawBufferPointer(start: file.base + range.lowerBound, count: range.count)
        }
    }
}
