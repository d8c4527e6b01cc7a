import Foundation

/// Learning-rate schedules as transformers defines them: linear warmup over `warmupSteps`, then
/// cosine decay to 0, linear decay to 0, or constant. `lr(step)` is the rate used by optimizer
/// update number `step` (0-based), as HF's LambdaLR gives it.
public enum LRSchedulerKind: String, Codable, CaseIterable, Sendable { case cosine, linear, constant }

public struct LRSchedule: Equatable, Sendable {
    public var kind: LRSchedulerKind
    public var peak: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    public init(kind: LRSchedulerKind, peak: Float, warmupSteps: Int, totalSteps: Int) {
        self.kind = kind; self.peak = peak; self.warmupSteps = warmupSteps; self.totalSteps = totalSteps
    }

    public func lr(_ step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step) / Float(max(1, warmupSteps)) }
        switch kind {
        case .constant: return peak
        case .linear:
            return peak * max(0, Float(totalSteps - step) / Float(max(1, totalSteps - warmupSteps)))
        case .cosine:
            let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
            return peak * Float(max(0, 0.5 * (1 + cos(Double.pi * progress))))
        }
    }
}

/// Global-norm gradient clipping as torch.nn.utils.clip_grad_norm_: the norm is summed in Double in
/// index order (deterministic); grads are scaled by max/(norm + 1e-6) when that is below 1.
public enum GradClip {
    /// Returns the norm before clipping.
    @discardableResult
    public static func clip(_ g: UnsafeMutablePointer<Float>, count: Int, maxNorm: Float) -> Float {
        var ss = 0.0
        for i in 0..<count { ss += Double(g[i]) * Double(g[i]) }
        let norm = Float(ss.squareRoot())
        if maxNorm > 0 {
            let coef = maxNorm / (norm + 1e-6)
            if coef < 1 { for i in 0..<count { g[i] *= coef } }
        }
        return norm
    }
}
