@testable import Engine
@testable import Networks
import Testing
import TestSupport

/// `Generator.preparedForInference` keeps what synthesis derives from its weights alone: the images must not change,
/// and a replaced weight must not leave a stale derivation behind.
@Suite struct InferencePreparationTests {
    /// Up to 32² (8 channels at 4² and 8², 4 at 16², 2 at 32²), so both evaluation orders run, with and without
    /// up-sampling: styles on the input up to 8² (9 · 8 ≥ 64 input values per channel), in per-sample weights from 16² on.
    static let architecture = Architecture(resolution: 32, zDim: 8, wDim: 8, mappingLayers: 2, channelBase: 64, channelMax: 8)

    static func generator() throws -> Generator {
        try Generator(architecture: architecture, parameters: NetworkInitializer.generator(architecture, seed: 5))
    }

    static func images(_ generator: Generator) throws -> [Float] {
        try GradMode.withoutGrad {
            try generator.generate(z: Latents.z(seeds: [0, 1], zDim: architecture.zDim), noise: .const).scalars
        }
    }

    @Test func theTestNetworkUsesBothOrdersWithAndWithoutUpSampling() throws {
        let layers = try Self.generator().network.synthesis.layers
        #expect(layers.contains { $0.upsamples && $0.modulatesWeights } && layers.contains { $0.upsamples && !$0.modulatesWeights })
        #expect(layers.contains { !$0.upsamples && $0.modulatesWeights } && layers.contains { !$0.upsamples && !$0.modulatesWeights })
    }

    @Test func preparedImagesAreTheSameToTheBit() throws {
        let generator = try Self.generator()
        #expect(mismatch(try Self.images(generator.preparedForInference()), try Self.images(generator)) == nil)
    }

    /// Each derivation a layer declares is the value its forward pass reads: one kept wrong on purpose must change the
    /// images. A declared derivation the pass computed again would leave them as they were, and the preparation would
    /// save nothing there.
    @Test func everyDeclaredDerivationIsTheOneThePassReads() throws {
        let generator = try Self.generator()
        let plain = try Self.images(generator)
        let layers = generator.network.synthesis.layers
        for layer in layers {
            for derivation in layer.weightDerivations {
                var poisoned = try generator.preparedForInference()
                let kept = try poisoned.parameters.derived(derivation, of: layer.weight)
                try poisoned.parameters.keep(kept * 4, as: derivation, of: layer.weight)
                #expect(mismatch(try Self.images(poisoned), plain) != nil, "\(layer.path.name) \(derivation)")
            }
        }
        #expect(layers.map(\.weightDerivations.count).reduce(0, +) == 10)
    }

    /// A stale tap energy would demodulate with the old weight, a stale transposed weight would convolve with it.
    @Test func replacingAWeightDropsWhatWasDerivedFromIt() throws {
        var prepared = try Self.generator().preparedForInference()
        var replaced = try Self.generator().parameters
        // Another seed's weights: a multiple of the old weight would not do, demodulation cancels it.
        let other = try NetworkInitializer.generator(Self.architecture, seed: 6)
        for name in ["synthesis.b8.conv0.weight", "synthesis.b16.conv0.weight", "synthesis.b32.conv1.weight"] {
            replaced.set(name, try other.tensor(name))
            prepared.parameters.set(name, try other.tensor(name))
        }
        let fresh = try Generator(architecture: Self.architecture, parameters: replaced)
        let expected = try Self.images(fresh)
        #expect(mismatch(try Self.images(prepared), expected) == nil)
        #expect(mismatch(try Self.images(Self.generator()), expected) != nil)
    }

    /// Training makes leaves of the weights: what was kept must give way to the leaves' own derivations, or their
    /// gradients would miss the demodulation's path.
    @Test func gradientLeavesDropTheDerivationsAndCannotBePrepared() throws {
        let name = "synthesis.b8.conv0.weight"
        func weightGradient(_ generator: Generator) throws -> [Float] {
            let (leaves, leafy) = try generator.withGradientLeaves([name])
            let images = try leafy.generate(z: Latents.z(seeds: [0], zDim: Self.architecture.zDim), noise: .const)
            return try gradients(of: images.square().sum(), withRespectTo: [leaves[0].1])[0].scalars
        }
        let generator = try Self.generator()
        #expect(mismatch(try weightGradient(generator.preparedForInference()), try weightGradient(generator)) == nil)
        let (_, leafy) = try generator.withGradientLeaves([name])
        let error = #expect(throws: NetworkError.self) { try leafy.preparedForInference() }
        #expect(error?.description.contains("\(name) requires a gradient") == true)
    }

    /// A prepared generator keeps the convolution transforms of the layers that convolve the batch with the shared weight
    /// on planes that Winograd serves: 32 channels at 16² (9 · 32 ≥ 256 values per channel, so the styles scale the input).
    /// The images stay the same to the bit, and a weight only the per-sample layers read keeps nothing.
    @Test func preparedGeneratorsKeepTheSharedWeightsTransforms() throws {
        let architecture = Architecture(resolution: 32, zDim: 8, wDim: 8, mappingLayers: 2, channelBase: 512, channelMax: 32)
        let generator = try Generator(architecture: architecture, parameters: NetworkInitializer.generator(architecture, seed: 7))
        let prepared = try generator.preparedForInference()
        let z = try Latents.z(seeds: [0, 1], zDim: architecture.zDim)
        func images(_ generator: Generator) throws -> [Float] {
            try GradMode.withoutGrad { try generator.generate(z: z, noise: .const).scalars }
        }
        let plain = try images(generator)
        for _ in 0..<2 { #expect(mismatch(try images(prepared), plain) == nil) }
        func keptCount(_ name: String) throws -> Int {
            try #require(prepared.parameters.tensor(name).keptTransforms).kept.count
        }
        let shared = try #require(prepared.network.synthesis.layers.first { $0.resolution == 16 && !$0.upsamples })
        #expect(!shared.modulatesWeights)
        #expect(try keptCount(shared.weight.name) == 1)
        let perSample = try #require(prepared.network.synthesis.layers.first { $0.resolution == 32 && !$0.upsamples })
        #expect(perSample.modulatesWeights)
        #expect(try keptCount(perSample.weight.name) == 0)
        // The up-sampling layers' transposed weights are marked too (this network's up-sampling runs on planes too narrow
        // for the kernels that pack, so they make none here).
        for layer in prepared.network.synthesis.layers where layer.upsamples {
            #expect(try prepared.parameters.derived(.transposedConvolutionWeight, of: layer.weight).keepsConvolutionTransforms)
        }
        #expect(try !generator.preparedForInference(keepingConvolutionTransforms: false).parameters.tensor(shared.weight.name).keepsConvolutionTransforms)
    }
}
