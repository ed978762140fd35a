import Foundation
import Checkpoint

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
        var arch = Architecture(resolution: merged.resolution, zDim: merged.zDim ?? 0, wDim: merged.wDim ?? 0,
                                mappingLayers: merged.mappingLayers ?? 0, channelBase: base, channelMax: maximum,
                                mbstdGroupSize: mbstdGroupSize)
        arch.imgChannels = merged.imgChannels
        arch.mbstdNumChannels = merged.mbstdNumChannels ?? 1
        try arch.checkPlausible()
        var assumptions = ["num_fp16_res \(arch.numFP16Res) and conv_clamp \(arch.convClamp.map { "\($0)" } ?? "none") are not stored in the file; train.py defaults assumed"]
        if discriminator != nil {
            assumptions.append("minibatch-std group size is not stored in the file; \(mbstdGroupSize.map(String.init) ?? "whole batch") assumed")
        }
        if generator == nil { assumptions.append("no generator: z_dim, w_dim and mapping layers are unknown (recorded as 0)") }
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

    /// Block resolutions named `<prefix><res>.`; they must be 4, 8, …, R.
    private static func resolution(_ names: Dictionary<String, [Int]>.Keys, prefix: String) throws -> Int {
        let found = Set(names.compactMap { name -> Int? in
            guard name.hasPrefix(prefix) else { return nil }
            return Int(name.dropFirst(prefix.count).prefix { $0 != "." })
        })
        guard let top = found.max(), top >= 4, top <= Architecture.maxResolution, top & (top - 1) == 0,
              found == Set((2...top.trailingZeroBitCount).map { 1 << $0 }) else {
            throw InteropError("block resolutions \(found.sorted()) are not 4, 8, …, a power of two")
        }
        return top
    }

    static func observeGenerator(_ tensors: [TensorEntry]) throws -> Observation {
        let shapes = shapes(tensors)
        guard shapes["mapping.embed.weight"] == nil else { throw InteropError("conditional generators (c_dim > 0) are not supported yet") }
        let top = try resolution(shapes.keys, prefix: "synthesis.b")
        var channels: [Int: Int] = [:]
        var resolution = 4
        while resolution <= top {
            channels[resolution] = try requireShape(shapes, "synthesis.b\(resolution).conv1.weight", rank: 4)[0]
            resolution *= 2
        }
        var layers = 0
        while shapes["mapping.fc\(layers).weight"] != nil { layers += 1 }
        guard layers > 0 else { throw InteropError("cannot derive the architecture: mapping.fc0.weight is missing") }
        let first = try requireShape(shapes, "mapping.fc0.weight", rank: 2)
        let style = try requireShape(shapes, "synthesis.b4.conv1.affine.weight", rank: 2)
        return Observation(resolution: top, imgChannels: try requireShape(shapes, "synthesis.b\(top).torgb.weight", rank: 4)[0],
                           channels: channels, zDim: first[1], wDim: style[1], mappingLayers: layers)
    }

    static func observeDiscriminator(_ tensors: [TensorEntry]) throws -> Observation {
        let shapes = shapes(tensors)
        let top = try resolution(shapes.keys, prefix: "b")
        let epilogue = try requireShape(shapes, "b4.conv.weight", rank: 4)
        guard try requireShape(shapes, "b4.out.weight", rank: 2)[0] == 1 else {
            throw InteropError("conditional discriminators (cmap_dim > 0) are not supported yet")
        }
        var channels: [Int: Int] = [4: epilogue[0]]
        var resolution = 8
        while resolution <= top {
            channels[resolution] = try requireShape(shapes, "b\(resolution).conv0.weight", rank: 4)[0]
            resolution *= 2
        }
        return Observation(resolution: top, imgChannels: try requireShape(shapes, "b\(top).fromrgb.weight", rank: 4)[1],
                           channels: channels, mbstdNumChannels: epilogue[1] - epilogue[0])
    }
}
