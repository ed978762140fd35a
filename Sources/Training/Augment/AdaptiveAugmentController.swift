import Engine

/// ADA's overfitting heuristic and p controller (docs/training-loop.md §7).
///
/// The training loop reports the real-image logits of every Dmain and Dreg pass; every `interval`
/// iterations the mean sign r_t moves p by ±(batch·interval)/(adaKimg·1000) toward r_t = target,
/// clamped at 0 only (p above 1 saturates the gates). Codable with its partial sums, so a resumed run
/// continues exactly.
public struct AdaptiveAugmentController: Codable, Equatable, Sendable {
    public struct Update: Codable, Equatable, Sendable {
        /// r_t: mean sign of the real logits reported since the previous update.
        public var realSignMean: Double
        /// The step that was added to p before clamping.
        public var adjustment: Double
        /// p after the update.
        public var p: Float
    }

    public var target: Double
    /// Images (in thousands) over which p can move by 1: 500, or 100 when resuming.
    public var adaKimg: Double
    public var batchSize: Int
    public var interval: Int
    /// Sum of sign(logit) over the logits reported since the last update (exact: each term is −1, 0 or 1).
    public private(set) var signSum: Int = 0
    public private(set) var signCount: Int = 0
    /// The most recent update, for logging r_t and p.
    public private(set) var lastUpdate: Update?

    public init(batchSize: Int, target: Double = 0.6, adaKimg: Double = 500, interval: Int = 4) {
        self.batchSize = batchSize
        self.target = target
        self.adaKimg = adaKimg
        self.interval = interval
    }

    /// train.py's ada_kimg: 100 when resuming from a network, so the controller reacts 5× faster.
    public static func defaultAdaKimg(resuming: Bool) -> Double { resuming ? 100 : 500 }

    /// r_t over what has been reported since the last update, if anything has.
    public var pendingRealSignMean: Double? { signCount > 0 ? Double(signSum) / Double(signCount) : nil }

    /// Records the signs of real logits from a Dmain or Dreg pass (NaN counts as 0).
    public mutating func accumulate(realLogits: Tensor) {
        let (sum, count) = Self.signs(of: realLogits)
        accumulate(signSum: sum, count: count)
    }

    /// Sums reported by several processes together (a data-parallel run reduces them first).
    public mutating func accumulate(signSum sum: Int, count: Int) {
        signSum += sum
        signCount += count
    }

    /// Σ sign(logit) and the number of logits.
    public static func signs(of realLogits: Tensor) -> (sum: Int, count: Int) {
        realLogits.withUnsafeBufferPointer { values in
            (values.reduce(0) { $0 + ($1 > 0 ? 1 : ($1 < 0 ? -1 : 0)) }, values.count)
        }
    }

    /// Call after each iteration with the incremented batch index (as the reference does after its
    /// `batch_idx += 1`). On every `interval`-th index it adjusts `p` and starts a new accumulation.
    /// Returns the update made, or nil when none was due; an update with nothing reported leaves p alone
    /// (the reference's mean of nothing would be NaN).
    @discardableResult
    public mutating func endIteration(batchIndex: Int, adjusting p: inout Float) -> Update? {
        guard batchIndex % interval == 0, let realSignMean = pendingRealSignMean else { return nil }
        let direction: Double = realSignMean > target ? 1 : (realSignMean < target ? -1 : 0)
        let adjustment = direction * Double(batchSize * interval) / (adaKimg * 1000)
        // p is a float32 buffer in the reference, and the step is added in float32.
        p = max(p + Float(adjustment), 0)
        signSum = 0
        signCount = 0
        lastUpdate = Update(realSignMean: realSignMean, adjustment: adjustment, p: p)
        return lastUpdate
    }
}
