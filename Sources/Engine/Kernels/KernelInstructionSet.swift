import CKernels
import Foundation

/// The instruction set the engine's own vector kernels (skinny products, lerp, biasAct) run with: the widest this
/// CPU supports, or the one TOONKIT_SIMD names. How the sets differ: docs/engine-kernels.md.
///
/// `avx2x16` is AVX-512's 16-lane kernels compiled for AVX2 + FMA. It is never chosen on its own: it lets machines
/// without AVX-512 run the code paths only 16-lane sets take (every test that compares the supported sets takes it),
/// and TOONKIT_SIMD=avx2x16 runs a whole workload through them (docs/engine-kernels.md "A check of the 16-lane kernels").
public enum KernelInstructionSet: String, CaseIterable, Sendable {
    case baseline, avx2, avx512, avx2x16

    public static let environmentVariable = "TOONKIT_SIMD"

    /// What this process uses, decided on first use. An unknown or unsupported TOONKIT_SIMD ends the
    /// process with status 2 and says why: silently running another path would falsify a comparison.
    public static let active: KernelInstructionSet = processWideChoice { try fromEnvironment(ProcessInfo.processInfo.environment) }

    /// The set TOONKIT_SIMD forces, or the widest supported one when it is unset or empty.
    public static func fromEnvironment(_ environment: [String: String]) throws -> KernelInstructionSet {
        guard let requested = environment[environmentVariable], !requested.isEmpty else { return widestSupported }
        let names = allCases.map(\.rawValue).joined(separator: ", ")
        guard let set = KernelInstructionSet(rawValue: requested.lowercased()) else {
            throw EngineError(environmentVariable, "unknown instruction set '\(requested)'; use one of \(names)")
        }
        guard set.isSupported else {
            throw EngineError(environmentVariable, "this CPU cannot run \(set.rawValue); it supports \(supported.map(\.rawValue).joined(separator: ", "))")
        }
        return set
    }

    /// The sets this CPU can run, in `allCases` order: the native ones narrowest first, then the check set `avx2x16`.
    public static var supported: [KernelInstructionSet] { allCases.filter(\.isSupported) }

    /// The widest set this CPU runs natively (`avx2x16` only checks AVX-512's kernels where AVX-512 is missing).
    public static var widestSupported: KernelInstructionSet { supported.last { !$0.isCheckOfSixteenLanes }! }

    public var isCheckOfSixteenLanes: Bool { self == .avx2x16 }

    public var isSupported: Bool { ck_cpu_supports(cValue) && ck_kernels(cValue) != nil }

    /// How reports name the set.
    public var displayName: String {
        switch self {
        case .baseline: return "baseline (no AVX)"
        case .avx2: return "AVX2+FMA"
        case .avx512: return "AVX-512"
        case .avx2x16: return "AVX-512's 16-lane kernels on AVX2+FMA"
        }
    }

    private var cValue: ck_instruction_set {
        switch self {
        case .baseline: return ck_baseline
        case .avx2: return ck_avx2
        case .avx512: return ck_avx512
        case .avx2x16: return ck_avx2x16
        }
    }

    /// Floats per vector of the set's kernels (the baseline emulates 8-float vectors).
    public var vectorFloats: Int { self == .avx512 || self == .avx2x16 ? 16 : 8 }

    /// The kernels compiled for this set; only for supported sets.
    var kernels: ck_kernel_table { ck_kernels(cValue)!.pointee }
}
