import Foundation
import Checkpoint
import Networks

/// One rosinality tensor and the NVIDIA tensor it holds (docs/foreign-formats.md §5). The bytes are
/// the same apart from the shape, except for G's up-sampling kernels, which rosinality stores
/// with the up-sampling gain: foreign = NVIDIA × `scale`.
struct RenamedTensor {
    let nvidia: String
    let foreign: String
    let foreignShape: [Int]
    let scale: Float
}

/// The NVIDIA ↔ rosinality stylegan2-pytorch name mapping, in rosinality `state_dict()` order.
/// Importer and exporter both use it, so the two directions cannot drift apart.
enum RosinalityLayout {
    /// Builds pairs from NVIDIA names, taking NVIDIA shapes from the expected layout.
    private struct Builder {
        let shapes: [String: [Int]]
        var pairs: [RenamedTensor] = []

        init(_ expected: [TensorDeclaration]) {
            shapes = Dictionary(uniqueKeysWithValues: expected.map { ($0.name, $0.shape) })
        }

        mutating func add(_ foreign: String, _ nvidia: String, prefix: [Int] = [], suffix: [Int] = [], scale: Float = 1) {
            pairs.append(RenamedTensor(nvidia: nvidia, foreign: foreign, foreignShape: prefix + shapes[nvidia]! + suffix, scale: scale))
        }

        /// A rosinality StyledConv from an NVIDIA SynthesisLayer.
        mutating func styledConv(_ foreign: String, _ nvidia: String, upsamples: Bool) {
            add("\(foreign).conv.weight", "\(nvidia).weight", prefix: [1])
            if upsamples { add("\(foreign).conv.blur.kernel", "\(nvidia).resample_filter", scale: 4) }
            add("\(foreign).conv.modulation.weight", "\(nvidia).affine.weight")
            add("\(foreign).conv.modulation.bias", "\(nvidia).affine.bias")
            add("\(foreign).noise.weight", "\(nvidia).noise_strength", prefix: [1])
            add("\(foreign).activate.bias", "\(nvidia).bias")
        }

        /// A rosinality ToRGB from an NVIDIA ToRGBLayer; `upsampleFilter` is the block's filter.
        mutating func toRGB(_ foreign: String, _ nvidia: String, upsampleFilter: String?) {
            add("\(foreign).bias", "\(nvidia).bias", prefix: [1], suffix: [1, 1])
            if let upsampleFilter { add("\(foreign).upsample.kernel", upsampleFilter, scale: 4) }
            add("\(foreign).conv.weight", "\(nvidia).weight", prefix: [1])
            add("\(foreign).conv.modulation.weight", "\(nvidia).affine.weight")
            add("\(foreign).conv.modulation.bias", "\(nvidia).affine.bias")
        }
    }

    /// Generator tensors except `mapping.w_avg`, which rosinality keeps outside as `latent_avg`.
    static func generator(_ arch: Architecture) -> [RenamedTensor] {
        var builder = Builder(GeneratorNetwork(arch).tensors)
        for layer in 0..<arch.mappingLayers {
            builder.add("style.\(layer + 1).weight", "mapping.fc\(layer).weight")
            builder.add("style.\(layer + 1).bias", "mapping.fc\(layer).bias")
        }
        builder.add("input.input", "synthesis.b4.const", prefix: [1])
        builder.styledConv("conv1", "synthesis.b4.conv1", upsamples: false)
        builder.toRGB("to_rgb1", "synthesis.b4.torgb", upsampleFilter: nil)
        let upper = arch.blockResolutions.dropFirst()
        for (index, resolution) in zip(1..., upper) {
            builder.styledConv("convs.\(2 * index - 2)", "synthesis.b\(resolution).conv0", upsamples: true)
            builder.styledConv("convs.\(2 * index - 1)", "synthesis.b\(resolution).conv1", upsamples: false)
        }
        for (index, resolution) in zip(1..., upper) {
            builder.toRGB("to_rgbs.\(index - 1)", "synthesis.b\(resolution).torgb", upsampleFilter: "synthesis.b\(resolution).resample_filter")
        }
        builder.add("noises.noise_0", "synthesis.b4.conv1.noise_const", prefix: [1, 1])
        for (index, resolution) in zip(1..., upper) {
            builder.add("noises.noise_\(2 * index - 1)", "synthesis.b\(resolution).conv0.noise_const", prefix: [1, 1])
            builder.add("noises.noise_\(2 * index)", "synthesis.b\(resolution).conv1.noise_const", prefix: [1, 1])
        }
        return builder.pairs
    }

    static func discriminator(_ arch: Architecture) -> [RenamedTensor] {
        var builder = Builder(DiscriminatorNetwork(arch).tensors)
        builder.add("convs.0.0.weight", "b\(arch.resolution).fromrgb.weight")
        builder.add("convs.0.1.bias", "b\(arch.resolution).fromrgb.bias")
        for (index, resolution) in zip(1..., arch.blockResolutions.reversed().dropLast()) {
            let block = "b\(resolution)"
            builder.add("convs.\(index).conv1.0.weight", "\(block).conv0.weight")
            builder.add("convs.\(index).conv1.1.bias", "\(block).conv0.bias")
            builder.add("convs.\(index).conv2.0.kernel", "\(block).conv1.resample_filter")
            builder.add("convs.\(index).conv2.1.weight", "\(block).conv1.weight")
            builder.add("convs.\(index).conv2.2.bias", "\(block).conv1.bias")
            builder.add("convs.\(index).skip.0.kernel", "\(block).skip.resample_filter")
            builder.add("convs.\(index).skip.1.weight", "\(block).skip.weight")
        }
        builder.add("final_conv.0.weight", "b4.conv.weight")
        builder.add("final_conv.1.bias", "b4.conv.bias")
        builder.add("final_linear.0.weight", "b4.fc.weight")
        builder.add("final_linear.0.bias", "b4.fc.bias")
        builder.add("final_linear.1.weight", "b4.out.weight")
        builder.add("final_linear.1.bias", "b4.out.bias")
        return builder.pairs
    }

    static func pairs(network: String, _ arch: Architecture) -> [RenamedTensor] {
        network == "D" ? discriminator(arch) : generator(arch)
    }

    // MARK: architecture from rosinality shapes

    /// Resolution levels 4 … 2^16, the bound `Architecture.checkPlausible` enforces.
    private static let maxLevels = 15

    static func observeGenerator(_ shapes: [String: [Int]]) throws -> ArchitectureInference.Observation {
        var levels = 1
        while levels < maxLevels, shapes["to_rgbs.\(levels - 1).conv.weight"] != nil { levels += 1 }
        var channels = [4: try ArchitectureInference.requireShape(shapes, "input.input", rank: 4)[1]]
        for index in 1..<levels {
            channels[4 << index] = try ArchitectureInference.requireShape(shapes, "convs.\(2 * index - 1).conv.weight", rank: 5)[1]
        }
        var layers = 0
        while shapes["style.\(layers + 1).weight"] != nil { layers += 1 }
        guard layers > 0 else { throw InteropError("cannot derive the architecture: style.1.weight is missing") }
        let style = try ArchitectureInference.requireShape(shapes, "style.1.weight", rank: 2)
        let modulation = try ArchitectureInference.requireShape(shapes, "conv1.conv.modulation.weight", rank: 2)
        return .init(resolution: 4 << (levels - 1),
                     imgChannels: try ArchitectureInference.requireShape(shapes, "to_rgb1.conv.weight", rank: 5)[1],
                     channels: channels, zDim: style[1], wDim: modulation[1], mappingLayers: layers)
    }

    static func observeDiscriminator(_ shapes: [String: [Int]]) throws -> ArchitectureInference.Observation {
        var blocks = 0
        while blocks < maxLevels, shapes["convs.\(blocks + 1).conv1.0.weight"] != nil { blocks += 1 }
        let resolution = 4 << blocks
        let epilogue = try ArchitectureInference.requireShape(shapes, "final_conv.0.weight", rank: 4)
        var channels = [4: epilogue[0]]
        for index in stride(from: 1, through: blocks, by: 1) {
            channels[resolution >> (index - 1)] = try ArchitectureInference.requireShape(shapes, "convs.\(index).conv1.0.weight", rank: 4)[0]
        }
        return .init(resolution: resolution,
                     imgChannels: try ArchitectureInference.requireShape(shapes, "convs.0.0.weight", rank: 4)[1],
                     channels: channels, mbstdNumChannels: epilogue[1] - epilogue[0])
    }
}
