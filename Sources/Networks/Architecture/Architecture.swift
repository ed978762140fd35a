import Checkpoint
import Engine
import Foundation
import UntrustedInput

/// The architecture a checkpoint's networks were built with (NVIDIA StyleGAN2-ADA kwargs, flattened).
/// Stored as JSON in the checkpoint; keys are snake_case.
public struct Architecture: Codable, Equatable, Sendable {
    public var kind: String = Architecture.stylegan2Kind
    public var resolution: Int
    public var imgChannels: Int = 3
    public var zDim: Int
    public var wDim: Int
    public var cDim: Int = 0
    public var mappingLayers: Int
    public var mappingLRMultiplier: Double = 0.01
    public var wAvgBeta: Double = 0.995
    public var channelBase: Int
    public var channelMax: Int
    /// Informational: the reference ran the top blocks in fp16 on GPUs; toonkit computes in fp32.
    public var numFP16Res: Int = 4
    /// nil means no clamping.
    public var convClamp: Double? = 256
    public var synthesisArchitecture: String = "skip"
    public var discriminatorArchitecture: String = "resnet"
    /// nil means the whole batch is one group.
    public var mbstdGroupSize: Int? = 4
    public var mbstdNumChannels: Int = 1
    /// Discriminator conditioning (c_dim > 0): dimension of the projected label embedding.
    public var cmapDim: Int? = nil
    public var resampleFilter: [Double] = [1, 3, 3, 1]

    public init(resolution: Int, zDim: Int, wDim: Int, cDim: Int = 0, mappingLayers: Int,
                channelBase: Int, channelMax: Int, mbstdGroupSize: Int? = 4) {
        self.resolution = resolution
        self.zDim = zDim
        self.wDim = wDim
        self.cDim = cDim
        self.mappingLayers = mappingLayers
        self.channelBase = channelBase
        self.channelMax = channelMax
        self.mbstdGroupSize = mbstdGroupSize
    }

    enum CodingKeys: String, CodingKey {
        case kind, resolution
        case imgChannels = "img_channels", zDim = "z_dim", wDim = "w_dim", cDim = "c_dim"
        case mappingLayers = "mapping_layers", mappingLRMultiplier = "mapping_lr_multiplier"
        case wAvgBeta = "w_avg_beta", channelBase = "channel_base", channelMax = "channel_max"
        case numFP16Res = "num_fp16_res", convClamp = "conv_clamp"
        case synthesisArchitecture = "synthesis_architecture", discriminatorArchitecture = "discriminator_architecture"
        case mbstdGroupSize = "mbstd_group_size", mbstdNumChannels = "mbstd_num_channels"
        case cmapDim = "cmap_dim", resampleFilter = "resample_filter"
    }

    /// The resampling filter taps the forward pass implements (NVIDIA's default). The FIR paddings of the
    /// up- and down-sampling layers are those of a 4-tap filter, so an architecture declaring other taps is
    /// refused rather than computed with these.
    public static let implementedResampleFilter: [Double] = [1, 3, 3, 1]
    public static let implementedSynthesisArchitecture = "skip"
    public static let implementedDiscriminatorArchitecture = "resnet"
    /// The `kind` of a StyleGAN2 architecture document.
    public static let stylegan2Kind = "stylegan2"
    public static let maxResolution = 1 << 16
    public static let maxDimension = 1 << 20

    /// Why toonkit cannot build networks of this architecture, or nil. Every number that sizes a layout is bounded, so
    /// that an architecture read from a file (kwargs, metadata, a checkpoint) cannot make layout generation
    /// overflow or allocate without limit.
    public var plausibilityProblem: String? {
        guard kind == Self.stylegan2Kind else { return "kind '\(kind.escapedForDisplay)' is not '\(Self.stylegan2Kind)', the only architecture toonkit builds" }
        guard resolution >= 4, resolution <= Self.maxResolution, resolution & (resolution - 1) == 0 else {
            return "resolution \(resolution) is not a power of two between 4 and \(Self.maxResolution)"
        }
        let sizes = [("z_dim", zDim, 0), ("w_dim", wDim, 1), ("c_dim", cDim, 0), ("cmap_dim", cmapDim ?? 0, 0),
                     ("channel_base", channelBase, 1), ("channel_max", channelMax, 1),
                     ("img_channels", imgChannels, 1), ("mbstd_num_channels", mbstdNumChannels, 0)]
        for (name, value, minimum) in sizes where value < minimum || value > Self.maxDimension {
            return "\(name) \(value) is outside \(minimum)...\(Self.maxDimension)"
        }
        guard (0...MappingNetwork.maxLayers).contains(mappingLayers) else { return "\(mappingLayers) mapping layers is outside 0...\(MappingNetwork.maxLayers)" }
        guard synthesisArchitecture == Self.implementedSynthesisArchitecture else {
            return "synthesis_architecture '\(synthesisArchitecture.escapedForDisplay)' is not supported (only '\(Self.implementedSynthesisArchitecture)')"
        }
        guard discriminatorArchitecture == Self.implementedDiscriminatorArchitecture else {
            return "discriminator_architecture '\(discriminatorArchitecture.escapedForDisplay)' is not supported (only '\(Self.implementedDiscriminatorArchitecture)')"
        }
        guard resampleFilter == Self.implementedResampleFilter else {
            return "resample_filter \(resampleFilter) is not supported: toonkit's forward pass implements \(Self.implementedResampleFilter) only"
        }
        return nil
    }

    /// `plausibilityProblem` as an error.
    func checkBuildable() throws {
        if let problem = plausibilityProblem { throw NetworkError("architecture: \(problem)") }
    }

    /// The separable resampling filter of every up- and down-sampling layer, normalised to sum 1.
    var firFilter: FIRFilter { FIRFilter.normalizedSeparable(resampleFilter.map { Float($0) }) }

    /// One line naming the numbers that size the networks, for messages.
    public var summary: String {
        "resolution \(resolution), z/w \(zDim)/\(wDim), \(mappingLayers) mapping layers, channel_base \(channelBase), channel_max \(channelMax)"
    }

    /// Block resolutions 4, 8, …, resolution.
    public var blockResolutions: [Int] {
        var result: [Int] = []
        var r = 4
        while r <= resolution { result.append(r); r *= 2 }
        return result
    }

    /// Feature maps at a block resolution: min(channel_base / res, channel_max).
    public func channels(at res: Int) -> Int { min(channelBase / res, channelMax) }

    /// Number of w vectors the synthesis network consumes: 2 per block (conv0/conv1) except b4, plus the last ToRGB.
    public var numWs: Int { blockResolutions.count * 2 }
}

extension Architecture {
    /// The smallest architecture with blocks up to `resolution`: tensor names depend on nothing else, so
    /// its trees tell which names a network of that resolution holds (architecture inference, role guesses).
    public static func probe(resolution: Int) -> Architecture {
        Architecture(resolution: resolution, zDim: 1, wDim: 1, mappingLayers: 1, channelBase: resolution, channelMax: 1)
    }

    /// Decodes a checkpoint's `/architecture` document.
    public init(document: JSONValue) throws {
        do {
            self = try document.decode(as: Architecture.self)
        } catch {
            throw NetworkError("the architecture document does not decode as a StyleGAN2 architecture: \(JSONValue.shortReason(error))")
        }
    }

    /// The `/architecture` document of a checkpoint.
    public var document: JSONValue {
        // Encoding a struct of numbers and strings cannot fail.
        try! JSONValue(encoding: self)
    }
}
