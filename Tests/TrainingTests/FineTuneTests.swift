import Checkpoint
import Engine
import Foundation
import Interop
import Networks
import TestSupport
import Testing
@testable import Training

/// Fine-tuning the tiny32 fixture (an NVIDIA pickle imported as a checkpoint) on synthetic cartoons
/// with ADA (bg, p 0.328) and FreezeD, as the capstone did with FFHQ-256.
@Suite(.enabled(if: Fixtures.available, Fixtures.missing))
struct FineTuneTests {
    static func options() -> TrainingOptions {
        var options = TrainingOptions()
        options.batch = 4
        options.gamma = 50
        options.kimg = 0.024
        options.kimgPerTick = 0.008
        options.snapTicks = 100
        options.augmentation = .ada
        options.augmentPreset = .bg
        options.augmentP = 0.328
        options.mirror = true
        options.freezeD = 4
        options.gridSeeds = 4
        return options
    }

    @Test func fineTuningChangesGKeepsFrozenDAndResumesExactly() throws {
        let folder = try TemporaryDirectory()
        let base = folder.file("tiny32.h5")
        try ModelImporter.importCheckpoint(from: Fixtures.url("tiny32.pkl"), to: base)
        let dataset = try SyntheticDataset(kind: .cartoons, count: 8, resolution: 32, seed: 1)
        var run = try TrainingRun(resumeFrom: base, options: Self.options(), datasetCount: dataset.count)
        #expect(run.hyperparameters.adaKimg == 100 && run.hyperparameters.emaRampup == nil)
        let imported = try CheckpointReader.open(base.path)
        let frozen = NetworkAnatomy(run.discriminator.network).freezeOrder.prefix(4).flatMap(\.tensors)
        #expect(frozen.count == 7, "fromrgb, conv0, conv1 (weight and bias) and skip of b32")

        for _ in 0..<2 { _ = try run.step(dataset: dataset) }
        let snapshot = folder.file("snapshot.h5")
        try run.writeSnapshot(to: snapshot)
        try expectSnapshotAdamStateTravelsToRosinality(snapshot, run: run, frozenD: frozen.count, folder: folder)
        for _ in 0..<2 { _ = try run.step(dataset: dataset) }

        #expect(CheckpointValidator.validate(path: snapshot.path).status == .valid)
        for name in frozen {
            #expect(try mismatch(run.discriminator.parameters.tensor(name).scalars, imported.readTensor(network: "D", name: name).data.floats()) == nil,
                    "frozen \(name) changed")
            #expect(try CheckpointReader.open(snapshot.path).tensorInfo(network: "D", name: name).trainable == false)
        }
        #expect(try run.generator.parameters.tensor("synthesis.b32.conv1.weight").scalars
                != imported.readTensor(network: "G", name: "synthesis.b32.conv1.weight").data.floats())

        var resumed = try TrainingRun(resumeFrom: snapshot, options: Self.options(), datasetCount: dataset.count)
        #expect(resumed.iteration == 2)
        for _ in 0..<2 { _ = try resumed.step(dataset: dataset) }
        #expect(resumed.augmentation.p == run.augmentation.p)
        for (a, b) in [(run.generator.parameters, resumed.generator.parameters), (run.generatorEMA.parameters, resumed.generatorEMA.parameters),
                       (run.discriminator.parameters, resumed.discriminator.parameters)] {
            for name in a.names { #expect(try mismatch(a.tensor(name).scalars, b.tensor(name).scalars) == nil, "\(a.network).\(name) differs after resuming") }
        }
    }

    /// The snapshot's Adam state is the optimiser's, and the rosinality export carries it: one per-parameter
    /// entry for every G parameter and every D parameter FreezeD left trainable.
    func expectSnapshotAdamStateTravelsToRosinality(_ snapshot: URL, run: TrainingRun, frozenD: Int, folder: TemporaryDirectory) throws {
        let reader = try CheckpointReader.open(snapshot.path)
        for (network, optimizer) in [("G", run.generatorOptimizer), ("D", run.discriminatorOptimizer)] {
            let stored = try #require(try StoredAdamState(reader: reader, network: network))
            #expect(stored.step == optimizer.step && stored.step > 0)
            for (name, moment) in optimizer.firstMoments { #expect(try mismatch(stored.moments[name]?.first.floats() ?? [], moment.scalars) == nil, "\(network).\(name)") }
        }
        let exported = folder.file("resume.pt")
        let notes = try ModelExporter.export(checkpoint: snapshot, to: exported, layout: .rosinality)
        #expect(notes.contains { $0.hasPrefix("d_optim: \(frozenD) parameters of D have no moments") }, "\(notes)")
        let root = try #require(try TorchFiles.readTorchSave(ByteBuffer.mapping(exported)).dictValue)
        let parameterCounts = ["g_optim": run.generator.parameters.names.filter { run.generator.parameters.kind(of: $0) == .parameter }.count,
                               "d_optim": run.discriminator.parameters.names.filter { run.discriminator.parameters.kind(of: $0) == .parameter }.count - frozenD]
        for (key, count) in parameterCounts {
            #expect(root[key]?.dictValue?["state"]?.dictValue?.items.count == count, "\(key)")
        }
    }
}
