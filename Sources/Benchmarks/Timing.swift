import Engine
import Foundation

/// Median of repeated calls after one warm-up call, repeating until `minimumSeconds` have passed (at least
/// `minimumCalls` calls).
func timePerCall(minimumSeconds: Double, minimumCalls: Int = 3, _ body: () throws -> Void) throws -> Double {
    try body()
    var samples = CallSamples(bodies: 1)
    try samples.sample(seconds: minimumSeconds, minimumRounds: minimumCalls) { _ in try body() }
    return samples.medians[0]
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

/// `body(variant)` as a variant call: the variant runs under `against` (ConvolutionAlgorithm.using) when one is given; `body`
/// picks whatever else differs (another network, weights that keep no transforms).
func variantCall(_ against: ConvolutionAlgorithm?, _ body: @escaping (_ variant: Bool) throws -> Void) -> (_ variant: Bool) throws -> Void {
    { variant in try ConvolutionAlgorithm.using(variant ? against ?? .current : .current) { try body(variant) } }
}

/// The median seconds of `call(false)`, and with a `variant` name also of `call(true)` (the two called in turn), with
/// `reference` timed beside them: the calls and the reference take turns, the calls for about `slice` seconds and the
/// reference for about `referenceSlice` (at least one call each), until the calls have had their time, so a shared machine
/// whose speed changes during a run (this one's fast and slow states come and go within seconds) moves the work and its
/// reference together. Slices rather than single calls in turn keep a short call's data in the caches as when it runs
/// alone; a call longer than a slice always follows the reference, as a layer in a network follows other work.
/// `roundTrips` measures the CPUs' round trip after every reference slice, untimed: the state the numbers came from.
func timePerCall(minimumSeconds: Double, variant: String?, beside reference: () throws -> Void, slice: Double = 0.1,
                 referenceSlice: Double? = nil, roundTrips: RoundTripProbe,
                 _ call: (_ variant: Bool) throws -> Void) throws -> (seconds: Double, against: Comparison?, referenceSeconds: Double) {
    let bodies = variant == nil ? 1 : 2
    for body in 0..<bodies { try call(body == 1) }
    try reference()
    var calls = CallSamples(bodies: bodies), references = CallSamples(bodies: 1), turns = 0
    // At least 3 turns, so each side has 3 samples or more and the round trip 3 measurements whatever the speeds.
    repeat {
        try calls.sample(seconds: slice, minimumRounds: 1) { try call($0 == 1) }
        try references.sample(seconds: referenceSlice ?? slice, minimumRounds: 1) { _ in try reference() }
        roundTrips.sample()
        turns += 1
    } while turns < 3 || calls.seconds < Double(bodies) * minimumSeconds
    let medians = calls.medians
    return (medians[0], variant.map { Comparison(variant: $0, medians: medians) }, references.medians[0])
}

/// A whole workload's sgemm yardstick (`SgemmShare`): one 2048³ product after about every half second of generation or
/// Inception batches (`timePerCall(…beside:…)` with `slice(minimumSeconds:)`), or after every training step, instead of
/// one measurement before the work. Measured once before, a slow spell of the host in that second made `bench train`
/// state 1.85 of sgemm (the reference read 108 GFLOP/s against 180–205 in other runs of that hour).
struct WorkloadReference {
    /// Half a second of batches between products, less when the whole measurement is asked to be shorter (at least 0.05 s).
    static func slice(minimumSeconds: Double) -> Double { min(0.5, max(minimumSeconds, 0.05)) }
    private let product: (call: () throws -> Void, flops: Double)
    private var samples = CallSamples(bodies: 1)

    init() throws {
        product = try KernelBenchmark.sgemmCall(size: 2048)
    }

    /// The product, for `timePerCall(…beside:…)`.
    var call: () throws -> Void { product.call }

    /// GFLOP/s of a product that took `seconds`.
    func gflops(seconds: Double) -> Double { product.flops / seconds / 1e9 }

    /// Times one product with the profiler paused, so neither its time nor its multiply-adds enter a profiled workload's.
    mutating func sample() throws {
        try Profiler.paused { try samples.sample(seconds: 0, minimumRounds: 1) { _ in try product.call() } }
    }

    /// GFLOP/s of the median product `sample` timed.
    var medianGflops: Double { gflops(seconds: samples.medians[0]) }
}

/// The middle value, the mean of the middle two for an even count; `values` must not be empty.
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted(), middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// Seconds of each call of several bodies, taken in rounds that call each body once, in turn first and last: a body
/// that always ran first would always follow whatever ran before the round (the sgemm reference beside a whole
/// workload, with its 48 MB of operands through the caches).
struct CallSamples {
    private var samples: [[Double]]
    /// Wall time spent in `sample` so far.
    private(set) var seconds = 0.0

    init(bodies: Int) { samples = Array(repeating: [], count: bodies) }

    var rounds: Int { samples[0].count }
    /// Each body's median.
    var medians: [Double] { samples.map(median) }

    /// Rounds until `seconds` have passed in this call and at least `minimumRounds` ran.
    mutating func sample(seconds limit: Double, minimumRounds: Int, _ call: (Int) throws -> Void) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0, roundsHere = 0
        repeat {
            // By the rounds taken so far in all calls, so that one round per call still alternates.
            for body in self.rounds.isMultiple(of: 2) ? Array(samples.indices) : samples.indices.reversed() {
                let t0 = DispatchTime.now().uptimeNanoseconds
                try call(body)
                samples[body].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            }
            roundsHere += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while roundsHere < minimumRounds || elapsed < limit
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
