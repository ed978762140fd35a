import Checkpoint
import Engine
import Networks
import Testing

/// The module trees are the one declaration of every tensor: these tests check what derives from them.
@Suite struct ModuleTreeTests {
    static let architecture = Architecture(resolution: 16, zDim: 8, wDim: 8, mappingLayers: 2, channelBase: 64, channelMax: 8)

    @Test func tensorNamesAreUniqueAndFollowStateDictOrder() {
        let generator = GeneratorNetwork(Self.architecture).tensors.map(\.name)
        #expect(Set(generator).count == generator.count)
        // NVIDIA's Generator registers synthesis before mapping; within a layer, parameters precede buffers and children.
        #expect(Array(generator.prefix(3)) == ["synthesis.b4.const", "synthesis.b4.resample_filter", "synthesis.b4.conv1.weight"])
        #expect(generator.last == "mapping.fc1.bias")
        let discriminator = DiscriminatorNetwork(Self.architecture).tensors.map(\.name)
        #expect(discriminator.first == "b16.resample_filter" && discriminator.last == "b4.out.bias")
    }

    @Test func initialValuesComeFromTheDeclarations() throws {
        let set = try NetworkInitializer.generator(Self.architecture, seed: 3)
        #expect(try set.tensor("synthesis.b8.conv0.affine.bias").scalars.allSatisfy { $0 == 1 })
        #expect(try set.tensor("synthesis.b8.conv0.noise_strength").scalars == [0])
        #expect(try set.tensor("mapping.w_avg").scalars.allSatisfy { $0 == 0 })
        #expect(try set.tensor("synthesis.b8.resample_filter").scalars.first == 1 / 64)
        // Mapping weights start at N(0, 1)/lr_multiplier, so their spread is ~100 at lr 0.01.
        let mapping = try set.tensor("mapping.fc0.weight").scalars
        let spread = (mapping.map { Double($0 * $0) }.reduce(0, +) / Double(mapping.count)).squareRoot()
        #expect(spread > 50 && spread < 200)
        // The same seed gives the same network.
        #expect(try NetworkInitializer.generator(Self.architecture, seed: 3).tensor("synthesis.b4.const").scalars
                == set.tensor("synthesis.b4.const").scalars)
    }

    @Test func aStoredFilterOtherThanTheArchitecturesIsRefusedByName() throws {
        var set = try NetworkInitializer.generator(Self.architecture, seed: 1)
        set.set("synthesis.b8.conv0.resample_filter", try Tensor(shape: [4, 4], values: [Float](repeating: 1 / 16, count: 16)), kind: .buffer)
        let error = #expect(throws: NetworkError.self) { try Generator(architecture: Self.architecture, parameters: set) }
        #expect(error?.description.contains("synthesis.b8.conv0.resample_filter holds") == true)
        #expect(error?.description.contains("resample_filter [1.0, 3.0, 3.0, 1.0]") == true)
    }

    @Test func placesAndLevelsAreReadOffTheTree() {
        let anatomy = NetworkAnatomy(GeneratorNetwork(Self.architecture))
        #expect(anatomy.role == .generator)
        #expect(anatomy.places["synthesis.b4.const"] == .synthesis(resolution: 4, level: 0))
        #expect(anatomy.places["synthesis.b8.conv0.affine.weight"] == .synthesis(resolution: 8, level: 0))
        #expect(anatomy.places["synthesis.b8.torgb.bias"] == .synthesis(resolution: 8, level: 1))
        #expect(anatomy.places["mapping.w_avg"] == .mapping && anatomy.averageW == "mapping.w_avg")
        let names = GeneratorNetwork(Self.architecture).tensors.map(\.name)
        #expect(NetworkAnatomy(tensorNames: names, architecture: Self.architecture).role == .generator)
        #expect(NetworkAnatomy(tensorNames: Array(names.dropLast()), architecture: Self.architecture).role == .other)
    }

    @Test func theLabelMappingUsesItsOwnLearningRateNotTheGenerators() {
        var conditional = Self.architecture
        conditional.cDim = 3
        conditional.mappingLRMultiplier = 0.5
        let discriminator = DiscriminatorNetwork(conditional)
        #expect(discriminator.mapping?.layers.allSatisfy { $0.lrMultiplier == Float(MappingNetwork.defaultLRMultiplier) } == true)
        #expect(GeneratorNetwork(conditional).mapping.layers.allSatisfy { $0.lrMultiplier == 0.5 })
    }
}
