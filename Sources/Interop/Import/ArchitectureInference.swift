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
        /// Label dimension (0: unconditional); nil where the format cannot hold labels (rosinality).
        var cDim: Int? = nil
        /// Width of D's label mapping, the rows of `b4.out` (conditional discriminators only).
        var cmapDim: Int? = nil
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
        guard let generator else {
            if discriminator == nil { throw InteropError("no generator or discriminator tensors to derive an architecture from") }
            throw InteropError("the file holds a discriminator without its generator: z_dim, w_dim and the mapping depth cannot be derived from it; import a file that also holds the generator")
        }
        let merged = try discriminator.map { try merge(generator, $0) } ?? generator
        let (base, maximum) = try channelConfig(merged.channels)
        var arch = Architecture(resolution: merged.resolution, zDim: merged.zDim!, wDim: merged.wDim!, cDim: merged.cDim ?? 0,
                                mappingLayers: merged.mappingLayers!, channelBase: base, channelMax: maximum,
                                mbstdGroupSize: mbstdGroupSize)
        arch.imgChannels = merged.imgChannels
        arch.mbstdNumChannels = merged.mbstdNumChannels ?? 1
        arch.cmapDim = storedCmapDim(merged.cmapDim, arch)
        try arch.checkPlausible()
        var assumptions = ["num_fp16_res \(arch.numFP16Res) and conv_clamp \(arch.convClamp.map { "\($0)" } ?? "none") are not stored in the file; train.py defaults assumed"]
        if discriminator != nil {
            assumptions.append("minibatch-std group size is not stored in the file; \(mbstdGroupSize.map(String.init) ?? "whole batch") assumed")
        }
        if merged.cmapDim != nil {
            assumptions.append("the learning-rate multiplier of D's label mapping is not stored in the file; NVIDIA's default \(MappingNetwork.defaultLRMultiplier) assumed")
        }
        return (arch, assumptions)
    }

    /// The generator's facts with the discriminator's added; the two must agree on what they share.
    private static func merge(_ generator: Observation, _ discriminator: Observation) throws -> Observation {
        var merged = generator
        guard discriminator.resolution == merged.resolution, discriminator.imgChannels == merged.imgChannels else {
            throw InteropError("generator and discriminator disagree on resolution or image channels")
        }
        for (resolution, count) in discriminator.channels {
            if let known = merged.channels[resolution], known != count {
                throw InteropError("generator and discriminator disagree on the channels at resolution \(resolution) (\(known) vs \(count))")
            }
            merged.channels[resolution] = count
        }
        let (generatorLabels, discriminatorLabels) = (generator.cDim ?? 0, discriminator.cDim ?? 0)
        guard generatorLabels == discriminatorLabels else {
            throw InteropError("the generator takes \(generatorLabels) label dimensions (c_dim) and the discriminator \(discriminatorLabels): both networks must take the same labels")
        }
        merged.mbstdNumChannels = discriminator.mbstdNumChannels
        merged.cmapDim = discriminator.cmapDim
        return merged
    }

    /// cmap_dim as an architecture stores it: absent when it is the default, the channels at 4×4, so that
    /// a model imported with and without kwargs gets the same document.
    static func storedCmapDim(_ cmapDim: Int?, _ arch: Architecture) -> Int? {
        cmapDim == arch.channels(at: 4) ? nil : cmapDim
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
    /// The label embeddings' names, from the trees of a conditional architecture.
    private static let conditionalProbe: Architecture = {
        var conditional = Architecture.probe(resolution: 4)
        conditional.cDim = 1
        return conditional
    }()
    private static let generatorEmbedding = GeneratorNetwork(conditionalProbe).mapping.embed!.weight.name
    private static let discriminatorEmbedding = DiscriminatorNetwork(conditionalProbe).mapping!.embed!.weight.name

    /// The shape [embedding width, c_dim] of a label embedding, or nil when the network is unconditional.
    private static func labelEmbedding(_ shapes: [String: [Int]], _ name: String) throws -> [Int]? {
        shapes[name] == nil ? nil : try requireShape(shapes, name, rank: 2)
    }

    static func observeGenerator(_ tensors: [TensorEntry]) throws -> Observation {
        let shapes = shapes(tensors)
        let blocks = generatorProbe.synthesis.blocks
        let top = try top(of: blocks.filter { shapes[$0.conv1.weight.name] != nil }.map(\.resolution), from: 4)
        var channels: [Int: Int] = [:]
        for block in blocks where block.resolution <= top {
            channels[block.resolution] = try requireShape(shapes, block.conv1.weight.name, rank: 4)[0]
        }
        let mapping = generatorProbe.mapping
        let layers = MappingNetwork.depth(at: mapping.path, in: Set(shapes.keys))
        guard layers > 0 else { throw InteropError("cannot derive the architecture: \(mapping.layers[0].weight.name) is missing") }
        // fc0 takes z and the label embedding side by side.
        let first = try requireShape(shapes, mapping.layers[0].weight.name, rank: 2)
        let embedding = try labelEmbedding(shapes, generatorEmbedding)
        let style = try requireShape(shapes, blocks[0].conv1.affine.weight.name, rank: 2)
        let torgb = blocks.first { $0.resolution == top }!.torgb.weight.name
        return Observation(resolution: top, imgChannels: try requireShape(shapes, torgb, rank: 4)[0],
                           channels: channels, zDim: first[1] - (embedding?[0] ?? 0), wDim: style[1], mappingLayers: layers,
                           cDim: embedding?[1] ?? 0)
    }

    static func observeDiscriminator(_ tensors: [TensorEntry]) throws -> Observation {
        let shapes = shapes(tensors)
        let epilogue = discriminatorProbe.epilogue
        let epilogueShape = try requireShape(shapes, epilogue.conv.weight.name, rank: 4)
        // A conditional D's output layer has one row per label-mapping feature (cmap_dim), an unconditional one a single row.
        let outputs = try requireShape(shapes, epilogue.out.weight.name, rank: 2)[0]
        let embedding = try labelEmbedding(shapes, discriminatorEmbedding)
        guard embedding != nil || outputs == 1 else {
            throw InteropError("\(epilogue.out.weight.name) has \(outputs) rows, as only a conditional discriminator's has, but its label embedding \(discriminatorEmbedding) is missing")
        }
        let blocks = discriminatorProbe.blocks.filter { shapes[$0.conv0.weight.name] != nil }
        let top = try top(of: blocks.map(\.resolution), from: 8)
        var channels: [Int: Int] = [4: epilogueShape[0]]
        for block in blocks { channels[block.resolution] = try requireShape(shapes, block.conv0.weight.name, rank: 4)[0] }
        let fromrgb = DiscriminatorNetwork(.probe(resolution: top)).blocks.first!.fromrgb!.weight.name
        return Observation(resolution: top, imgChannels: try requireShape(shapes, fromrgb, rank: 4)[1],
                           channels: channels, mbstdNumChannels: epilogueShape[1] - epilogueShape[0],
                           cDim: embedding?[1] ?? 0, cmapDim: embedding == nil ? nil : outputs)
    }
}
