import Checkpoint
import Engine
import Foundation
import Interop
import Networks
import TestSupport
import Testing
@testable import Training

/// A deterministic in-memory data set of smooth random blobs.
struct BlobDataset: ImageDataset {
    let count: Int
    let resolution: Int
    let channels = 3
    let labelDimension = 0
    let source = "blobs (test)"

    func image(at index: Int) throws -> [UInt8] {
        var rng = RandomState(seed: UInt32(index))
        let cx = rng.nextDouble() * Double(resolution), cy = rng.nextDouble() * Double(resolution)
        let colour = (0..<3).map { _ in rng.nextDouble() }
        var pixels = [UInt8](repeating: 0, count: 3 * resolution * resolution)
        for c in 0..<3 { for y in 0..<resolution { for x in 0..<resolution {
            let d = ((Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)) / Double(resolution * resolution) * 8
            pixels[(c * resolution + y) * resolution + x] = UInt8(255 * colour[c] * exp(-d))
        } } }
        return pixels
    }

    func label(at index: Int) throws -> [Float] { [] }
}

@Suite struct TrainingLoopTests {
    static func smallArchitecture(resolution: Int = 16) -> Architecture {
        var a = Architecture(resolution: resolution, zDim: 16, wDim: 16, mappingLayers: 2, channelBase: 128, channelMax: 16, mbstdGroupSize: 2)
        a.convClamp = 256
        return a
    }

    static func options(kimg: Double, freezeD: Int = 0) -> TrainingOptions {
        var o = TrainingOptions()
        o.batch = 4
        o.gamma = 1
        o.kimg = kimg
        o.kimgPerTick = 0.008
        o.snapTicks = 100
        o.augmentation = .noaug
        o.freezeD = freezeD
        o.gridSeeds = 4
        o.seed = 3
        return o
    }

    @Test func trainingChangesGeneratorAndKeepsFrozenLayers() throws {
        let dataset = BlobDataset(count: 12, resolution: 16)
        var run = try TrainingRun(options: Self.options(kimg: 0.02, freezeD: 2), architecture: Self.smallArchitecture(), datasetCount: dataset.count)
        let before = run.generator.parameters
        let frozen = NetworkAnatomy(run.discriminator.network).freezeOrder.prefix(2).flatMap(\.tensors)
        let frozenBefore = try frozen.map { try run.discriminator.parameters.tensor($0).scalars }
        for _ in 0..<5 {
            let report = try run.step(dataset: dataset)
            for (key, value) in report.values { #expect(value.isFinite, "\(key) is not finite") }
        }
        #expect(try run.generator.parameters.tensor("synthesis.b16.conv1.weight").scalars != before.tensor("synthesis.b16.conv1.weight").scalars)
        #expect(try mismatch(frozen.flatMap { try run.discriminator.parameters.tensor($0).scalars }, frozenBefore.flatMap { $0 }) == nil)
        #expect(try run.discriminator.parameters.tensor("b4.fc.weight").scalars != TrainingRun(options: Self.options(kimg: 0.02, freezeD: 2), architecture: Self.smallArchitecture(), datasetCount: 12).discriminator.parameters.tensor("b4.fc.weight").scalars)
    }

    /// Running 8 steps straight equals 3 steps, a snapshot, a resume and 5 more steps, bit for bit,
    /// with ADA moving p (the controller updates every 4 iterations) and both regularisers active.
    @Test func resumingFromASnapshotContinuesExactly() throws {
        let dataset = BlobDataset(count: 12, resolution: 16)
        var options = Self.options(kimg: 0.032)
        options.augmentation = .ada
        options.augmentP = 0.3
        var straight = try TrainingRun(options: options, architecture: Self.smallArchitecture(), datasetCount: dataset.count)
        for _ in 0..<8 { _ = try straight.step(dataset: dataset) }
        #expect(straight.augmentation.p != 0.3, "ADA should have moved p")

        let folder = try TemporaryDirectory()
        var first = try TrainingRun(options: options, architecture: Self.smallArchitecture(), datasetCount: dataset.count)
        for _ in 0..<3 { _ = try first.step(dataset: dataset) }
        let snapshot = folder.file("snapshot.h5")
        try first.writeSnapshot(to: snapshot)
        #expect(CheckpointValidator.validate(path: snapshot.path).status == .valid)
        var resumed = try TrainingRun(resumeFrom: snapshot, options: options, datasetCount: dataset.count)
        #expect(resumed.iteration == 3 && resumed.imagesSeen == 12)
        for _ in 0..<5 { _ = try resumed.step(dataset: dataset) }
        #expect(resumed.augmentation.p == straight.augmentation.p)
        for (a, b) in [(straight.generator.parameters, resumed.generator.parameters), (straight.generatorEMA.parameters, resumed.generatorEMA.parameters),
                       (straight.discriminator.parameters, resumed.discriminator.parameters)] {
            for name in a.names { #expect(try mismatch(a.tensor(name).scalars, b.tensor(name).scalars) == nil, "\(a.network).\(name) differs after resuming") }
        }
    }

    @Test func sessionWritesSnapshotsGridsAndLog() throws {
        let dataset = BlobDataset(count: 12, resolution: 16)
        var options = Self.options(kimg: 0.016)
        options.snapTicks = 1
        let run = try TrainingRun(options: options, architecture: Self.smallArchitecture(), datasetCount: dataset.count)
        let folder = try TemporaryDirectory()
        let session = try TrainingSession(run: run, dataset: dataset, outdir: folder.url, description: "test")
        let snapshots = try session.train()
        #expect(snapshots.count == 2)
        #expect(snapshots.map(\.lastPathComponent) == snapshots.map(\.lastPathComponent).sorted())
        let files = try FileManager.default.contentsOfDirectory(atPath: session.runDirectory.path).sorted()
        #expect(files.filter { $0.hasPrefix("grid-") }.count == 2)
        let log = try String(contentsOf: session.runDirectory.appendingPathComponent("log.jsonl"), encoding: .utf8)
        #expect(log.split(separator: "\n").count == 2)
        for snapshot in snapshots { #expect(CheckpointValidator.validate(path: snapshot.path).status == .valid) }
    }
}
