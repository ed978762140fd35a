import Engine
import Foundation

/// Median of repeated calls after one warm-up call, repeating until `minimumSeconds` have passed (at least
/// `minimumCalls` calls).
func timePerCall(minimumSeconds: Double, minimumCalls: Int = 3, _ body: () throws -> Void) throws -> Double {
    try medianSeconds(of: 1, minimumSeconds: minimumSeconds, minimumCalls: minimumCalls) { _ in try body() }[0]
}

/// The work timed a second way (another convolution algorithm, another rounding) in the same loop as the process's
/// own: medians of calls alternated one by one, so a load that comes and goes slows both sides alike.
public struct Comparison: Codable, Sendable {
    /// The other way: a convolution algorithm ("im2col"), or "standard rounding".
    public let variant: String
    public let seconds: Double
    /// The other way's time over the process's own (above 1: the process's own is faster).
    public let speedup: Double

    /// "; im2col 12.34 ms, 1.25× as long", with the time in `unit` ("ms" or "s").
    public func summary(unit: String) -> String {
        String(format: "; %@ %.2f %@, %.2f× as long", variant, seconds * (unit == "ms" ? 1e3 : 1), unit, speedup)
    }
}

extension Comparison {
    /// From the medians of the process's own way and the other, in that order.
    init(variant: String, medians: [Double]) {
        self.init(variant: variant, seconds: medians[1], speedup: medians[1] / medians[0])
    }
}

/// `timePerCall`, and with `against` the same body under that algorithm (ConvolutionAlgorithm.using), called in turn.
func timePerCall(minimumSeconds: Double, against: ConvolutionAlgorithm?,
                 _ body: @escaping () throws -> Void) throws -> (seconds: Double, against: Comparison?) {
    try timePerCall(minimumSeconds: minimumSeconds, variant: against?.rawValue, variantCall(against, body))
}

/// `body` as a variant call: under `against` (ConvolutionAlgorithm.using) when asked for the variant.
func variantCall(_ against: ConvolutionAlgorithm?, _ body: @escaping () throws -> Void) -> (_ variant: Bool) throws -> Void {
    { other in try other ? ConvolutionAlgorithm.using(against!, body) : body() }
}

/// `timePerCall` of `call(false)`, and with a `variant` name also of `call(true)`, the two called in turn.
func timePerCall(minimumSeconds: Double, variant: String?, _ call: (_ variant: Bool) throws -> Void) throws -> (seconds: Double, against: Comparison?) {
    guard let variant else { return (try timePerCall(minimumSeconds: minimumSeconds) { try call(false) }, nil) }
    let medians = try medianSeconds(of: 2, minimumSeconds: 2 * minimumSeconds, minimumCalls: 3) { try call($0 == 1) }
    return (medians[0], Comparison(variant: variant, medians: medians))
}

/// `timePerCall(minimumSeconds:variant:_:)` with `reference` timed beside it: the two take turns in slices of about
/// `slice` seconds (at least one call each) until the call has had its time, so a shared machine whose speed changes
/// during a long table (this one's fast and slow states come and go within seconds) moves a row and its reference
/// together. Slices rather than single calls in turn keep a short call's data in the caches as when it runs alone; a
/// call longer than a slice always follows the reference, as a layer in a network follows other work.
func timePerCall(minimumSeconds: Double, variant: String?, beside reference: () throws -> Void, slice: Double = 0.1,
                 _ call: (_ variant: Bool) throws -> Void) throws -> (seconds: Double, against: Comparison?, referenceSeconds: Double) {
    let bodies = variant == nil ? 1 : 2
    for body in 0..<bodies { try call(body == 1) }
    try reference()
    var calls = CallSamples(bodies: bodies), references = CallSamples(bodies: 1)
    repeat {
        try calls.sample(seconds: slice, minimumRounds: 1) { try call($0 == 1) }
        try references.sample(seconds: slice, minimumRounds: 1) { _ in try reference() }
    } while calls.rounds < 3 || references.rounds < 3 || calls.seconds < Double(bodies) * minimumSeconds
    let medians = calls.medians
    return (medians[0], variant.map { Comparison(variant: $0, medians: medians) }, references.medians[0])
}

/// The median seconds per call of `call(0)` … `call(bodies − 1)`: one warm-up call each, then rounds calling each once,
/// until `minimumSeconds` have passed and at least `minimumCalls` rounds ran.
private func medianSeconds(of bodies: Int, minimumSeconds: Double, minimumCalls: Int, _ call: (Int) throws -> Void) throws -> [Double] {
    for body in 0..<bodies { try call(body) }
    var samples = CallSamples(bodies: bodies)
    try samples.sample(seconds: minimumSeconds, minimumRounds: minimumCalls, call)
    return samples.medians
}

/// Seconds of each call of several bodies, taken in rounds that call each body once.
private struct CallSamples {
    private var samples: [[Double]]
    /// Wall time spent in `sample` so far.
    private(set) var seconds = 0.0

    init(bodies: Int) { samples = Array(repeating: [], count: bodies) }

    var rounds: Int { samples[0].count }
    var medians: [Double] { samples.map { $0.sorted()[$0.count / 2] } }

    /// Rounds until `seconds` have passed in this call and at least `minimumRounds` ran.
    mutating func sample(seconds limit: Double, minimumRounds: Int, _ call: (Int) throws -> Void) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0, rounds = 0
        repeat {
            for body in samples.indices {
                let t0 = DispatchTime.now().uptimeNanoseconds
                try call(body)
                samples[body].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            }
            rounds += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while rounds < minimumRounds || elapsed < limit
        seconds += elapsed
    }
}

/// The kernel profile and direct multiply-adds of one call of `body`, with the profiler on only for that call.
func profileOnePass(_ body: () throws -> Void) throws -> (lines: [ProfileLine], multiplyAdds: Double) {
    Profiler.reset()
    Profiler.isEnabled = true
    defer { Profiler.isEnabled = false }
    try body()
    return (Profiler.report, Double(Profiler.multiplyAdds))
}
