import Engine
import Foundation
import Generation
import Interop
import Networks
@testable import Projection
import Testing
import TestSupport

/// The projector's output file, and `generate --ws` reading it.
@Suite(.enabled(if: Fixtures.available, Fixtures.missing))
struct LatentFileTests {
    @Test func generateRendersASavedLatent() throws {
        let generator = ProjectorTests.generator
        let a = generator.architecture
        let folder = try TemporaryDirectory()
        let ws = GradCheck.random([1, generator.numWs, a.wDim], seed: 3)
        try LatentFile.write(ws, to: folder.file("latent.npz"))
        #expect(try LatentFile.read(folder.file("latent.npz"), numWs: generator.numWs, wDim: a.wDim).scalars == ws.scalars)

        var job = GenerateJob(checkpoint: ProjectorTests.checkpoint, source: .ws(folder.file("latent.npz")))
        job.output = folder.file("images.npy")
        _ = try job.run()
        let rendered = try GradMode.withoutGrad { try generator.synthesize(ws: ws, noise: .const) }
        #expect(try NumpyArray.read(folder.file("images.npy")).floats() == rendered.scalars)
    }

    @Test func refusesLatentsOfAnotherShapeOrName() throws {
        let folder = try TemporaryDirectory()
        try LatentFile.write(try Tensor.zeros([1, 4, 8]), to: folder.file("latent.npz"))
        let shape = try #require(throws: GenerationError.self) { try LatentFile.read(folder.file("latent.npz"), numWs: 12, wDim: 64) }
        #expect(shape.description.contains("[N, 12, 64]"))
        #expect(shape.description.contains("[1, 4, 8]"))
    }
}
