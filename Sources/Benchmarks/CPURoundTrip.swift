import CRoundTrip

/// How long one cache line took from one CPU to another and back (`toon_cpu_round_trip`: two threads pinned to the first
/// two CPUs the measuring thread may run on hand a counter back and forth), measured at every turn of a benchmark's work.
/// On a virtual machine it shows where the host placed the CPUs, and work split over two threads slows with it while one
/// thread does not (docs/engine-kernels.md "The host's slow state" has the numbers of the machine measured there).
public struct CPURoundTrip: Codable, Sendable {
    public let firstCPU: Int, secondCPU: Int
    /// Over the measurements that finished; nil when none did.
    public let medianNanoseconds: Double?
    public let minimumNanoseconds: Double?
    public let maximumNanoseconds: Double?
    public let measurements: Int
    /// Measurements that did not finish within `RoundTripProbe.timeoutSeconds` (the other CPU ran other work).
    public let unanswered: Int

    /// "57 ns", or "57 ns (55–348)" when the measurements spread over more than half again of the smallest (the placement
    /// changed during the measurement), with the unanswered ones counted.
    public var summary: String {
        let unansweredNote = unanswered > 0 ? "\(unanswered) unanswered within \(RoundTripProbe.timeLimit)" : ""
        guard let median = medianNanoseconds, let minimum = minimumNanoseconds, let maximum = maximumNanoseconds else {
            return "not measured (\(unansweredNote))"
        }
        let medianText = "\(Int(median.rounded())) ns"
        guard maximum > 1.5 * minimum || unanswered > 0 else { return medianText }
        return medianText + " (\(Int(minimum.rounded()))–\(Int(maximum.rounded()))" + (unanswered > 0 ? ", " + unansweredNote : "") + ")"
    }

    /// "CPUs 0↔1 round trip: 57 ns".
    public var line: String { "CPUs \(firstCPU)↔\(secondCPU) round trip: " + summary }

    /// `roundTrip`'s line, or that there was none (`RoundTripProbe.line` says why, in the benchmark's progress).
    public static func line(_ roundTrip: CPURoundTrip?) -> String {
        roundTrip?.line ?? "CPU round trip: not measured (one CPU, or threads that could not be pinned)"
    }
}

/// Round trips measured one after another beside a benchmark's work (a class, so the closures `timePerCall` calls between
/// turns can add to it).
final class RoundTripProbe {
    /// Round trips per batch and batches per measurement: about 0.3 ms near, 2 ms far, after a warm-up batch.
    static let trips: Int32 = 1000, batches: Int32 = 5
    /// A measurement not finished by then is counted as unanswered rather than waited for.
    static let timeoutSeconds = 0.2
    static var timeLimit: String { "\(Int(timeoutSeconds * 1000)) ms" }

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
            unavailable = "a thread could not be started, pinned to a CPU or unpinned (error \(result.error))"
        }
    }

    /// The measurements so far; nil before the first, or when the process cannot measure (`unavailable` says why).
    var result: CPURoundTrip? {
        guard let cpus else { return nil }
        return CPURoundTrip(firstCPU: cpus.0, secondCPU: cpus.1, medianNanoseconds: nanoseconds.isEmpty ? nil : median(nanoseconds),
                            minimumNanoseconds: nanoseconds.min(), maximumNanoseconds: nanoseconds.max(),
                            measurements: nanoseconds.count, unanswered: unanswered)
    }

    /// `result`'s line, or why there is none.
    var line: String {
        if let result { return result.line }
        return "CPU round trip: not measured" + (unavailable.map { " (\($0))" } ?? "")
    }
}
