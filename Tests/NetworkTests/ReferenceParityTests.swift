import Checkpoint
import Engine
import Foundation
import Generation
import Imaging
@testable import Interop
import Networks
import TestSupport
import Testing

/// Parity with the reference PyTorch outputs stored in NAME.ref.npz (README of the fixtures):
/// images ≤ 1e-4 absolute; d_logits, r1_penalty and g_loss ≤ 1e-4 relative; g_loss_grad_ws ≤ 1e-3 relative.
/// ctiny32 is conditional (4 classes): every reference output uses the labels `c` of its ref.npz.
@Suite(.enabled(if: Fixtures.available, Fixtures.missing))
struct ReferenceParityTests {
    static let sources = ["pkl", "tf.pkl", "rosinality.pt", "state_dict.pt"]
    static let conditionalName = "ctiny32"
    /// rosinality's layout has no labels, so there is no ctiny32.rosinality.pt.
    static let conditionalCases = [(conditionalName, "pkl"), (conditionalName, "tf.pkl"), (conditionalName, "state_dict.pt")]
    static let cases = Fixtures.names.flatMap { name in sources.map { (name, $0) } } + conditionalCases
    static let allNames = Fixtures.names + [conditionalName]
    static let discriminatorCases = Fixtures.names.map { ($0, "pkl") } + conditionalCases + [(conditionalName, "safetensors")]

    /// Imports a fixture file into a checkpoint in `folder` (as `toonkit import` does).
    static func importFixture(_ name: String, _ source: String, into folder: TemporaryDirectory) throws -> URL {
        let output = folder.file("\(name).\(source).h5")
        try ModelImporter.importCheckpoint(from: Fixtures.url("\(name).\(source)"), to: output)
        return output
    }

    /// A checkpoint with the fixture's G_ema and D imported from `source`. The fixtures' `.state_dict.pt` holds
    /// G_ema only, so for that source D is taken from the pickle and both are written as one NVIDIA-named state
    /// dict `{G_ema, D}` that stores no architecture: importing it infers the architecture from the shapes, as for
    /// any state dict. Source "safetensors" does the same in a safetensors file without toonkit's metadata.
    static func importWithDiscriminator(_ name: String, _ source: String, into folder: TemporaryDirectory) throws -> URL {
        guard ["state_dict.pt", "safetensors"].contains(source) else { return try importFixture(name, source, into: folder) }
        let pickled = try ModelImporter.importModel(from: Fixtures.url("\(name).pkl"))
        let generator = try ModelImporter.importModel(from: Fixtures.url("\(name).state_dict.pt"))
        let networks = [try #require(generator.network("G_ema")), try #require(pickled.network("D"))]
        let combined = folder.file("\(name).G_ema+D.\(source)")
        // Flat names prefixed G_ema. and D., as a state dict from elsewhere holds them: no architecture travels
        // (toonkit's own exports would carry it).
        let tensors = networks.flatMap { network in network.tensors.map { (name: "\(network.name).\($0.name)", data: $0.data) } }
        if source == "safetensors" {
            try SafetensorsFile(tensors: tensors).write(to: combined)
        } else {
            try TorchSaveWriter.write(.orderedDict(tensors.map { ($0.name, .tensor($0.data)) }), to: combined)
        }
        var model = try ModelImporter.importModel(from: combined)
        // A state dict does not store the minibatch-std group: the import assumes 4 and says so. The reference D
        // used the pickle's, so that one is set, and then nothing else may differ from the pickle's architecture.
        #expect(model.notes.contains { $0.hasPrefix("minibatch-std group size is not stored") })
        model.architecture.mbstdGroupSize = pickled.architecture.mbstdGroupSize
        #expect(model.architecture == pickled.architecture)
        let output = folder.file("\(name).G_ema+D.h5")
        try ModelImporter.write(model, to: output)
        return output
    }

    static func reference(_ name: String) throws -> [String: TensorData] {
        try NumpyArchive.read(Fixtures.url("\(name).ref.npz"))
    }

    /// The reference's labels [N, c_dim] (nil for an unconditional fixture, whose `c` is [N, 0]).
    static func labels(_ reference: [String: TensorData]) throws -> Tensor? {
        let labels = reference["c"]!
        guard labels.shape[1] > 0 else { return nil }
        return try Tensor(shape: labels.shape, values: labels.floats())
    }

    /// The class of each seed, from the one-hot labels (nil for an unconditional fixture).
    static func classes(_ reference: [String: TensorData]) throws -> [Int]? {
        try labels(reference).map { labels in
            let width = labels.shape[1]
            return (0..<labels.shape[0]).map { row in (0..<width).first { labels.scalars[row * width + $0] == 1 } ?? -1 }
        }
    }

    /// `generate --seeds 0,1,2,7` as one [N, C, R, R] array. `--class` sets one class per run, so for a
    /// conditional fixture each seed runs alone with its own class.
    static func generateReferenceSeeds(_ checkpoint: URL, _ reference: [String: TensorData], truncation: Truncation,
                                       in folder: TemporaryDirectory) throws -> TensorData {
        let seeds = try reference["seeds"]!.integers().map { UInt32($0) }
        #expect(seeds == [0, 1, 2, 7])
        let runs: [([UInt32], Int?)] = try classes(reference).map { classes in
            #expect(classes == seeds.indices.map { $0 % 4 }, "the README says the i-th seed has class i % 4")
            return zip(seeds, classes).map { ([$0], $1) }
        } ?? [(seeds, nil)]
        var values: [Float] = []
        var shape: [Int] = []
        for (index, (batch, classIndex)) in runs.enumerated() {
            var job = GenerateJob(checkpoint: checkpoint, source: .seeds(batch))
            job.classIndex = classIndex
            job.truncation = truncation
            job.output = folder.file("images-\(index).npy")
            _ = try job.run()
            let images = try NumpyArray.read(folder.file("images-\(index).npy"))
            values += try images.floats()
            shape = images.shape
        }
        shape[0] = seeds.count
        return try TensorData(float32: values, shape: shape)
    }

    /// `generate --seeds 0,1,2,7` without truncation against img_psi10 / uint8_psi10.
    @Test(arguments: cases)
    func imagesFromSeeds(name: String, source: String) throws {
        let folder = try TemporaryDirectory()
        let checkpoint = try Self.importFixture(name, source, into: folder)
        let reference = try Self.reference(name)
        let images = try Self.generateReferenceSeeds(checkpoint, reference, truncation: .none, in: folder)
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
        let ws = try generator.map(z: z, c: Self.labels(reference), truncation: Truncation(psi: 0.7))
        let wsDifference = maxDifferences(ws.scalars, try reference["ws_psi07"]!.floats())
        print("\(name).\(source) ws_psi07: max abs difference \(wsDifference.absolute)")
        #expect(wsDifference.absolute <= 1e-5)

        let images = try Self.generateReferenceSeeds(checkpoint, reference, truncation: Truncation(psi: 0.7), in: folder)
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

    @Test(arguments: allNames)
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

    /// d_logits and r1_penalty of D(img_psi10, c) in float32 (revision 2 of the fixtures): ≤ 1e-4 relative.
    @Test(arguments: discriminatorCases)
    func discriminatorLogitsAndR1(name: String, source: String) throws {
        let folder = try TemporaryDirectory()
        let checkpoint = try Self.importWithDiscriminator(name, source, into: folder)
        let reference = try Self.reference(name)
        let imagesFile = folder.file("images.npy")
        try NumpyArray.write(reference["img_psi10"]!, to: imagesFile)
        var labelsFile: URL?
        if try Self.labels(reference) != nil {
            labelsFile = folder.file("labels.npy")
            try NumpyArray.write(reference["c"]!, to: labelsFile!)
        }
        let result = try ScoreJob(checkpoint: checkpoint, images: imagesFile, labels: labelsFile).run()
        let logits = maxDifferences(result.logits, try reference["d_logits"]!.floats())
        let r1 = maxDifferences(result.r1Penalty, try reference["r1_penalty"]!.floats())
        print("\(name).\(source): d_logits relative \(logits.relative), r1_penalty relative \(r1.relative)")
        #expect(logits.relative <= 1e-4)
        #expect(r1.relative <= 1e-4)
    }

    /// g_loss = mean softplus(−D(G.synthesis(ws))) and its gradient with respect to ws, through autograd.
    /// Bounds: 1e-4 relative on the loss, 1e-3 relative on the gradient.
    @Test(arguments: allNames)
    func generatorLossAndGradient(name: String) throws {
        let folder = try TemporaryDirectory()
        let reader = try CheckpointReader.open(Self.importFixture(name, "pkl", into: folder).path)
        let generator = try Generator(reader: reader)
        let discriminator = try Discriminator(reader: reader)
        let reference = try Self.reference(name)
        let ws = try Tensor(shape: reference["ws_psi10"]!.shape, values: reference["ws_psi10"]!.floats()).requiringGrad()
        let images = try generator.synthesize(ws: ws, noise: .const)
        let loss = try (-discriminator(images, labels: Self.labels(reference))).softplus().mean()
        let gradient = try gradients(of: loss, withRespectTo: [ws])[0]
        let lossDifference = maxDifferences([try loss.item()], try reference["g_loss"]!.floats())
        let gradientDifference = maxDifferences(gradient.scalars, try reference["g_loss_grad_ws"]!.floats())
        print("\(name): g_loss relative \(lossDifference.relative), grad_ws relative \(gradientDifference.relative)")
        #expect(lossDifference.relative <= 1e-4)
        #expect(gradientDifference.relative <= 1e-3)
    }
}
