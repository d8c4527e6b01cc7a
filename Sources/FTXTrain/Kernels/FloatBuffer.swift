/// An owned, zero-initialised f32 buffer (no ARC or bounds checks in the loops that use `.p`).
public final class FloatBuffer: @unchecked Sendable {
    public let p: UnsafeMutablePointer<Float>
    public let count: Int
    public init(_ count: Int) {
        self.count = count
        p = .allocate(capacity: max(count, 1))
        p.initialize(repeating: 0, count: max(count, 1))
    }
    public convenience init(_ values: [Float]) {
        self.init(values.count)
        values.withUnsafeBufferPointer { src in if let b = src.baseAddress { p.update(from: b, count: values.count) } }
    }
    deinit { p.deallocate() }
    public func zero() { p.update(repeating: 0, count: count) }
    public var array: [Float] { Array(UnsafeBufferPointer(start: p, count: count)) }
}
