import Foundation
import Checkpoint
import Networks

/// The `static_kwargs` of TF StyleGAN2(-ADA) networks ↔ `Architecture`, with legacy.py's names and defaults
/// (docs/foreign-formats.md §9). Like legacy.py, a kwarg it does not know is refused: it may change the network.
struct TensorFlowKwargs {
    let values: PickleDict
    let network: String

    static let generatorKeys: Set<String> = [
        "latent_size", "label_size", "dlatent_size", "resolution", "num_channels", "mapping_layers", "label_fmaps",
        "mapping_fmaps", "mapping_nonlinearity", "mapping_lrmul", "w_avg_beta", "fmap_base", "fmap_max", "num_fp16_res",
        "conv_clamp", "architecture", "resample_kernel", "use_noise", "nonlinearity",
        "truncation_psi", "truncation_cutoff", "style_mixing_prob", "structure",
    ]
    static let discriminatorKeys: Set<String> = [
        "label_size", "resolution", "num_channels", "architecture", "fmap_base", "fmap_max", "num_fp16_res", "conv_clamp",
        "mapping_layers", "mapping_fmaps", "mapping_lrmul", "nonlinearity", "resample_kernel", "freeze_layers",
        "mbstd_group_size", "mbstd_num_features", "structure",
    ]

    init(_ values: PickleDict, network: String, known: Set<String>) throws {
        self.values = values
        self.network = network
        for key in values.keys {
            guard let name = key.stringValue, known.contains(name) else {
                throw InteropError("\(network): unknown TensorFlow kwarg \(key.stringValue.map { "'\($0)'" } ?? key.typeName), which may change the network")
            }
        }
    }

    /// G's (or Gs's) kwargs → the architecture; D's add minibatch-std and the label mapping.
    func generatorArchitecture() throws -> Architecture {
        var arch = Architecture(resolution: try int("resolution", 1024), zDim: try int("latent_size", 512),
                                wDim: try int("dlatent_size", 512), cDim: try int("label_size", 0),
                                mappingLayers: try int("mapping_layers", 8), channelBase: try channelBase(),
                                channelMax: try int("fmap_max", 512))
        arch.imgChannels = try int("num_channels", 3)
        arch.mappingLRMultiplier = try double("mapping_lrmul") ?? 0.01
        // legacy.py: absent means 0.995, None means no tracking (β 1).
        arch.wAvgBeta = values["w_avg_beta"] == nil ? 0.995 : try double("w_avg_beta") ?? 1
        arch.numFP16Res = try int("num_fp16_res", 0)
        arch.convClamp = try double("conv_clamp")
        try require("architecture", is: .string(Architecture.implementedSynthesisArchitecture))
        try require("use_noise", is: .bool(true))
        try requireDefaultActivations(["nonlinearity", "mapping_nonlinearity"])
        try requireDefaultFilter()
        for key in ["label_fmaps", "mapping_fmaps"] where try double(key).map({ Int($0) != arch.wDim }) ?? false {
            throw InteropError("\(network): \(key) differs from dlatent_size \(arch.wDim), which toonkit's mapping network cannot express")
        }
        return arch
    }

    func applyDiscriminator(to arch: inout Architecture) throws {
        guard try channelBase() == arch.channelBase, try int("fmap_max", 512) == arch.channelMax,
              try int("resolution", 1024) == arch.resolution, try int("label_size", 0) == arch.cDim,
              try double("conv_clamp") == arch.convClamp, try int("num_channels", 3) == arch.imgChannels else {
            throw InteropError("D's kwargs (resolution, channels, labels or conv_clamp) differ from G's, which one toonkit architecture cannot express")
        }
        try require("architecture", is: .string(Architecture.implementedDiscriminatorArchitecture))
        try requireDefaultActivations(["nonlinearity"])
        try requireDefaultFilter()
        // TF's D defaulted to groups of 4 (legacy.py would assume the whole batch when the kwarg is absent).
        arch.mbstdGroupSize = values["mbstd_group_size"].map { $0.isNone ? nil : $0.intValue } ?? 4
        arch.mbstdNumChannels = try int("mbstd_num_features", 1)
        if arch.cDim > 0 {
            arch.cmapDim = ArchitectureInference.storedCmapDim(try int("mapping_fmaps", arch.channels(at: 4)), arch)
            guard try double("mapping_lrmul") ?? 0.1 == MappingNetwork.defaultLRMultiplier else {
                throw InteropError("D's label mapping uses mapping_lrmul \(try double("mapping_lrmul") ?? 0.1); toonkit's uses \(MappingNetwork.defaultLRMultiplier)")
            }
        }
    }

    /// TF's fmap_base is half NVIDIA's channel_base (TF halves the channels at each resolution from 2, not 1).
    private func channelBase() throws -> Int { try int("fmap_base", 16384) * 2 }

    private func int(_ key: String, _ fallback: Int) throws -> Int {
        guard let value = values[key], !value.isNone else { return fallback }
        guard let number = value.intValue ?? value.doubleValue.flatMap({ Int(exactly: $0) }), abs(number) <= Architecture.maxDimension * 4 else {
            throw InteropError("\(network): TensorFlow kwarg \(key) is not a plausible int")
        }
        return number
    }

    private func double(_ key: String) throws -> Double? {
        guard let value = values[key], !value.isNone else { return nil }
        guard let number = value.doubleValue, number.isFinite else { throw InteropError("\(network): TensorFlow kwarg \(key) is not a number") }
        return number
    }

    private func require(_ key: String, is expected: PickleValue) throws {
        guard let value = values[key], !value.isNone else { return }
        let matches: Bool
        switch (value, expected) {
        case (.string(let a), .string(let b)): matches = a == b
        case (.bool(let a), .bool(let b)): matches = a == b
        default: matches = false
        }
        guard matches else { throw InteropError("\(network): TensorFlow kwarg \(key) = \(value.stringValue ?? value.typeName) is not supported") }
    }

    private func requireDefaultActivations(_ keys: [String]) throws {
        for key in keys { try require(key, is: .string("lrelu")) }
    }

    private func requireDefaultFilter() throws {
        guard let kernel = values["resample_kernel"], !kernel.isNone else { return }
        guard kernel.sequence?.map(\.doubleValue) == Architecture.implementedResampleFilter.map({ $0 }) else {
            throw InteropError("\(network): resample_kernel other than \(Architecture.implementedResampleFilter) is not supported")
        }
    }
}

/// The `static_kwargs` an exported TF state carries: what legacy.py reads to rebuild the same networks.
struct TensorFlowStaticKwargs {
    enum Value { case int(Int), double(Double), string(String), none }
    let arch: Architecture

    init(_ arch: Architecture) { self.arch = arch }

    /// Keys both networks share; TF's fmap_base is half of channel_base.
    private func shared() throws -> [(String, Value)] {
        guard arch.channelBase % 2 == 0 else {
            throw InteropError("channel_base \(arch.channelBase) is odd: TF's fmap_base (channel_base / 2) cannot express it")
        }
        return [("resolution", .int(arch.resolution)), ("num_channels", .int(arch.imgChannels)), ("label_size", .int(arch.cDim)),
                ("fmap_base", .int(arch.channelBase / 2)), ("fmap_max", .int(arch.channelMax)),
                ("num_fp16_res", .int(arch.numFP16Res)), ("conv_clamp", arch.convClamp.map { .double($0) } ?? .none)]
    }

    func generator() throws -> [(String, Value)] {
        try shared() + [
            ("latent_size", .int(arch.zDim)), ("dlatent_size", .int(arch.wDim)), ("mapping_layers", .int(arch.mappingLayers)),
            ("mapping_lrmul", .double(arch.mappingLRMultiplier)), ("w_avg_beta", .double(arch.wAvgBeta)),
            ("architecture", .string(arch.synthesisArchitecture)),
        ]
    }

    /// `mappingLayers`: the depth of a conditional D's label mapping.
    func discriminator(mappingLayers: Int) throws -> [(String, Value)] {
        var kwargs = try shared() + [
            ("architecture", .string(arch.discriminatorArchitecture)),
            ("mbstd_group_size", arch.mbstdGroupSize.map { .int($0) } ?? .none), ("mbstd_num_features", .int(arch.mbstdNumChannels)),
        ]
        if arch.cDim > 0 {
            kwargs += [("mapping_layers", .int(mappingLayers)), ("mapping_fmaps", .int(arch.cmapDim ?? arch.channels(at: 4))),
                       ("mapping_lrmul", .double(MappingNetwork.defaultLRMultiplier))]
        }
        return kwargs
    }
}
