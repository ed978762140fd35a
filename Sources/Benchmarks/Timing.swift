import Engine
import Foundation

/// Median of repeated calls after one warm-up call, repeating until `minimumSeconds` have passed (at least
/// `minimumCalls` calls).
func timePerCall(minimumSeconds: Double, minimumCalls: Int = 3, _ body: () throws -> Void) throws -> Double {
    try medianSeconds(of: 1, minimumSeconds: minimumSeconds, minimumCalls: minimumCalls) { _ in try body() }[0]
}

/// As `timePerCall` for two bodies called in turn, so both sides see the same moments of a shared machine's load.
func timeAlternating(minimumSeconds: Double, minimumCalls: Int = 3, _ first: () throws -> Void,
                     _ second: () throws -> Void) throws -> (first: Double, second: Double) {
    let medians = try medianSeconds(of: 2, minimumSeconds: minimumSeconds, minimumCalls: minimumCalls) { try $0 == 0 ? first() : second() }
    return (medians[0], medians[1])
}

/// The median seconds per call of `call(0)` … `call(bodies − 1)`: one warm-up call each, then rounds calling each once,
/// until `minimumSeconds` have passed and at least `minimumCalls` rounds ran.
private func medianSeconds(of bodies: Int, minimumSeconds: Double, minimumCalls: Int, _ call: (Int) throws -> Void) throws -> [Double] {
    for body in 0..<bodies { try call(body) }
    var samples = [[Double]](repeating: [], count: bodies)
    let start = DispatchTime.now().uptimeNanoseconds
    repeat {
        for body in 0..<bodies {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try call(body)
            samples[body].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
    } while samples[0].count < minimumCalls || Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < minimumSeconds
    return samples.map { $0.sorted()[$0.count / 2] }
}

/// The kernel profile and direct multiply-adds of one call of `body`, with the profiler on only for that call.
func profileOnePass(_ body: () throws -> Void) throws -> (lines: [ProfileLine], multiplyAdds: Double) {
    Profiler.reset()
    Profiler.isEnabled = true
    defer { Profiler.isEnabled = false }
    try body()
    return (Profiler.report, Double(Profiler.multiplyAdds))
}
