import Foundation
import Testing
@testable import Engine

/// Serialized: the profiler is process-wide, and each test resets and enables it.
@Suite(.serialized) struct ProfilerTests {
    /// A kernel's own time excludes the measured kernels it calls, so the benchmarks' own times add up to the profiled
    /// time instead of counting conv2d's sgemm twice.
    @Test func ownTimesExcludeNestedKernels() {
        Profiler.reset()
        Profiler.isEnabled = true
        defer { Profiler.isEnabled = false }
        Profiler.measure("profiler test outer") {
            Thread.sleep(forTimeInterval: 0.02)
            for _ in 0..<2 { Profiler.measure("profiler test inner") { Thread.sleep(forTimeInterval: 0.01) } }
        }
        let lines = Dictionary(uniqueKeysWithValues: Profiler.report.map { ($0.kernel, $0) })
        guard let outer = lines["profiler test outer"], let inner = lines["profiler test inner"] else {
            Issue.record("missing lines: \(lines.keys.sorted())")
            return
        }
        #expect(outer.calls == 1 && inner.calls == 2)
        #expect(inner.ownSeconds == inner.seconds && inner.seconds >= 0.02)
        #expect(outer.ownSeconds == outer.seconds - inner.seconds)
        #expect(outer.ownSeconds >= 0.02)
    }

    /// `paused` keeps work beside a profiled workload (the benchmarks' sgemm yardstick) out of its profile and its
    /// multiply-adds, and leaves the profiler as it found it.
    @Test func pausedWorkStaysOutOfTheProfile() {
        Profiler.reset()
        Profiler.isEnabled = true
        defer { Profiler.isEnabled = false }
        Profiler.measure("profiler test counted") {}
        Profiler.paused {
            #expect(!Profiler.isEnabled)
            Profiler.measure("profiler test paused") {}
            Profiler.countMultiplyAdds(1 << 40)
        }
        #expect(Profiler.isEnabled)
        let kernels = Set(Profiler.report.map(\.kernel))
        #expect(kernels.contains("profiler test counted") && !kernels.contains("profiler test paused"))
        #expect(Profiler.multiplyAdds < 1 << 40)
    }
}
