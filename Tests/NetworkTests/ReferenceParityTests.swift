import Checkpoint
import Engine
import Foundation
import Generation
import Imaging
import Interop
import Networks
import TestSupport
import Testing

/// Parity with the reference PyTorch outputs stored in NAME.ref.npz (README of the fixtures):
/// images ≤ 1e-4 absolute; d_logits, r1_penalty and g_loss ≤ 1e-4 relative; g_loss_grad_ws ≤ 1e-3 relative.
@Suite(.enabled(if: Fixtures.available, Fixtures.missing))
struct ReferenceParityTests {
    static let sources = ["pkl", "tf.pkl", "rosinality.pt", "state_dict.pt"]
    static let cases = Fixtures.names.flatMap { name in sources.map { (name, $0) } }

    /// Imports a fixture file into a checkpoint in `folder` (as `toonkit import` does).
    static func importFixture(_ name: String, _ source: String, into folder: TemporaryDirectory) throws -> URL {
        let output = folder.file("\(name).\(source).h5")
        try ModelImporter.importCheckpoint(from: Fixtures.url("\(name).\(source)"), to: output)
        return output
    }

    static func reference(_ name: String) throws -> [String: TensorData] {
        try NumpyArchive.read(Fixtures.url("\(name).ref.npz"))
    }

    /// `generate --seeds 0,1,2,7` without truncation against img_psi10 / uint8_psi10.
    @Test(arguments: cases)
    func imagesFromSeeds(name: String, source: String) throws {
        let folder = try TemporaryDirectory()
        let checkpoint = try Self.importFixture(name, source, into: folder)
        let reference = try Self.reference(name)
        let seeds = try reference["seeds"]!.integers().map { UInt32($0) }
        #expect(seeds == [0, 1, 2, 7])
        var job = GenerateJob(checkpoint: checkpoint, source: .seeds(seeds))
        job.output = folder.file("psi10.npy")
        _ = try job.run()
        let images = try NumpyArray.read(folder.file("psi10.npy"))
        let expected = reference["img_psi10"]!
        #expect(images.shape == expected.shape)
        let difference = maxDifferences(try images.floats(), try expected.floats())
        print("\(name).\(source) img_psi10: max abs difference \(difference.absolute)")
        #expect(difference.absolute <= 1e-4)
        try expectUInt8Parity(images, reference["uint8_psi10"]!, label: "\(name).\(source) uint8_psi10")
    }

    /// `generate --seeds 0,1,2,7 --trunc 0.7` against ws_psi07 / img_psi07 / uint8_psi07: revision 2 of the
    /// fixtures truncates towards the stored w_avg, as the reference generate.py does with an eval-mode network.
    @Test(arguments: cases)
    func truncatedImagesFromSeeds(name: String, source: String) throws {
        let folder = try TemporaryDirectory()
        let checkpoint = try Self.importFixture(name, source, into: folder)
        let reference = try Self.reference(name)
        let generator = try Generator(reader: CheckpointReader.open(checkpoint.path))
        let z = try Tensor(shape: reference["z"]!.shape, values: reference["z"]!.floats())
        let ws = try generator.map(z: z, truncation: Truncation(psi: 0.7))
        let wsDifference = maxDifferences(ws.scalars, try reference["ws_psi07"]!.floats())
        print("\(name).\(source) ws_psi07: max abs difference \(wsDifference.absolute)")
        #expect(wsDifference.absolute <= 1e-5)

        var job = GenerateJob(checkpoint: checkpoint, source: .seeds(try reference["seeds"]!.integers().map { UInt32($0) }))
        job.truncation = Truncation(psi: 0.7)
        job.output = folder.file("psi07.npy")
        _ = try job.run()
        let images = try NumpyArray.read(folder.file("psi07.npy"))
        let difference = maxDifferences(try images.floats(), try reference["img_psi07"]!.floats())
        print("\(name).\(source) img_psi07: max abs difference \(difference.absolute)")
        #expect(difference.absolute <= 1e-4)
        try expectUInt8Parity(images, reference["uint8_psi07"]!, label: "\(name).\(source) uint8_psi07")
    }

    /// The reference's ⌊clamp(x·127.5 + 128)⌋ in HWC; ±1 is allowed at rounding ties only (rare).
    func expectUInt8Parity(_ images: TensorData, _ expected: TensorData, label: String) throws {
        let values = try images.floats()
        let reference = try expected.integers()
        let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        var offByOne = 0
        for i in 0..<n { for y in 0..<h { for x in 0..<w { for ch in 0..<c {
            let ours = Int64(ImageConversion.toUInt8(values[((i * c + ch) * h + y) * w + x]))
            let theirs = reference[((i * h + y) * w + x) * c + ch]
            #expect(abs(ours - theirs) <= 1, "\(label): pixel differs by more than one level")
            if ours != theirs { offByOne += 1 }
        } } } }
        print("\(label): \(offByOne) of \(values.count) values differ by one level")
        #expect(offByOne * 1000 <= values.count, "\(label): too many ±1 differences")
    }

    @Test(arguments: Fixtures.names)
    func imagesFromWs(name: String) throws {
        let folder = try TemporaryDirectory()
        let checkpoint = try Self.importFixture(name, "pkl", into: folder)
        let reference = try Self.reference(name)
        let wsFile = folder.file("ws.npy")
        try NumpyArray.write(reference["ws_psi07"]!, to: wsFile)
        var job = GenerateJob(checkpoint: checkpoint, source: .ws(wsFile))
        job.output = folder.file("out.npy")
        _ = try job.run()
        let difference = maxDifferences(try NumpyArray.read(folder.file("out.npy")).floats(), try reference["img_psi07"]!.floats())
        #expect(difference.absolute <= 1e-4)
    }

    /// d_logits and r1_penalty of D(img_psi10) in float32 (revision 2 of the fixtures): ≤ 1e-4 relative.
    @Test(arguments: Fixtures.names)
    func discriminatorLogitsAndR1(name: String) throws {
        let folder = try TemporaryDirectory()
        let checkpoint = try Self.importFixture(name, "pkl", into: folder)
        let reference = try Self.reference(name)
        let imagesFile = folder.file("images.npy")
        try NumpyArray.write(reference["img_psi10"]!, to: imagesFile)
        let result = try ScoreJob(checkpoint: checkpoint, images: imagesFile).run()
        let logits = maxDifferences(result.logits, try reference["d_logits"]!.floats())
        let r1 = maxDifferences(result.r1Penalty, try reference["r1_penalty"]!.floats())
        print("\(name): d_logits relative \(logits.relative), r1_penalty relative \(r1.relative)")
        #expect(logits.relative <= 1e-4)
        #expect(r1.relative <= 1e-4)
    }

    /// g_loss = mean softplus(−D(G.synthesis(ws))) and its gradient with respect to ws, through autograd.
    /// Bounds: 1e-4 relative on the loss, 1e-3 relative on the gradient.
    @Test(arguments: Fixtures.names)
    func generatorLossAndGradient(name: String) throws {
        let folder = try TemporaryDirectory()
        let reader = try CheckpointReader.open(Self.importFixture(name, "pkl", into: folder).path)
        let generator = try Generator(reader: reader)
        let discriminator = try Discriminator(reader: reader)
        let reference = try Self.reference(name)
        let ws = try Tensor(shape: reference["ws_psi10"]!.shape, values: reference["ws_psi10"]!.floats()).requiringGrad()
        let images = try generator.synthesize(ws: ws, noise: .const)
        let loss = try (-discriminator(images)).softplus().mean()
        let gradient = try gradients(of: loss, withRespectTo: [ws])[0]
        let lossDifference = maxDifferences([try loss.item()], try reference["g_loss"]!.floats())
        let gradientDifference = maxDifferences(gradient.scalars, try reference["g_loss_grad_ws"]!.floats())
        print("\(name): g_loss relative \(lossDifference.relative), grad_ws relative \(gradientDifference.relative)")
        #expect(lossDifference.relative <= 1e-4)
        #expect(gradientDifference.relative <= 1e-3)
    }
}
