import Foundation
import Testing
import Checkpoint
import Networks
@testable import Interop

/// The init kwargs of conditional NVIDIA networks: what is read, and every field whose value toonkit's
/// networks would compute differently is refused by name.
struct ConditionalKwargsTests {
    static func dict(_ entries: [(String, PickleValue)]) -> PickleDict {
        let dict = PickleDict(flavor: .easy)
        for (key, value) in entries { try! dict.set(.string(key), value, limit: .max) }
        return dict
    }

    /// ctiny32's G: 32×32, z/w 32, 4 classes, 2 mapping layers, channel_base 256, channel_max 32.
    static func generator(cDim: Int = 4, mapping: [(String, PickleValue)] = [("num_layers", .int(2))]) -> PickleDict {
        dict([("z_dim", .int(32)), ("c_dim", .int(Int64(cDim))), ("w_dim", .int(32)), ("img_resolution", .int(32)),
              ("mapping_kwargs", .dict(dict(mapping))),
              ("synthesis_kwargs", .dict(dict([("channel_base", .int(256)), ("channel_max", .int(32)), ("conv_clamp", .int(256))])))])
    }

    static func discriminator(cDim: Int = 4, extra: [(String, PickleValue)] = []) -> PickleDict {
        dict([("c_dim", .int(Int64(cDim))), ("img_resolution", .int(32)), ("channel_base", .int(256)),
              ("channel_max", .int(32)), ("conv_clamp", .int(256))] + extra)
    }

    /// The architecture and the declared label-mapping depth, or the error message.
    static func read(_ g: PickleDict, _ d: PickleDict) -> Result<(Architecture, Int?), InteropError> {
        Result {
            var arch = try InitKwargs.generatorArchitecture(g)
            let depth = try InitKwargs.applyDiscriminator(d, to: &arch)
            return (arch, depth)
        }.mapError { $0 as! InteropError }
    }

    static func message(_ g: PickleDict, _ d: PickleDict) -> String? {
        if case .failure(let error) = read(g, d) { return error.message }
        return nil
    }

    @Test func readsTheLabelsTheLabelMappingAndItsDefaultDepth() throws {
        let (arch, depth) = try Self.read(Self.generator(), Self.discriminator()).get()
        #expect(arch.cDim == 4 && arch.cmapDim == nil && depth == DiscriminatorNetwork.defaultMappingLayers)
        let mapping = Self.dict([("num_layers", .int(2))])
        let (wide, shallow) = try Self.read(Self.generator(), Self.discriminator(extra: [
            ("cmap_dim", .int(16)), ("mapping_kwargs", .dict(mapping))])).get()
        #expect(wide.cmapDim == 16 && shallow == 2)
        // cmap_dim equal to the channels at 4×4 is the default and is stored as absent.
        #expect(try Self.read(Self.generator(), Self.discriminator(extra: [("cmap_dim", .int(32))])).get().0.cmapDim == nil)
        #expect(try Self.read(Self.generator(cDim: 0), Self.discriminator(cDim: 0)).get().1 == nil)
    }

    @Test func gAndDMustTakeTheSameLabels() {
        #expect(Self.message(Self.generator(), Self.discriminator(cDim: 3)) == "G's c_dim (4) and D's (3) differ: both networks must take the same labels")
        #expect(Self.message(Self.generator(cDim: 0), Self.discriminator()) == "G's c_dim (0) and D's (4) differ: both networks must take the same labels")
    }

    @Test func labelMappingFieldsToonkitDoesNotImplementAreRefusedByName() {
        func refusal(_ mapping: [(String, PickleValue)]) -> String? {
            Self.message(Self.generator(), Self.discriminator(extra: [("mapping_kwargs", .dict(Self.dict(mapping)))]))
        }
        #expect(refusal([("lr_multiplier", .float(0.1))]) == "D's mapping_kwargs.lr_multiplier is 0.1, but toonkit's label mapping implements 0.01 only")
        // legacy.py's conversions: no layers, so the multiplier multiplies nothing.
        #expect(refusal([("num_layers", .int(0)), ("lr_multiplier", .float(0.1))]) == nil)
        #expect(refusal([("activation", .string("relu"))]) == "D's mapping_kwargs.activation 'relu' is not supported (only 'lrelu')")
        #expect(refusal([("layer_features", .int(64))]) == "D's mapping_kwargs.layer_features is 64, but toonkit's mapping network uses its output width 32")
        #expect(refusal([("embed_features", .int(32)), ("layer_features", .none)]) == nil)
        #expect(refusal([("w_avg_beta", .float(0.995))]) == "D's mapping_kwargs hold 'w_avg_beta', which toonkit's mapping network does not implement")
        #expect(Self.message(Self.generator(mapping: [("num_layers", .int(2)), ("embed_features", .int(16))]), Self.discriminator())
            == "G's mapping_kwargs.embed_features is 16, but toonkit's mapping network uses its output width 32")
    }
}

/// Conditional architectures derived from NVIDIA-named tensors alone (state dicts, safetensors).
struct ConditionalInferenceTests {
    static func architecture(cDim: Int, cmapDim: Int? = nil) -> Architecture {
        var arch = Architecture(resolution: 8, zDim: 12, wDim: 8, cDim: cDim, mappingLayers: 2, channelBase: 64, channelMax: 16)
        arch.cmapDim = cmapDim
        return arch
    }

    static func tensors(_ arch: Architecture) throws -> (generator: [TensorEntry], discriminator: [TensorEntry]) {
        (try NetworkInitializer.generator(arch, seed: 1).entries(), try NetworkInitializer.discriminator(arch, seed: 2).entries())
    }

    @Test func cDimCmapDimAndZDimComeFromTheShapes() throws {
        let arch = Self.architecture(cDim: 3, cmapDim: 6)
        let (generator, discriminator) = try Self.tensors(arch)
        let (inferred, notes) = try ArchitectureInference.infer(generator: generator, discriminator: discriminator)
        #expect(inferred == arch)
        #expect(notes.contains("the learning-rate multiplier of D's label mapping is not stored in the file; NVIDIA's default 0.01 assumed"))
        let (alone, _) = try ArchitectureInference.infer(generator: generator, discriminator: nil)
        #expect(alone.cDim == 3 && alone.zDim == 12)
    }

    @Test func gAndDMustTakeTheSameLabels() throws {
        let generator = try Self.tensors(Self.architecture(cDim: 3)).generator
        let discriminator = try Self.tensors(Self.architecture(cDim: 0)).discriminator
        let error = try #require(throws: InteropError.self) {
            try ArchitectureInference.infer(generator: generator, discriminator: discriminator)
        }
        #expect(error.message == "the generator takes 3 label dimensions (c_dim) and the discriminator 0: both networks must take the same labels")
    }
}
