import Checkpoint
import Engine
import Foundation
import Interop

/// `toonkit bench import`: what `toonkit import FILE -o OUT.h5` costs, the whole command's work (map and
/// parse the file, verify the layout, write every tensor with its checksum, hash the source, fsync and
/// rename), repeated; throughput is the file's size over the wall time.
public enum ImportBenchmark {
    public struct Run: Codable, Sendable {
        public let seconds: Double
        public let megabytesPerSecond: Double
        /// VmHWM during the run (the mapped source's pages count once touched) and the RSS before it.
        public let peakRSSBytes: Int
        public let baselineRSSBytes: Int
    }

    public struct Report: Codable, Sendable {
        public let file: String
        public let fileBytes: Int
        public let format: String
        public let tensors: Int
        public let runs: [Run]

        public var medianSeconds: Double { median(runs.map(\.seconds)) }
        public var medianMegabytesPerSecond: Double { Double(fileBytes) / 1e6 / medianSeconds }
        /// The largest growth of the resident set over its baseline, as a multiple of the file's size.
        public var peakGrowthOverFileSize: Double {
            Double(runs.map { $0.peakRSSBytes - $0.baselineRSSBytes }.max() ?? 0) / Double(max(fileBytes, 1))
        }
    }

    public static func run(file: URL, directory: URL, repeats: Int, progress: (String) -> Void = { _ in }) throws -> Report {
        let fileBytes = (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.intValue ?? 0
        var runs: [Run] = []
        var format = "", tensors = 0
        for index in 0..<repeats {
            let output = directory.appendingPathComponent("bench-import-\(index).h5")
            defer { try? FileManager.default.removeItem(at: output) }
            ProcessMemory.resetPeak()
            let baseline = ProcessMemory.residentBytes
            let start = Date()
            let model = try ModelImporter.importCheckpoint(from: file, to: output)
            let seconds = Date().timeIntervalSince(start)
            format = model.provenance.format.rawValue
            tensors = model.networks.reduce(0) { $0 + $1.tensors.count }
            runs.append(Run(seconds: seconds, megabytesPerSecond: Double(fileBytes) / 1e6 / seconds,
                            peakRSSBytes: ProcessMemory.peakBytes, baselineRSSBytes: baseline))
            progress(String(format: "import %d/%d: %.3f s, %.0f MB/s", index + 1, repeats, seconds, runs.last!.megabytesPerSecond))
        }
        return Report(file: file.path, fileBytes: fileBytes, format: format, tensors: tensors, runs: runs)
    }
}
