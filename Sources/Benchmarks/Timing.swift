import Engine
import Foundation

/// Median of repeated calls after one warm-up call, repeating until `minimumSeconds` have passed (at least
/// `minimumCalls` calls).
func timePerCall(minimumSeconds: Double, minimumCalls: Int = 3, _ body: () throws -> Void) throws -> Double {
    try body()
    var samples: [Double] = []
    let start = DispatchTime.now().uptimeNanoseconds
    repeat {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    } while samples.count < minimumCalls || Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < minimumSeconds
    return samples.sorted()[samples.count / 2]
}

/// The kernel profile and direct multiply-adds of one call of `body`, with the profiler on only for that call.
func profileOnePass(_ body: () throws -> Void) throws -> (lines: [ProfileLine], multiplyAdds: Double) {
    Profiler.reset()
    Profiler.isEnabled = true
    defer { Profiler.isEnabled = false }
    try body()
    return (Profiler.report, Double(Profiler.multiplyAdds))
}
