import Foundation

/// Token embedding lookup (the table is frozen; token ids have no gradient).
public protocol EmbeddingTable: AnyObject {
    var vocabSize: Int { get }
    var width: Int { get }
    /// out[n×width] ← rows of the table for tokens[n]
    func lookup(_ tokens: UnsafePointer<Int32>, count n: Int, into out: UnsafeMutablePointer<Float>)
}

public final class DenseEmbedding: EmbeddingTable, @unchecked Sendable {
    public let vocabSize: Int, width: Int
    let table: FloatBuffer
    public init(_ data: [Float], vocab: Int, width: Int) {
        precondition(data.count == vocab * width)
        vocabSize = vocab; self.width = width; table = FloatBuffer(data)
    }
    public func lookup(_ tokens: UnsafePointer<Int32>, count n: Int, into out: UnsafeMutablePointer<Float>) {
        for i in 0..<n { (out + i * width).update(from: table.p + Int(tokens[i]) * width, count: width) }
    }
}
