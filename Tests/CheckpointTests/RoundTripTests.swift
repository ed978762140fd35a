import Foundation
import Testing
import TestSupport
@testable import Checkpoint
import Networks

@Suite struct RoundTripTests {
    @Test func networkTensorsComeBackInWrittenOrderWithAttributes() throws {
        let folder = try TemporaryDirectory()
        let path = try Samples.write(folder.path("g.h5"))
        let reader = try CheckpointReader(path: path)
        #expect(reader.networkNames == ["toy"])
        #expect(try reader.tensorNames(network: "toy") == Samples.generator.map(\.name))
        #expect(try reader.architecture == Samples.architecture)
        #expect(reader.formatVersion == CheckpointFormat.version)
        #expect(reader.createdBy == CheckpointFormat.toolVersion)
        for original in Samples.generator {
            let entry = try reader.readTensor(network: "toy", name: original.name, verifyChecksum: true)
            #expect(entry.kind == original.kind)
            #expect(entry.trainable == original.trainable)
            #expect(entry.data.shape == original.data.shape)
            #expect(entry.data.dtype == .float32)
            #expect(entry.data.bytes == original.data.bytes)
            let info = try reader.tensorInfo(network: "toy", name: original.name)
            #expect(info.sha256 == Checksum.sha256Hex(original.data.bytes))
            #expect(info.byteCount == original.data.bytes.count)
        }
        let scalar = try reader.tensorInfo(network: "toy", name: "synthesis.b16.conv1.noise_strength")
        #expect(scalar.shape == [])
        #expect(scalar.numel == 1)
    }

    @Test(arguments: DType.allCases)
    func everyDTypeRoundTrips(dtype: DType) throws {
        let folder = try TemporaryDirectory()
        let tensors = [
            TensorEntry(name: "values", kind: .buffer, data: Samples.raw(dtype, shape: [3, 5])),
            TensorEntry(name: "scalar", kind: .buffer, data: Samples.raw(dtype, shape: [], seed: 7)),
            TensorEntry(name: "empty", kind: .buffer, data: Samples.raw(dtype, shape: [0, 4])),
        ]
        let path = try Samples.write(folder.path("d.h5"), networks: [("critic", tensors)])
        let reader = try CheckpointReader(path: path)
        for original in tensors {
            let entry = try reader.readTensor(network: "critic", name: original.name, verifyChecksum: true)
            #expect(entry.data.dtype == dtype)
            #expect(entry.data.shape == original.data.shape)
            #expect(entry.data.bytes == original.data.bytes)
        }
    }
}
