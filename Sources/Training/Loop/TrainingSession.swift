import Checkpoint
import Engine
import Foundation
import Generation
import Imaging
import Networks

/// Runs a `TrainingRun` to its length in ticks, writing snapshots, sample grids and a JSONL log into
/// a run folder. Stopping early (Ctrl-C) still writes a final snapshot. In a data-parallel run every rank
/// runs a session; rank 0 alone creates the folder and writes into it, and all ranks stop together.
public final class TrainingSession {
    public private(set) var run: TrainingRun
    public let dataset: ImageDataset
    public let runDirectory: URL
    /// The output folder, when this session created it (removed again if the run fails before producing anything).
    private let createdOutdir: URL?

    /// Measures a snapshot's networks (e.g. FID); returns named values for `metrics.jsonl`, with what they were
    /// measured with. Called on every rank of a data-parallel run (each measures a share); rank 0 writes the line.
    public typealias SnapshotMetric = (_ snapshot: URL, _ run: TrainingRun) throws -> [String: JSONValue]
    public var snapshotMetric: SnapshotMetric?
    /// One line per snapshot grid whose images held NaN or infinite values (diverged training).
    public private(set) var warnings: [String] = []

    public struct Progress {
        public var imagesSeen: Int
        public var totalImages: Int
        public var secondsPerKimg: Double
        public var values: [String: Float]
        /// The share of this tick's time spent communicating with other ranks (0 alone).
        public var communicationShare: Double
    }

    /// Whether this process writes the run folder (rank 0, or the only process).
    public var isWriter: Bool { run.collective.share.rank == 0 }

    /// Creates `<outdir>/NNNNN-<description>/` (the next free number), as the reference does.
    public init(run: TrainingRun, dataset: ImageDataset, outdir: URL, description: String) throws {
        self.run = run
        self.dataset = dataset
        guard dataset.resolution == run.generator.architecture.resolution, dataset.channels == run.generator.architecture.imgChannels else {
            throw TrainingError("\(dataset.source) holds \(dataset.channels)×\(dataset.resolution)² images; the networks need \(run.generator.architecture.imgChannels)×\(run.generator.architecture.resolution)²")
        }
        guard run.collective.share.rank == 0 else {
            // Other ranks never write; the folder name is rank 0's to choose.
            (createdOutdir, runDirectory) = (nil, outdir)
            return
        }
        createdOutdir = !FileManager.default.fileExists(atPath: outdir.path) ? outdir : nil
        try FileManager.default.createDirectory(at: outdir, withIntermediateDirectories: true)
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: outdir.path)) ?? []
        let next = (existing.compactMap { Int($0.prefix(5)) }.max() ?? -1) + 1
        runDirectory = outdir.appendingPathComponent(String(format: "%05d-%@", next, description))
        try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: false)
    }

    /// Trains until the run's length; returns the snapshots written, last one last. A run that fails before
    /// its first snapshot leaves nothing behind (its folder held no result); a later failure keeps the
    /// snapshots written so far.
    @discardableResult
    public func train(progress: (Progress) -> Void = { _ in }, shouldStop: () -> Bool = { false }) throws -> [URL] {
        // Buffers earlier work left held (FID's real statistics, a compare run's base FID) are not training's.
        ProcessMemory.releaseHeldBuffers()
        do {
            return try trainLoop(progress: progress, shouldStop: shouldStop)
        } catch {
            guard isWriter else { throw error }
            let snapshots = (try? FileManager.default.contentsOfDirectory(atPath: runDirectory.path))?.filter { $0.hasPrefix("snapshot-") } ?? []
            if snapshots.isEmpty {
                try? FileManager.default.removeItem(at: runDirectory)
                if let createdOutdir, (try? FileManager.default.contentsOfDirectory(atPath: createdOutdir.path))?.isEmpty == true {
                    try? FileManager.default.removeItem(at: createdOutdir)
                }
            }
            throw error
        }
    }

    private func trainLoop(progress: (Progress) -> Void, shouldStop: () -> Bool) throws -> [URL] {
        let totalImages = Int((run.options.kimg * 1000).rounded(.up))
        let imagesPerTick = max(Int(run.options.kimgPerTick * 1000), 1)
        var snapshots: [URL] = []
        let collective = run.collective
        var tick = TickStatistics(startImages: run.imagesSeen, communicationSeconds: collective.communicationSeconds)
        var ticksSinceSnapshot = 0
        var lastSnapshotImages = -1
        // Every rank must take the same number of steps, so a stop seen by any rank stops all of them.
        var stopping = try collective.anyRank(shouldStop())
        while run.imagesSeen < totalImages && !stopping {
            let report = try run.step(dataset: dataset)
            stopping = try collective.anyRank(shouldStop())
            tick.add(report.values)
            progress(Progress(imagesSeen: run.imagesSeen, totalImages: totalImages, secondsPerKimg: tick.secondsPerKimg(run.imagesSeen),
                              values: report.values, communicationShare: tick.communicationShare(collective.communicationSeconds)))
            let tickDone = run.imagesSeen - tick.startImages >= imagesPerTick
            if tickDone || run.imagesSeen >= totalImages || stopping {
                try appendLog(tick.summary(imagesSeen: run.imagesSeen, augmentP: run.augmentation.p, communicationSeconds: collective.communicationSeconds))
                tick = TickStatistics(startImages: run.imagesSeen, communicationSeconds: collective.communicationSeconds)
                ticksSinceSnapshot += 1
                if ticksSinceSnapshot >= run.options.snapTicks {
                    snapshots.append(try snapshot())
                    ticksSinceSnapshot = 0
                    lastSnapshotImages = run.imagesSeen
                }
            }
        }
        if lastSnapshotImages != run.imagesSeen { snapshots.append(try snapshot()) }
        return snapshots
    }

    /// `snapshot-<images seen, 10 digits>.h5` plus a grid of fixed seeds from G_ema, written by rank 0 (every
    /// rank holds the same networks and state); the metric runs on every rank, each measuring a share.
    ///
    /// Writing the file and the grid (a generator batch of 16), then the metric (Inception), need other buffers than a
    /// training step: both start with the held ones freed, and the next step too, so none holds another's on top of
    /// its own peak (docs/engine-kernels.md "Buffers").
    func snapshot() throws -> URL {
        ProcessMemory.releaseHeldBuffers()
        defer { ProcessMemory.releaseHeldBuffers() }
        let stem = String(format: "%010d", run.imagesSeen)
        let url = runDirectory.appendingPathComponent("snapshot-\(stem).h5")
        if isWriter {
            try run.writeSnapshot(to: url)
            try writeGrid(to: runDirectory.appendingPathComponent("grid-\(stem).png"))
        }
        if let snapshotMetric {
            if isWriter { ProcessMemory.releaseHeldBuffers() }  // the file's and the grid's
            var line = try snapshotMetric(url, run)
            line["kimg"] = .number(run.kimg)
            try appendLine(line, to: "metrics.jsonl")
        }
        return url
    }

    func writeGrid(to url: URL) throws {
        let generator = run.generatorEMA
        let seeds = (0..<UInt32(max(run.options.gridSeeds, 1))).map { $0 }
        let z = try Latents.z(seeds: seeds, zDim: generator.architecture.zDim)
        let c = generator.architecture.cDim > 0 ? try Latents.oneHot(classIndex: 0, count: seeds.count, cDim: generator.architecture.cDim) : nil
        let images = try GradMode.withoutGrad { try generator.generate(z: z, c: c, noise: .const) }
        try PNG.write(ImageGrid.tiled(GenerateJob.pngImages(images)), to: url)
        let nonFinite = GenerateJob.nonFiniteCounts(images).reduce(0, +)
        if nonFinite > 0 { warnings.append(ImageConversion.nonFiniteWarning(file: url.path, count: nonFinite)) }
    }

    func appendLog(_ line: [String: Double]) throws {
        try appendLine(line, to: "log.jsonl")
    }

    func appendLine<Line: Encodable>(_ line: Line, to name: String) throws {
        guard isWriter else { return }
        let url = runDirectory.appendingPathComponent(name)
        let data = Data((JSONText.encode(line, pretty: false) + "\n").utf8)
        if let handle = try? FileHandle(forWritingTo: url) {
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: data)
        } else {
            try data.write(to: url)
        }
    }
}

/// Means of the per-step values over one tick, with timing and memory.
struct TickStatistics {
    let startImages: Int
    let startTime = Date()
    /// The collective's communication clock at the tick's start.
    let startCommunication: Double
    var sums: [String: Double] = [:]
    var counts: [String: Int] = [:]

    init(startImages: Int, communicationSeconds: Double = 0) {
        self.startImages = startImages
        startCommunication = communicationSeconds
    }

    func communicationShare(_ communicationSeconds: Double) -> Double {
        let elapsed = Date().timeIntervalSince(startTime)
        return elapsed > 0 ? (communicationSeconds - startCommunication) / elapsed : 0
    }

    mutating func add(_ values: [String: Float]) {
        for (key, value) in values {
            sums[key, default: 0] += Double(value)
            counts[key, default: 0] += 1
        }
    }

    func secondsPerKimg(_ imagesSeen: Int) -> Double {
        let images = imagesSeen - startImages
        return images > 0 ? Date().timeIntervalSince(startTime) / Double(images) * 1000 : 0
    }

    func summary(imagesSeen: Int, augmentP: Double, communicationSeconds: Double = 0) -> [String: Double] {
        var line: [String: Double] = ["kimg": Double(imagesSeen) / 1000, "sec_per_kimg": secondsPerKimg(imagesSeen),
                                      "sec_communication": communicationSeconds - startCommunication,
                                      "augment_p": augmentP, "memory_mb": ProcessMemory.residentMegabytes,
                                      "peak_memory_mb": ProcessMemory.peakMegabytes, "timestamp": Date().timeIntervalSince1970]
        for (key, sum) in sums where key != "augment_p" { line[key] = sum / Double(max(counts[key] ?? 1, 1)) }
        return line
    }
}
