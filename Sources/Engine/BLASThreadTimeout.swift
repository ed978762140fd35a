import Foundation

/// How long OpenBLAS's idle worker threads spin before they sleep, and why the CLI shortens it
/// (docs/engine-kernels.md "OpenBLAS's idle threads"): after every product they call sched_yield for
/// 2^OPENBLAS_THREAD_TIMEOUT cycles, against the engine's own workers that run between the products. OpenBLAS reads
/// the variable once, when it is loaded, so the CLI restarts itself with it set (`environmentToAdd`).
public enum BLASThreadTimeout {
    public static let environmentVariable = "OPENBLAS_THREAD_TIMEOUT"

    /// 2^16 cycles, tens of microseconds: long enough for back-to-back products to find their workers awake.
    public static let engineValue = 16

    /// OpenBLAS's own exponent when the variable is unset, and the range it clamps a set value to.
    static let openBLASDefault = 28
    static let openBLASRange = 4...30

    /// The variable and value a process must be started with, or nil when its environment already sets one
    /// (an empty value counts as unset, as it does for OpenBLAS).
    public static func environmentToAdd(_ environment: [String: String]) -> (name: String, value: String)? {
        guard (environment[environmentVariable] ?? "").isEmpty else { return nil }
        return (environmentVariable, String(engineValue))
    }

    /// The spin OpenBLAS runs with in this process, for the benchmarks' machine line (`ProcessStartEnvironment`).
    public static var inEffect: String {
        guard let value = ProcessStartEnvironment.variables[environmentVariable], !value.isEmpty else {
            return "2^\(openBLASDefault) cycles (OpenBLAS's default)"
        }
        // OpenBLAS reads the value with atoi: leading digits; 0 or none leaves its default.
        guard let exponent = Int(value.prefix { $0.isNumber }), exponent > 0 else {
            return "2^\(openBLASDefault) cycles (OpenBLAS ignores \(environmentVariable)=\(value))"
        }
        return "2^\(min(openBLASRange.upperBound, max(openBLASRange.lowerBound, exponent))) cycles"
    }
}
