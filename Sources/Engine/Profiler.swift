import Foundation

/// Wall time per kernel, for `--profile` on the benchmarks. Off by default; when off, the cost is
/// one load of a flag per op.
public enum Profiler {
    nonisolated(unsafe) public static var isEnabled = false
    private static let lock = NSLock()
    nonisolated(unsafe) private static var totals: [String: (seconds: Double, calls: Int)] = [:]

    @inline(__always)
    static func measure<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        guard isEnabled else { return try body() }
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            lock.lock()
            let previous = totals[name] ?? (0, 0)
            totals[name] = (previous.seconds + seconds, previous.calls + 1)
            lock.unlock()
        }
        return try body()
    }

    nonisolated(unsafe) private static var countedMultiplyAdds = 0

    /// Adds the multiply-adds of one convolution or matrix product (its direct algorithm's count, whatever
    /// kernel ran), so a benchmark can state the fraction of the machine's sgemm rate a whole step reaches.
    @inline(__always)
    static func countMultiplyAdds(_ count: Int) {
        guard isEnabled else { return }
        lock.lock(); countedMultiplyAdds += count; lock.unlock()
    }

    /// Multiply-adds counted since the last reset.
    public static var multiplyAdds: Int {
        lock.lock(); defer { lock.unlock() }
        return countedMultiplyAdds
    }

    public static func reset() {
        lock.lock(); totals = [:]; countedMultiplyAdds = 0; lock.unlock()
    }

    /// One line per kernel, most expensive first.
    public static var report: [ProfileLine] {
        lock.lock(); defer { lock.unlock() }
        return totals.map { ProfileLine(kernel: $0.key, seconds: $0.value.seconds, calls: $0.value.calls) }.sorted { $0.seconds > $1.seconds }
    }
}

/// A kernel's total wall time and number of calls (per step or batch when a benchmark divides it).
public struct ProfileLine: Codable, Sendable {
    public let kernel: String
    public let seconds: Double
    public let calls: Int

    public init(kernel: String, seconds: Double, calls: Int) {
        self.kernel = kernel
        self.seconds = seconds
        self.calls = calls
    }
}
