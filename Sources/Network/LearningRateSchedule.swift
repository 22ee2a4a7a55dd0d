import Foundation

/// How the learning rate moves over a run of `totalSteps` steps.
public enum LearningRateSchedule: String, CaseIterable, Codable, Sendable {
    /// The peak rate throughout.
    case constant
    /// Half a cosine from the peak down to zero.
    case cosine
    /// One-cycle: a linear warm-up from peak/25 over the first 30 % of the
    /// run, then half a cosine down to peak/10⁴ (as `torch.optim.lr_scheduler.OneCycleLR`).
    case onecycle

    /// The rate at `step` (0-based).
    public func rate(step: Int, totalSteps: Int, peak: Float) -> Float {
        let total = max(totalSteps, 1)
        let t = Float(min(step, total)) / Float(total)
        switch self {
        case .constant:
            return peak
        case .cosine:
            return peak * 0.5 * (1 + cos(Float.pi * t))
        case .onecycle:
            let warm: Float = 0.3, start = peak / 25, end = start / 1e4
            if t < warm { return start + (peak - start) * t / warm }
            let u = (t - warm) / (1 - warm)
            return end + (peak - end) * 0.5 * (1 + cos(Float.pi * u))
        }
    }
}
