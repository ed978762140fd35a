import Foundation

/// Wall time per kernel, for `--profile` on the benchmarks. Off by default; when off, the cost is
/// one load of a flag per op.
public enum Profiler {
    nonisolated(unsafe) public static var isEnabled = false
    private static let lock = NSLock()
    nonisolated(unsafe) private static var totals: [String: ProfileLine] = [:]
    /// Per thread, the time spent so far in measured kernels nested in each open measurement, innermost last, so a
    /// kernel's own time excludes the kernels it calls (conv2d's excludes its sgemm) and own times add up. Nesting is
    /// per thread: every measurement today wraps its parallel loop, none runs inside one; one that did would show its
    /// workers' time as extra top-level lines. A kernel nested in itself counts the inner call twice in `seconds`
    /// (its own time stays right). `reset` leaves the stacks alone: each open measurement pops what it pushed.
    nonisolated(unsafe) private static var nestedSeconds: [pthread_t: [Double]] = [:]

    @inline(__always)
    static func measure<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        guard isEnabled else { return try body() }
        let thread = pthread_self()
        lock.lock(); nestedSeconds[thread, default: []].append(0); lock.unlock()
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            lock.lock()
            let nested = nestedSeconds[thread]?.popLast() ?? 0
            if let enclosing = nestedSeconds[thread]?.indices.last { nestedSeconds[thread]![enclosing] += seconds }
            let previous = totals[name] ?? ProfileLine(kernel: name, seconds: 0, ownSeconds: 0, calls: 0)
            totals[name] = ProfileLine(kernel: name, seconds: previous.seconds + seconds, ownSeconds: previous.ownSeconds + seconds - nested,
                                       calls: previous.calls + 1)
            lock.unlock()
        }
        return try body()
    }

    /// Runs `body` with the profiler off, then restores it: work a benchmark does beside a profiled workload (its sgemm
    /// yardstick) stays out of the workload's profile and multiply-adds. Call it outside any open measurement.
    public static func paused<T>(_ body: () throws -> T) rethrows -> T {
        let wasEnabled = isEnabled
        isEnabled = false
        defer { isEnabled = wasEnabled }
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

    /// One line per kernel, the largest own time first.
    public static var report: [ProfileLine] {
        lock.lock(); defer { lock.unlock() }
        return totals.values.sorted { $0.ownSeconds > $1.ownSeconds }
    }
}

/// A kernel's wall time with the kernels it calls (`seconds`) and without them (`ownSeconds`), and its number of calls
/// (per step or batch when a benchmark divides it).
public struct ProfileLine: Codable, Sendable {
    public let kernel: String
    public let seconds: Double
    public let ownSeconds: Double
    public let calls: Int

    public init(kernel: String, seconds: Double, ownSeconds: Double, calls: Int) {
        self.kernel = kernel
        self.seconds = seconds
        self.ownSeconds = ownSeconds
        self.calls = calls
    }

    /// Times and calls divided by `count` (per step of a run of `count` steps).
    public func divided(by count: Int) -> ProfileLine {
        ProfileLine(kernel: kernel, seconds: seconds / Double(count), ownSeconds: ownSeconds / Double(count), calls: calls / count)
    }
}
