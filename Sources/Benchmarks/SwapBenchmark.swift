import Checkpoint
import Engine
import Foundation
import Networks
import Surgery
#if canImport(Glibc)
import Glibc
#endif

/// `toonkit bench swap`: time and peak memory of a swap of two full-size checkpoints.
public struct SwapBenchmarkReport: Codable, Sendable {
    public struct Run: Codable, Sendable {
        public var durable: Bool
        /// The whole `SurgeryJob` run: open, plan, stream, hash the inputs, commit.
        public var seconds: Double
        /// Part of `seconds` spent in fsync of the file and its folder (0 when not durable).
        public var fsyncSeconds: Double
        /// User + system CPU time of the process during the run (all threads): what the swap costs
        /// independently of other load on the machine.
        public var cpuSeconds: Double
        public var bytesWritten: Int
        /// VmHWM during the run (the peak is reset to the current RSS before it).
        public var peakRSSBytes: Int
        /// VmRSS just before the run: the process's fixed overhead at that point.
        public var baselineRSSBytes: Int
    }

    public var preset: String
    public var resolution: Int
    public var at: Int
    public var checkpointBytes: Int
    public var tensorsPerCheckpoint: Int
    public var largestTensor: String
    public var largestTensorBytes: Int
    public var runs: [Run]

    /// Median over the runs with the given durability.
    public func medianSeconds(durable: Bool) -> Double {
        let values = runs.filter { $0.durable == durable }.map(\.seconds)
        return values.isEmpty ? 0 : median(values)
    }

    /// The memory a streaming swap is allowed above its baseline: three times the largest tensor.
    public var allowedGrowthBytes: Int { 3 * largestTensorBytes }
}

public enum SwapBenchmark {
    /// Writes two random checkpoints (G, G_ema, D of `preset`) into `directory`, then swaps them
    /// `repeats` times without and with fsync, deleting each output after it is measured. `shouldStop` is
    /// asked between steps; when it says yes, the run ends with a `CancellationError`.
    public static func run(directory: URL, preset: ArchitecturePreset = .paper256, at: Int = 64, repeats: Int = 3,
                           keepDiscriminator: Bool = false, progress: (String) -> Void = { _ in },
                           shouldStop: () -> Bool = { false }) throws -> SwapBenchmarkReport {
        func checkStop() throws { if shouldStop() { throw CancellationError() } }
        let architecture = preset.architecture()
        let base = directory.appendingPathComponent("bench-base.h5").path
        let style = directory.appendingPathComponent("bench-style.h5").path
        progress("writing two random \(preset.rawValue) checkpoints (G, G_ema, D) into \(directory.path)")
        try makeCheckpoint(at: base, architecture: architecture, seed: 1)
        try checkStop()
        try makeCheckpoint(at: style, architecture: architecture, seed: 2)
        let reader = try CheckpointReader.open(base)
        let infos = try reader.networkNames.flatMap { try reader.tensorInfos(network: $0) }
        let largest = infos.max { $0.byteCount < $1.byteCount }!
        var report = SwapBenchmarkReport(
            preset: preset.rawValue, resolution: architecture.resolution, at: at,
            checkpointBytes: Int((try FileManager.default.attributesOfItem(atPath: base)[.size] as? NSNumber)?.intValue ?? 0),
            tensorsPerCheckpoint: infos.count, largestTensor: largest.name, largestTensorBytes: largest.byteCount, runs: [])
        for durable in [false, true] {
            for index in 0..<repeats {
                try checkStop()
                let output = directory.appendingPathComponent("bench-swap-\(durable ? "durable" : "fast")-\(index).h5").path
                defer { try? FileManager.default.removeItem(atPath: output) }
                let swap = BlendRecipe(base: base, style: style, schedule: .swap(at: at), keepDiscriminator: keepDiscriminator)
                let recipe = Recipe(action: .blend(swap), output: output)
                report.runs.append(try measure(recipe, durable: durable))
                progress("swap \(durable ? "with" : "without") fsync: \(String(format: "%.3f", report.runs.last!.seconds)) s")
            }
        }
        return report
    }

    private static func measure(_ recipe: Recipe, durable: Bool) throws -> SwapBenchmarkReport.Run {
        ProcessMemory.resetPeak()
        let baseline = ProcessMemory.residentBytes
        let cpuBefore = processCPUSeconds()
        let clock = ContinuousClock()
        let start = clock.now
        let result = try SurgeryJob(recipe).run(durable: durable)
        return SwapBenchmarkReport.Run(durable: durable, seconds: (clock.now - start) / .seconds(1),
                                       fsyncSeconds: (result.commit.fileSync + result.commit.directorySync) / .seconds(1),
                                       cpuSeconds: processCPUSeconds() - cpuBefore, bytesWritten: result.bytes,
                                       peakRSSBytes: ProcessMemory.peakBytes, baselineRSSBytes: baseline)
    }

    private static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) * 1e-6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// A checkpoint of freshly initialised networks; G_ema holds the same values as G.
    static func makeCheckpoint(at path: String, architecture: Architecture, seed: UInt32) throws {
        let writer = try CheckpointWriter(path: path, architecture: architecture, durable: false)
        do {
            let generator = try NetworkInitializer.generator(architecture, seed: seed).entries()
            for network in ["G", "G_ema"] {
                for entry in generator { try writer.write(network: network, entry: entry) }
            }
            for entry in try NetworkInitializer.discriminator(architecture, seed: seed &+ 1000).entries() {
                try writer.write(network: "D", entry: entry)
            }
            writer.appendProvenance(ProvenanceRecord(operation: "init", parameters: ["seed": .number(Double(seed))]))
            try writer.commit()
        } catch {
            writer.abort()
            throw error
        }
    }
}
