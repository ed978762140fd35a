import Foundation

/// How close a unit of work (a training step, a batch of images) comes to the machine's float32 limit: the direct
/// multiply-adds of every convolution and matrix product it ran (`Profiler.multiplyAdds`; a Winograd layer counts what
/// the direct algorithm would do, so the fraction can pass 1), against sgemm 2048³ timed in the same process in turns
/// with the work (`WorkloadReference`).
/// `secondsAtSgemmRate` is the time the unit would take if all of that arithmetic ran at sgemm's rate: the yardstick
/// for "faster than X" claims on a given machine (docs/engine-kernels.md "Counting").
public struct SgemmShare: Codable, Sendable {
    /// Direct multiply-adds per unit.
    public let multiplyAdds: Double
    /// 2 · multiply-adds per second over the measured time.
    public let gflops: Double
    public let sgemmGflops: Double
    public let fraction: Double
    public let secondsAtSgemmRate: Double

    public init(multiplyAdds: Double, seconds: Double, sgemmGflops: Double) {
        self.multiplyAdds = multiplyAdds
        self.sgemmGflops = sgemmGflops
        gflops = 2 * multiplyAdds / seconds / 1e9
        fraction = gflops / sgemmGflops
        secondsAtSgemmRate = 2 * multiplyAdds / sgemmGflops / 1e9
    }

    /// "… GFLOP per UNIT in convolutions and matrix products (direct count): … GFLOP/s, … of sgemm (… GFLOP/s)".
    public func summary(per unit: String) -> String {
        let gigaflop = 2 * multiplyAdds / 1e9
        // Small test networks do a few dozen megaflops per image; one decimal would print them as 0.0.
        return String(format: gigaflop < 1 ? "%.3f" : "%.1f", gigaflop)
            + String(format: " GFLOP per %@ in convolutions and matrix products (direct count): %.1f GFLOP/s, %.2f of sgemm (%.1f GFLOP/s)",
                     unit, gflops, fraction, sgemmGflops)
    }

    /// "… img/s at sgemm's rate" for a unit of `batch` images.
    public func imagesAtSgemmRate(batch: Int) -> String {
        String(format: "%.2f img/s at sgemm's rate", Double(batch) / secondsAtSgemmRate)
    }
}
