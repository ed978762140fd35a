import Foundation
import Testing
import TestSupport
import Checkpoint
import Networks
@testable import Interop

/// NAME.tf.pkl (the official TensorFlow layout) imports to exactly NAME.pkl's tensors, and toonkit's `.pkl`
/// export (that layout again) imports back bit for bit.
@Suite(.enabled(if: Fixtures.available, Fixtures.missing))
struct TensorFlowPickleTests {
    /// ctiny32 is conditional: the label embedding and D's label mapping come through the same table.
    @Test(arguments: Fixtures.names + ["ctiny32"])
    func importMatchesTheNvidiaPickleBitForBit(name: String) throws {
        try expectSameAsNvidiaPickle(name)
    }

    func expectSameAsNvidiaPickle(_ name: String) throws {
        let reference = try ModelImporter.importModel(from: Fixtures.url("\(name).pkl"))
        let imported = try ModelImporter.importModel(from: Fixtures.url("\(name).tf.pkl"))
        #expect(imported.provenance.format == .tensorflowPickle)
        ExportRoundTripTests.expectIdentical(imported.networks, reference.networks, "\(name).tf.pkl")
        var expected = reference.architecture
        if name == "tiny32" {
            // NVlabs/stylegan2's kwargs have no fp16 or clamping; the fixture's activations never reach 256.
            expected.numFP16Res = 0
            expected.convClamp = nil
        }
        #expect(imported.architecture == expected)
    }

    @Test(arguments: Fixtures.names)
    func exportedPickleImportsBackBitForBit(name: String) throws {
        let folder = try TemporaryDirectory()
        let original = try ModelImporter.importModel(from: Fixtures.url("\(name).pkl"))
        let notes = try ModelExporter.export(original.networks, architecture: original.architecture, to: folder.file("out.pkl"), layout: .nvidia)
        #expect(!notes.contains { $0.contains("style biases") }, "\(notes)")
        let back = try ModelImporter.importModel(from: folder.file("out.pkl"))
        #expect(back.provenance.format == .tensorflowPickle)
        ExportRoundTripTests.expectIdentical(back.networks, original.networks, "\(name) → .pkl")
        #expect(back.architecture == original.architecture)
    }

    @Test func aPickleExportNeedsTheDiscriminator() throws {
        let folder = try TemporaryDirectory()
        let original = try ModelImporter.importModel(from: Fixtures.url("tiny32.pkl"))
        #expect(throws: InteropError.self) {
            try ModelExporter.export(original.networks.filter { $0.name != "D" }, architecture: original.architecture,
                                     to: folder.file("g.pkl"), layout: .nvidia)
        }
        #expect(!FileManager.default.fileExists(atPath: folder.file("g.pkl").path))
    }

    /// Conv0_up kernels are flipped, the others only permuted, and the two directions are inverses.
    @Test func transformsInvertEachOther() {
        let shape = [2, 3, 3, 3]
        let values = (0..<54).map { Float($0) }
        for transform in [TensorFlowTransform.convKernel(flipped: true), .convKernel(flipped: false), .same] {
            #expect(transform.toNvidia(transform.toTensorFlow(values, nvidiaShape: shape), nvidiaShape: shape) == values)
        }
        let flipped = TensorFlowTransform.convKernel(flipped: true).toTensorFlow(values, nvidiaShape: shape)
        // NVIDIA (o 0, i 0, y 0, x 0) is TF (y 2, x 2, i 0, o 0).
        #expect(flipped[((2 * 3 + 2) * 3 + 0) * 2 + 0] == values[0])
        #expect(TensorFlowTransform.denseTranspose.toTensorFlow([1, 2, 3, 4, 5, 6], nvidiaShape: [2, 3]) == [1, 4, 2, 5, 3, 6])
    }
}
