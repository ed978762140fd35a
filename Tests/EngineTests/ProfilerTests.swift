import Foundation
import Testing
@testable import Engine

@Suite struct ProfilerTests {
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
}
