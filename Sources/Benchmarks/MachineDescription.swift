import Engine
import Foundation

/// What a benchmark ran on, printed with every benchmark: numbers from machines that differ (AVX-512 or not,
/// another OpenBLAS kernel family) or from another convolution path are not comparable.
public struct MachineDescription: Codable, Sendable {
    public let cpu: String
    public let instructionSet: String
    public let blasCore: String
    public let threads: Int
    public let convolution: String
    public let blasThreadTimeout: String
    public let heldBufferCapacityBytes: Int
    /// One core's L2, which sizes the direct convolutions' bands (nil when the C library does not report it).
    public let level2CacheBytes: Int?

    public static var current: MachineDescription {
        MachineDescription(cpu: cpuModel() ?? "unknown CPU", instructionSet: KernelInstructionSet.active.displayName,
                           blasCore: EngineThreads.blasCoreInEffect, threads: EngineThreads.count,
                           convolution: ConvolutionAlgorithm.active.rawValue, blasThreadTimeout: BLASThreadTimeout.inEffect,
                           heldBufferCapacityBytes: ProcessMemory.heldBufferCapacityBytes, level2CacheBytes: CPUCache.level2Bytes)
    }

    public var line: String {
        "machine: \(cpu), L2 \(level2CacheBytes.map { "\($0 >> 10) KiB" } ?? "not reported") per core; engine kernels \(instructionSet) (\(KernelInstructionSet.environmentVariable)); OpenBLAS core \(blasCore); "
            + "idle-thread spin \(blasThreadTimeout) (\(BLASThreadTimeout.environmentVariable)); \(threads) threads; convolutions \(convolution) (\(ConvolutionAlgorithm.environmentVariable)=\(ConvolutionAlgorithm.allCases.map(\.rawValue).joined(separator: "|"))); "
            + String(format: "freed buffers held up to %.1f GiB", Double(heldBufferCapacityBytes) / Double(1 << 30))
    }

    /// The first "model name" of /proc/cpuinfo (Linux).
    static func cpuModel() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }
}
