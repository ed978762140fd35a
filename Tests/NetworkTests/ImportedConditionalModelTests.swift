import Checkpoint
import Foundation
import Generation
import Interop
import Networks
import TestSupport
import Testing

/// What generate and score ask of a conditional model imported from a real file (ctiny32, 4 classes).
@Suite(.enabled(if: Fixtures.available, Fixtures.missing))
struct ImportedConditionalModelTests {
    let folder: TemporaryDirectory
    let checkpoint: URL

    init() throws {
        folder = try TemporaryDirectory()
        checkpoint = try ReferenceParityTests.importFixture(ReferenceParityTests.conditionalName, "pkl", into: folder)
    }

    @Test func generateNeedsAClassInRange() throws {
        var job = GenerateJob(checkpoint: checkpoint, source: .seeds([0]))
        job.output = folder.file("out.npy")
        let missing = try #require(throws: NetworkError.self) { try job.run() }
        #expect(missing.description == "this model is conditional (c_dim = 4): give a class with --class 0…3")
        job.classIndex = 4
        let outOfRange = try #require(throws: NetworkError.self) { try job.run() }
        #expect(outOfRange.description == "class 4 is out of range: this model has classes 0…3")
    }

    @Test func scoreNeedsLabelsAndTakesOneClassForAll() throws {
        let reference = try ReferenceParityTests.reference(ReferenceParityTests.conditionalName)
        let images = folder.file("images.npy")
        try NumpyArray.write(reference["img_psi10"]!, to: images)
        var job = ScoreJob(checkpoint: checkpoint, images: images)
        let missing = try #require(throws: GenerationError.self) { try job.run() }
        #expect(missing.description == "this discriminator is conditional (c_dim = 4): give the labels with --labels FILE.npy (float32 [4, 4], one-hot) or one class for every image with --class 0…3")
        job.classIndex = 2
        let oneClass = try job.run()
        var labels = [Float](repeating: 0, count: 16)
        for row in 0..<4 { labels[row * 4 + 2] = 1 }
        job.labels = folder.file("labels.npy")
        try NumpyArray.write(TensorData(float32: labels, shape: [4, 4]), to: job.labels!)
        #expect(throws: GenerationError.self) { try job.run() }
        job.classIndex = nil
        #expect(try job.run().logits == oneClass.logits)
        try NumpyArray.write(TensorData(float32: Array(labels.prefix(12)), shape: [3, 4]), to: job.labels!)
        let misshapen = try #require(throws: GenerationError.self) { try job.run() }
        #expect(misshapen.description.hasSuffix("labels must have shape [4, 4] (one row per image), got [3, 4]"))
    }

    @Test func theRosinalityLayoutRefusesLabels() throws {
        let error = try #require(throws: InteropError.self) {
            try ModelExporter.export(checkpoint: checkpoint, to: folder.file("out.pt"), layout: .rosinality)
        }
        #expect(error.message == "the rosinality layout has no labels, so a conditional model (c_dim 4) cannot be written in it; use --layout nvidia")
        #expect(!FileManager.default.fileExists(atPath: folder.path("out.pt")))
    }
}
