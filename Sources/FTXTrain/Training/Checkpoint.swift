import Foundation
import FTXCore
import FTXData

/// Everything needed to continue a run exactly: adapter, AdamW moments and step count, the trainer's
/// position (step, epoch order), early-stopping state, and fingerprints of the config and data so a
/// resume against something else is refused. With early stopping it also holds the adapter of the
/// best evaluation so far (the one exported at the end). One file, written atomically:
///   "FTXCKPT1" | u64 json length | json | params f32 | m f32 | v f32 [| best params f32]
public struct Checkpoint: Equatable {
    public var step: Int
    public var adamT: Int
    public var epoch: Int
    public var epochOrder: [Int]
    public var bestValidLoss: Double?
    public var evalsWithoutImprovement: Int
    public var configFingerprint: String
    public var dataFingerprint: String
    public var params: [Float], m: [Float], v: [Float]
    /// Early stopping: the step of the best validation loss and the adapter at that step.
    public var bestStep: Int? = nil
    public var bestParams: [Float]? = nil

    static let magic = Data("FTXCKPT1".utf8)
    public static let fileName = "checkpoint.bin"

    public func serialized() throws -> Data {
        var meta: [String: Any] = [
            "step": step, "adam_t": adamT, "epoch": epoch, "epoch_order": epochOrder,
            "evals_without_improvement": evalsWithoutImprovement, "config": configFingerprint, "data": dataFingerprint,
            "count": params.count,
        ]
        if let b = bestValidLoss { meta["best_valid_loss_bits"] = String(b.bitPattern, radix: 16) }
        if let s = bestStep { meta["best_step"] = s }
        if let bp = bestParams, bp.count == params.count { meta["has_best_params"] = true }
        let json = try JSONSerialization.data(withJSONObject: meta, options: [.sortedKeys])
        var d = Self.magic
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { d.append(contentsOf: $0) }
        d.append(json)
        var arrays = [params, m, v]
        if let bp = bestParams, bp.count == params.count { arrays.append(bp) }
        for a in arrays { a.withUnsafeBufferPointer { d.append(Data(buffer: $0)) } }
        return d
    }

    public func write(dir: String) throws { try AtomicFile.write(serialized(), to: dir + "/" + Self.fileName) }

    public static func read(dir: String) throws -> Checkpoint {
        let path = dir + "/" + fileName
        guard let d = FileManager.default.contents(atPath: path) else {
            throw TrainError.checkpoint("no checkpoint to resume from", at: path)
        }
        func fail(_ m: String) -> TrainError { .checkpoint(m, at: path) }
        guard d.count >= 16, d.prefix(8) == magic else { throw fail("not an ftx checkpoint (bad magic)") }
        let n = Int(d.subdata(in: 8..<16).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian)
        guard n >= 0, 16 + n <= d.count,
              let meta = (try? JSONParser.parse(d.subdata(in: 16..<(16 + n))))?.foundationObject as? [String: Any],
              let step = meta["step"] as? Int, let t = meta["adam_t"] as? Int, let epoch = meta["epoch"] as? Int,
              let order = meta["epoch_order"] as? [Int], let bad = meta["evals_without_improvement"] as? Int,
              let cfg = meta["config"] as? String, let data = meta["data"] as? String, let count = meta["count"] as? Int
        else { throw fail("checkpoint header is damaged") }
        let hasBest = meta["has_best_params"] as? Bool ?? false
        guard count >= 0, d.count == 16 + n + (hasBest ? 16 : 12) * count else {
            throw fail("checkpoint is truncated or damaged (\(d.count) bytes for \(count) parameters)")
        }
        func floats(_ i: Int) -> [Float] {
            let start = 16 + n + 4 * count * i
            return d.subdata(in: start..<(start + 4 * count)).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
        let best = (meta["best_valid_loss_bits"] as? String).flatMap { UInt64($0, radix: 16) }.map(Double.init(bitPattern:))
        return Checkpoint(step: step, adamT: t, epoch: epoch, epochOrder: order, bestValidLoss: best,
                          evalsWithoutImprovement: bad, configFingerprint: cfg, dataFingerprint: data,
                          params: floats(0), m: floats(1), v: floats(2),
                          bestStep: meta["best_step"] as? Int, bestParams: hasBest ? floats(3) : nil)
    }
}

/// FNV-1a 64 over bytes, hex — fingerprints for resume checks (not a security hash).
func fnv1a(_ chunks: [Data]) -> String {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for c in chunks { for b in c { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 } }
    return String(h, radix: 16)
}
