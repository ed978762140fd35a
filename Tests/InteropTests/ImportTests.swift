import Foundation
import Testing
import TestSupport
import Checkpoint
import Networks
@testable import Interop

@Suite(.enabled(if: Fixtures.available, Fixtures.missing))
struct ImportTests {
    /// Which networks each fixture file holds.
    static let files: [(suffix: String, format: ImportFormat, networks: [String])] = [
        ("pkl", .nvidiaPickle, ["G", "D", "G_ema"]),
        ("b.pkl", .nvidiaPickle, ["G", "D", "G_ema"]),
        ("rosinality.pt", .rosinality, ["G_ema"]),
        ("state_dict.pt", .stateDict, ["G_ema"]),
    ]

    @Test(arguments: Fixtures.names)
    func namesAndShapesMatchTheFixtureListing(name: String) throws {
        let expectations = try FixtureExpectations(name)
        for file in Self.files {
            let model = try ModelImporter.importModel(from: Fixtures.url("\(name).\(file.suffix)"))
            #expect(model.provenance.format == file.format, "\(name).\(file.suffix)")
            #expect(model.networks.map(\.name) == file.networks, "\(name).\(file.suffix)")
            for network in model.networks {
                let expected = expectations.expected(for: network.name)
                #expect(network.tensors.map(\.name) == expected.map(\.name), "\(name).\(file.suffix) \(network.name) names")
                #expect(network.tensors.map(\.data.shape) == expected.map(\.shape), "\(name).\(file.suffix) \(network.name) shapes")
            }
        }
    }

    @Test(arguments: Fixtures.names)
    func generatorWeightsAreBitIdenticalAcrossFormats(name: String) throws {
        let reference = try #require(try ModelImporter.importModel(from: Fixtures.url("\(name).pkl")).network("G_ema"))
        for suffix in ["rosinality.pt", "state_dict.pt"] {
            let other = try #require(try ModelImporter.importModel(from: Fixtures.url("\(name).\(suffix)")).network("G_ema"))
            #expect(other.tensors.count == reference.tensors.count)
            for (mine, theirs) in zip(reference.tensors, other.tensors) {
                #expect(mine.name == theirs.name && mine.kind == theirs.kind, "\(suffix): \(mine.name)")
                #expect(mine.data.dtype == theirs.data.dtype && mine.data.bytes == theirs.data.bytes, "\(suffix): \(mine.name) differs")
            }
        }
    }

    @Test(arguments: Fixtures.names)
    func architectureAndMetadataComeFromThePickle(name: String) throws {
        let expectations = try FixtureExpectations(name)
        let model = try ModelImporter.importModel(from: Fixtures.url("\(name).pkl"))
        let arch = model.architecture
        #expect(arch.resolution == expectations.resolution)
        #expect(arch.zDim == expectations.zDim && arch.wDim == expectations.wDim)
        #expect(arch.mappingLayers == expectations.mappingLayers)
        #expect(arch.channelBase == expectations.channelBase && arch.channelMax == expectations.channelMax)
        #expect(arch.mbstdGroupSize == expectations.mbstdGroup)
        #expect(arch.numFP16Res == 4 && arch.convClamp == 256)
        #expect(abs((model.augmentP ?? -1) - 0.328) < 1e-6)
        let kwargs = try #require(model.metadata["training_set_kwargs"])
        #expect(kwargs["path"]?.stringValue == "cartoons.zip")
        #expect(model.provenance.sourceSHA256.count == 64)
        // Every tensor of the pickle is a parameter or buffer as its module said.
        let generator = try #require(model.network("G"))
        #expect(generator.tensors.first { $0.name == "mapping.w_avg" }?.kind == .buffer)
        #expect(generator.tensors.first { $0.name == "synthesis.b4.const" }?.kind == .parameter)
    }

    @Test(arguments: Fixtures.names)
    func derivedArchitecturesAgreeWithTheStoredOne(name: String) throws {
        let stored = try ModelImporter.importModel(from: Fixtures.url("\(name).pkl")).architecture
        for suffix in ["rosinality.pt", "state_dict.pt"] {
            let derived = try ModelImporter.importModel(from: Fixtures.url("\(name).\(suffix)")).architecture
            for resolution in stored.blockResolutions {
                #expect(derived.channels(at: resolution) == stored.channels(at: resolution), "\(suffix) at \(resolution)")
            }
            #expect(derived.resolution == stored.resolution && derived.mappingLayers == stored.mappingLayers)
            #expect(derived.zDim == stored.zDim && derived.wDim == stored.wDim)
        }
    }

    @Test func anArchitectureThatContradictsTheShapesIsAClearError() throws {
        let model = try ModelImporter.importModel(from: Fixtures.url("tiny32.pkl"))
        var content = ImportedContent(model)
        content.architecture.channelBase = 512  // tiny32 was built with 256
        let error = try #require(throws: InteropError.self) { try content.verified() }
        #expect(error.message.contains("synthesis.b16.conv0.weight has shape [16, 32, 3, 3]"), "\(error)")
        #expect(error.message.contains("channel_base 512"))
    }
}
