import CRoundTrip

/// How long one cache line took from one CPU to another and back (`toon_cpu_round_trip`: two threads pinned to the
/// process's first two CPUs hand a counter back and forth), measured at every turn of a benchmark's work. On a virtual
/// machine it shows where the host placed the CPUs, and work split over two threads slows with it while one thread
/// does not: on the 2-core Zen 4 of docs/engine-kernels.md "The host's slow state", 50–90 ns in the fast state and
/// 330–380 ns in the slow one, where a 2304 × 256 × 512 sgemm ran at 0.71 of sgemm 2048³'s rate instead of 0.96.
public struct CPURoundTrip: Codable, Sendable {
    public let firstCPU: Int, secondCPU: Int
    public let medianNanoseconds: Double
    public let minimumNanoseconds: Double
    public let maximumNanoseconds: Double
    public let measurements: Int
    /// Measurements the other CPU did not answer within `RoundTripProbe.timeoutSeconds` (it ran other work).
    public let unanswered: Int

    /// "57 ns", or "57 ns (55–348)" when the measurements spread over more than half again of the smallest: the
    /// placement changed during the measurement.
    public var summary: String {
        let median = "\(Int(medianNanoseconds.rounded())) ns"
        let unansweredNote = unanswered > 0 ? ", \(unanswered) unanswered" : ""
        guard maximumNanoseconds > 1.5 * minimumNanoseconds || unanswered > 0 else { return median }
        return median + " (\(Int(minimumNanoseconds.rounded()))–\(Int(maximumNanoseconds.rounded()))\(unansweredNote))"
    }

    /// "CPUs 0↔1 round trip: 57 ns".
    public var line: String { "CPUs \(firstCPU)↔\(secondCPU) round trip: " + summary }

    /// `roundTrip`'s line, or that there was none (`RoundTripProbe.line` says why, in the benchmark's progress).
    public static func line(_ roundTrip: CPURoundTrip?) -> String {
        roundTrip?.line ?? "CPU round trip: not measured (it needs two CPUs, the second answering within \(Int(RoundTripProbe.timeoutSeconds * 1000)) ms)"
    }
}

/// Round trips measured one after another beside a benchmark's work (a class, so the closures `timePerCall` calls between
/// turns can add to it).
final class RoundTripProbe {
    /// Round trips per batch and batches per measurement: about 0.3 ms near, 2 ms far, after a warm-up batch.
    static let trips: Int32 = 1000, batches: Int32 = 5
    /// A measurement whose other CPU has not answered by then is counted as unanswered, not waited for.
    static let timeoutSeconds = 0.2

    private var nanoseconds: [Double] = []
    private var cpus: (Int, Int)?
    private var unanswered = 0
    /// Why the process cannot measure, when it cannot (one CPU, a thread that could not be started or pinned).
    private(set) var unavailable: String?

    func sample() {
        var result = toon_round_trip()
        toon_cpu_round_trip(Self.trips, Self.batches, Self.timeoutSeconds, &result)
        switch Int(result.status) {
        case Int(TOON_ROUND_TRIP_MEASURED.rawValue):
            nanoseconds.append(result.nanoseconds)
            cpus = (Int(result.first_cpu), Int(result.second_cpu))
        case Int(TOON_ROUND_TRIP_TIMED_OUT.rawValue):
            unanswered += 1
            cpus = (Int(result.first_cpu), Int(result.second_cpu))
        case Int(TOON_ROUND_TRIP_ONE_CPU.rawValue):
            unavailable = "the process may run on one CPU only"
        default:
            unavailable = "a thread could not be started or pinned to a CPU (error \(result.error))"
        }
    }

    /// The measurements so far; nil before the first or when none could be made (`unavailable` says why, or every
    /// measurement went unanswered).
    var result: CPURoundTrip? {
        guard let cpus, !nanoseconds.isEmpty else { return nil }
        return CPURoundTrip(firstCPU: cpus.0, secondCPU: cpus.1, medianNanoseconds: median(nanoseconds), minimumNanoseconds: nanoseconds.min()!,
                            maximumNanoseconds: nanoseconds.max()!, measurements: nanoseconds.count, unanswered: unanswered)
    }

    /// `result`'s line, or why there is none.
    var line: String {
        if let result { return result.line }
        if let unavailable { return "CPU round trip: not measured (\(unavailable))" }
        return unanswered > 0 ? "CPU round trip: not measured (the other CPU answered none of \(unanswered) measurements within \(Int(Self.timeoutSeconds * 1000)) ms)"
            : "CPU round trip: not measured"
    }
}
