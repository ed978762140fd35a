import Foundation
import Checkpoint
import Networks

/// Derives an `Architecture` from NVIDIA-named tensor shapes, for files that carry no kwargs
/// (state dicts, safetensors, rosinality checkpoints after renaming).
public enum ArchitectureInference {
    /// Observable facts of one network; G and D must agree on the ones they share.
    struct Observation {
        var resolution: Int
        var imgChannels: Int
        var channels: [Int: Int]
        var zDim: Int?
        var wDim: Int?
        var mappingLayers: Int?
        var mbstdNumChannels: Int?
    }

    /// Architecture of a generator and/or discriminator. Facts that shapes cannot show (mbstd
    /// group, fp16 resolutions, conv clamp) are assumed, and each assumption is reported.
    public static func infer(generator: [TensorEntry]?, discriminator: [TensorEntry]?,
                             mbstdGroupSize: Int? = 4) throws -> (architecture: Architecture, assumptions: [String]) {
        try infer(generator: generator.map(observeGenerator), discriminator: discriminator.map(observeDiscriminator),
                  mbstdGroupSize: mbstdGroupSize)
    }

    static func infer(generator: Observation?, discriminator: Observation?,
                      mbstdGroupSize: Int?) throws -> (architecture: Architecture, assumptions: [String]) {
        let observations = [generator, discriminator].compactMap { $0 }
        guard var merged = observations.first else { throw InteropError("no generator or discriminator tensors to derive an architecture from") }
        guard generator != nil else {
            throw InteropError("the file holds a discriminator without its generator: z_dim, w_dim and the mapping depth cannot be derived from it; import a file that also holds the generator")
        }
        for other in observations.dropFirst() {
            guard other.resolution == merged.resolution, other.imgChannels == merged.imgChannels else {
                throw InteropError("generator and discriminator disagree on resolution or image channels")
            }
            for (resolution, count) in other.channels {
                if let known = merged.channels[resolution], known != count {
                    throw InteropError("generator and discriminator disagree on the channels at resolution \(resolution) (\(known) vs \(count))")
                }
                merged.channels[resolution] = count
            }
            merged.mbstdNumChannels = merged.mbstdNumChannels ?? other.mbstdNumChannels
        }
        let (base, maximum) = try channelConfig(merged.channels)
        var arch = Architecture(resolution: merged.resolution, zDim: merged.zDim!, wDim: merged.wDim!,
                                mappingLayers: merged.mappingLayers!, channelBase: base, channelMax: maximum,
                                mbstdGroupSize: mbstdGroupSize)
        arch.imgChannels = merged.imgChannels
        arch.mbstdNumChannels = merged.mbstdNumChannels ?? 1
        try arch.checkPlausible()
        var assumptions = ["num_fp16_res \(arch.numFP16Res) and conv_clamp \(arch.convClamp.map { "\($0)" } ?? "none") are not stored in the file; train.py defaults assumed"]
        if discriminator != nil {
            assumptions.append("minibatch-std group size is not stored in the file; \(mbstdGroupSize.map(String.init) ?? "whole batch") assumed")
        }
        return (arch, assumptions)
    }

    /// channel_base and channel_max such that min(channel_base / res, channel_max) reproduces every
    /// observed channel count; the smallest such channel_base is chosen.
    static func channelConfig(_ channels: [Int: Int]) throws -> (base: Int, max: Int) {
        guard let maximum = channels.values.max(), maximum > 0, maximum <= Architecture.maxDimension,
              channels.keys.allSatisfy({ $0 <= Architecture.maxResolution }) else {
            throw InteropError("channel counts \(channels.values.sorted()) are not plausible")
        }
        var lower = 1
        var upper = Int.max
        for (resolution, count) in channels {
            if count == maximum {
                lower = max(lower, maximum * resolution)
            } else {
                lower = max(lower, count * resolution)
                upper = min(upper, count * resolution + resolution - 1)
            }
        }
        guard lower <= upper, channels.allSatisfy({ min(lower / $0.key, maximum) == $0.value }) else {
            let listing = channels.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
            throw InteropError("the channel counts {\(listing)} cannot come from min(channel_base / resolution, channel_max)")
        }
        return (lower, maximum)
    }

    private static func shapes(_ tensors: [TensorEntry]) -> [String: [Int]] {
        Dictionary(tensors.map { ($0.name, $0.data.shape) }, uniquingKeysWith: { first, _ in first })
    }

    static func requireShape(_ shapes: [String: [Int]], _ name: String, rank: Int) throws -> [Int] {
        guard let shape = shapes[name] else { throw InteropError("cannot derive the architecture: \(name) is missing") }
        guard shape.count == rank else { throw InteropError("cannot derive the architecture: \(name) has shape \(shape)") }
        return shape
    }

    /// The top of the block resolutions present, which must be 4 (or 8), …, R without gaps.
    private static func top(of present: [Int], from lowest: Int) throws -> Int {
        guard let top = present.max(), Set(present) == Set(present.isEmpty ? [] : Array(sequence(first: lowest) { $0 * 2 }.prefix { $0 <= top })) else {
            throw InteropError("block resolutions \(present.sorted()) are not \(lowest), \(lowest * 2), …, a power of two")
        }
        return top
    }

    /// Names come from the module trees of the largest buildable architecture: a block's tensor names
    /// depend on its resolution only, so that tree names every block any file can hold.
    private static let generatorProbe = GeneratorNetwork(.probe(resolution: Architecture.maxResolution))
    private static let discriminatorProbe = DiscriminatorNetwork(.probe(resolution: Architecture.maxResolution))
    private static let conditionalEmbedding: String = {
        var conditional = Architecture.probe(resolution: 4)
        conditional.cDim = 1
        return GeneratorNetwork(conditional).mapping.embed!.weight.name
    }()

    static func observeGenerator(_ tensors: [TensorEntry]) throws -> Observation {
        let shapes = shapes(tensors)
        guard shapes[conditionalEmbedding] == nil else { throw InteropError("conditional generators (c_dim > 0) are not supported yet") }
        let blocks = generatorProbe.synthesis.blocks
        let top = try top(of: blocks.filter { shapes[$0.conv1.weight.name] != nil }.map(\.resolution), from: 4)
        var channels: [Int: Int] = [:]
        for block in blocks where block.resolution <= top {
            channels[block.resolution] = try requireShape(shapes, block.conv1.weight.name, rank: 4)[0]
        }
        let mapping = generatorProbe.mapping
        let layers = MappingNetwork.depth(at: mapping.path, in: Set(shapes.keys))
        guard layers > 0 else { throw InteropError("cannot derive the architecture: \(mapping.layers[0].weight.name) is missing") }
        let first = try requireShape(shapes, mapping.layers[0].weight.name, rank: 2)
        let style = try requireShape(shapes, blocks[0].conv1.affine.weight.name, rank: 2)
        let torgb = blocks.first { $0.resolution == top }!.torgb.weight.name
        return Observation(resolution: top, imgChannels: try requireShape(shapes, torgb, rank: 4)[0],
                           channels: channels, zDim: first[1], wDim: style[1], mappingLayers: layers)
    }

    static func observeDiscriminator(_ tensors: [TensorEntry]) throws -> Observation {
        let shapes = shapes(tensors)
        let epilogue = discriminatorProbe.epilogue
        let epilogueShape = try requireShape(shapes, epilogue.conv.weight.name, rank: 4)
        guard try requireShape(shapes, epilogue.out.weight.name, rank: 2)[0] == 1 else {
            throw InteropError("conditional discriminators (cmap_dim > 0) are not supported yet")
        }
        let blocks = discriminatorProbe.blocks.filter { shapes[$0.conv0.weight.name] != nil }
        let top = try top(of: blocks.map(\.resolution), from: 8)
        var channels: [Int: Int] = [4: epilogueShape[0]]
        for block in blocks { channels[block.resolution] = try requireShape(shapes, block.conv0.weight.name, rank: 4)[0] }
        let fromrgb = DiscriminatorNetwork(.probe(resolution: top)).blocks.first!.fromrgb!.weight.name
        return Observation(resolution: top, imgChannels: try requireShape(shapes, fromrgb, rank: 4)[1],
                           channels: channels, mbstdNumChannels: epilogueShape[1] - epilogueShape[0])
    }
}
