import Foundation

/// How long OpenBLAS's idle worker threads spin before they sleep. After every product they call sched_yield for
/// 2^OPENBLAS_THREAD_TIMEOUT cycles, 2^28 by default (about 0.1 s): on a machine with as many cores as threads they
/// then compete with the engine's own workers (im2col, transforms, pooling, elementwise kernels), which run between
/// the products. `perf` on `toonkit bench inception` (AMD EPYC, 2 cores): 16 % of the time in sched_yield and the
/// scheduler. OpenBLAS reads the variable once, when it is loaded, so the CLI restarts itself with it set
/// (`environmentToAdd`); a value the user set is kept. Measured, one binary with and without the variable
/// (docs/engine-kernels.md "OpenBLAS's idle threads").
public enum BLASThreadTimeout {
    public static let variable = "OPENBLAS_THREAD_TIMEOUT"

    /// 2^16 cycles, tens of microseconds: long enough for back-to-back products to find their workers awake.
    public static let engineValue = 16

    /// The variable and value a process must be started with, or nil when its environment already sets one.
    public static func environmentToAdd(_ environment: [String: String]) -> (name: String, value: String)? {
        guard (environment[variable] ?? "").isEmpty else { return nil }
        return (variable, String(engineValue))
    }

    /// What this process runs with, for the benchmarks' machine line: OpenBLAS clamps the exponent to 4…30.
    public static var inEffect: String {
        guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else { return "2^28 cycles (OpenBLAS's default)" }
        guard let exponent = Int(value), exponent > 0 else { return "2^28 cycles (OpenBLAS ignores \(variable)=\(value))" }
        return "2^\(min(30, max(4, exponent))) cycles"
    }
}
