import Checkpoint
import Engine
import Foundation
import Generation
import Interop
import Networks
import TestSupport
import Testing

/// Conditional models (c_dim > 0): the label embedding in G's mapping and the projection in D. The
/// checks here build a small conditional pair from scratch; imports of the conditional fixture ctiny32 are checked
/// against its reference outputs in ReferenceParityTests.
@Suite struct ConditionalTests {
    let folder: TemporaryDirectory
    let checkpoint: URL

    init() throws {
        folder = try TemporaryDirectory()
        checkpoint = folder.file("conditional.h5")
        var architecture = ArchitecturePreset.auto.architecture(resolution: 16, zDim: 32, wDim: 32, cDim: 3)
        architecture.channelBase = 256
        architecture.channelMax = 32
        let writer = try CheckpointWriter(path: checkpoint.path, architecture: architecture, durable: false)
        for (network, set) in [("G_ema", try NetworkInitializer.generator(architecture, seed: 1)),
                               ("D", try NetworkInitializer.discriminator(architecture, seed: 2))] {
            for entry in try set.entries() { try writer.write(network: network, entry: entry) }
        }
        _ = try writer.commit()
    }

    func images(classIndex: Int?) throws -> [Float] {
        var job = GenerateJob(checkpoint: checkpoint, source: .seeds([0, 1]))
        job.classIndex = classIndex
        job.output = folder.file("images-\(classIndex ?? -1).npy")
        _ = try job.run()
        return try NumpyArray.read(job.output!).floats()
    }

    @Test func theClassChangesTheImageAndOutOfRangeClassesAreRefused() throws {
        let first = try images(classIndex: 0), second = try images(classIndex: 2)
        #expect(first.count == 2 * 3 * 16 * 16)
        #expect(maxDifferences(first, second).absolute > 1e-3, "the label embedding has no effect")
        #expect(try images(classIndex: 0) == first)
        let outOfRange = try #require(throws: NetworkError.self) { try images(classIndex: 3) }
        #expect(outOfRange.description == "class 3 is out of range: this model has classes 0…2")
        let missing = try #require(throws: NetworkError.self) { try images(classIndex: nil) }
        #expect(missing.description.contains("this model is conditional (c_dim = 3)"))
    }

    @Test func theDiscriminatorProjectsOntoTheLabel() throws {
        let generated = folder.file("images-0.npy")
        _ = try images(classIndex: 0)
        func logits(label: Int) throws -> [Float] {
            var oneHot = [Float](repeating: 0, count: 2 * 3)
            oneHot[label] = 1
            oneHot[3 + label] = 1
            let labels = folder.file("labels-\(label).npy")
            try NumpyArray.write(TensorData(float32: oneHot, shape: [2, 3]), to: labels)
            return try ScoreJob(checkpoint: checkpoint, images: generated, labels: labels).run().logits
        }
        let zero = try logits(label: 0), one = try logits(label: 1)
        #expect(zero.count == 2 && zero.allSatisfy(\.isFinite))
        #expect(maxDifferences(zero, one).absolute > 1e-6, "the label projection has no effect")
    }
}

struct SeedListTests {
    @Test func listsAndRangesKeepTheirOrder() throws {
        #expect(try Latents.parseSeeds("7,0-2, 9") == [7, 0, 1, 2, 9])
    }

    @Test(arguments: ["", "1,,2", "a", "3-1", "-1", "4294967296", "0-x"])
    func malformedListsNameTheBadItem(text: String) throws {
        let error = try #require(throws: NetworkError.self) { try Latents.parseSeeds(text) }
        #expect(error.description.hasPrefix("cannot parse seeds '\(text)'"))
    }
}
