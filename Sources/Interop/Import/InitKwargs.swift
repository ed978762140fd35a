import Foundation
import Checkpoint
import Networks

/// Reads the constructor kwargs NVIDIA's persistence decorator stores with every network
/// (`Generator(**G_kwargs)`, `Discriminator(**D_kwargs)`), applying the defaults of
/// `training/networks.py` for whatever is absent.
enum InitKwargs {
    /// Positional parameter names, for kwargs stored as `_init_args`.
    static let generatorParameters = ["z_dim", "c_dim", "w_dim", "img_resolution", "img_channels",
                                      "mapping_kwargs", "synthesis_kwargs"]
    static let discriminatorParameters = ["c_dim", "img_resolution", "img_channels", "architecture", "channel_base",
                                          "channel_max", "num_fp16_res", "conv_clamp", "cmap_dim", "block_kwargs",
                                          "mapping_kwargs", "epilogue_kwargs"]

    static func generatorArchitecture(_ kwargs: PickleDict) throws -> Architecture {
        let mapping = try nested(kwargs, "mapping_kwargs")
        let synthesis = try nested(kwargs, "synthesis_kwargs")
        let architecture = try string(synthesis, "architecture", default: Architecture.implementedSynthesisArchitecture)
        guard architecture == Architecture.implementedSynthesisArchitecture else {
            throw InteropError("generator architecture '\(architecture)' is not supported (only '\(Architecture.implementedSynthesisArchitecture)')")
        }
        guard try bool(synthesis, "use_noise", default: true) else { throw InteropError("generators without noise inputs are not supported") }
        var arch = Architecture(resolution: try int(kwargs, "img_resolution"), zDim: try int(kwargs, "z_dim"),
                                wDim: try int(kwargs, "w_dim"), cDim: try int(kwargs, "c_dim", default: 0),
                                mappingLayers: try int(mapping, "num_layers", default: 8),
                                channelBase: try int(synthesis, "channel_base", default: 32768),
                                channelMax: try int(synthesis, "channel_max", default: 512))
        try checkMappingFields(mapping, network: "G", allowed: generatorMappingFields, width: arch.wDim,
                               layers: arch.mappingLayers, conditional: arch.cDim > 0)
        arch.imgChannels = try int(kwargs, "img_channels", default: 3)
        arch.mappingLRMultiplier = try double(mapping, "lr_multiplier", default: 0.01)
        arch.wAvgBeta = try double(mapping, "w_avg_beta", default: 0.995)
        arch.numFP16Res = try int(synthesis, "num_fp16_res", default: 0)
        arch.convClamp = try optionalDouble(synthesis, "conv_clamp")
        if let filter = synthesis["resample_filter"], let taps = filter.sequence {
            arch.resampleFilter = try taps.map { try number($0, "resample_filter") }
        }
        try arch.checkPlausible()
        return arch
    }

    /// Adds what only D's kwargs say (minibatch-std, cmap_dim) and checks what G and D share (channel config,
    /// c_dim). Returns the depth of the label mapping the kwargs declare (nil for unconditional models): the
    /// layout takes that depth from the stored names, so the caller checks the two agree.
    static func applyDiscriminator(_ kwargs: PickleDict, to arch: inout Architecture) throws -> Int? {
        let architecture = try string(kwargs, "architecture", default: Architecture.implementedDiscriminatorArchitecture)
        guard architecture == Architecture.implementedDiscriminatorArchitecture else {
            throw InteropError("discriminator architecture '\(architecture)' is not supported (only '\(Architecture.implementedDiscriminatorArchitecture)')")
        }
        let base = try int(kwargs, "channel_base", default: 32768)
        let maximum = try int(kwargs, "channel_max", default: 512)
        guard base == arch.channelBase, maximum == arch.channelMax else {
            throw InteropError("G (channel_base \(arch.channelBase), channel_max \(arch.channelMax)) and D (\(base), \(maximum)) use different channel configs, which a toonkit architecture cannot express")
        }
        let labelMappingDepth = try applyLabelMapping(kwargs, to: &arch)
        let epilogue = try nested(kwargs, "epilogue_kwargs")
        if let size = epilogue["mbstd_group_size"] {
            arch.mbstdGroupSize = size.isNone ? nil : try int(epilogue, "mbstd_group_size")
        } else {
            arch.mbstdGroupSize = 4
        }
        arch.mbstdNumChannels = try int(epilogue, "mbstd_num_channels", default: 1)
        // One architecture document describes both networks, so what D's kwargs say must agree with G's.
        let clamp = try optionalDouble(kwargs, "conv_clamp")
        guard clamp == arch.convClamp else {
            throw InteropError("D's conv_clamp (\(clamp.map { "\($0)" } ?? "none")) differs from G's (\(arch.convClamp.map { "\($0)" } ?? "none")), which a toonkit architecture cannot express")
        }
        let block = try nested(kwargs, "block_kwargs")
        if let filter = block["resample_filter"], let taps = filter.sequence {
            let values = try taps.map { try number($0, "block_kwargs.resample_filter") }
            guard values == arch.resampleFilter else {
                throw InteropError("D's block_kwargs.resample_filter \(values) differs from G's \(arch.resampleFilter), which a toonkit architecture cannot express")
            }
        }
        try arch.checkPlausible()
        return labelMappingDepth
    }

    /// D's label mapping: `c_dim` (which must be G's), `cmap_dim` (None: the channels at 4×4, stored as absent)
    /// and `mapping_kwargs`. NVIDIA builds no label mapping for c_dim 0 and then ignores the other two.
    private static func applyLabelMapping(_ kwargs: PickleDict, to arch: inout Architecture) throws -> Int? {
        let cDim = try int(kwargs, "c_dim", default: 0)
        guard cDim == arch.cDim else {
            throw InteropError("G's c_dim (\(arch.cDim)) and D's (\(cDim)) differ: both networks must take the same labels")
        }
        guard cDim > 0 else { return nil }
        arch.cmapDim = ArchitectureInference.storedCmapDim(try optionalInt(kwargs, "cmap_dim"), arch)
        let mapping = try nested(kwargs, "mapping_kwargs")
        let layers = try int(mapping, "num_layers", default: DiscriminatorNetwork.defaultMappingLayers)
        // The layers' learning-rate multiplier scales their weights in the forward pass; toonkit's label mapping
        // has NVIDIA's default. The embedding has none, so a mapping without layers computes the same with any.
        let multiplier = try double(mapping, "lr_multiplier", default: MappingNetwork.defaultLRMultiplier)
        guard layers == 0 || multiplier == MappingNetwork.defaultLRMultiplier else {
            throw InteropError("D's mapping_kwargs.lr_multiplier is \(multiplier), but toonkit's label mapping implements \(MappingNetwork.defaultLRMultiplier) only")
        }
        try checkMappingFields(mapping, network: "D", allowed: discriminatorMappingFields,
                               width: arch.cmapDim ?? arch.channels(at: 4), layers: layers, conditional: true)
        return layers
    }

    /// The fields of NVIDIA's MappingNetwork each network's `mapping_kwargs` can hold (D passes `w_avg_beta`
    /// itself, so its kwargs cannot).
    static let generatorMappingFields = ["num_layers", "embed_features", "layer_features", "activation", "lr_multiplier", "w_avg_beta"]
    static let discriminatorMappingFields = ["num_layers", "embed_features", "layer_features", "activation", "lr_multiplier"]

    /// Refuses, by name, a `mapping_kwargs` field toonkit's mapping network would silently compute differently:
    /// an unknown field, an activation other than lrelu, or an embedding or hidden width other than the output
    /// width `width` (each checked only where NVIDIA uses it: the embedding when conditional, hidden widths
    /// with two or more layers, the activation with one or more).
    private static func checkMappingFields(_ mapping: PickleDict, network: String, allowed: [String], width: Int,
                                           layers: Int, conditional: Bool) throws {
        for key in mapping.items.map(\.key) where !allowed.contains(key.stringValue ?? "") {
            throw InteropError("\(network)'s mapping_kwargs hold \(key.stringValue.map { "'\($0)'" } ?? "a \(key.typeName) key"), which toonkit's mapping network does not implement")
        }
        let activation = try string(mapping, "activation", default: "lrelu")
        guard layers == 0 || activation == "lrelu" else {
            throw InteropError("\(network)'s mapping_kwargs.activation '\(activation)' is not supported (only 'lrelu')")
        }
        for (field, used) in [("embed_features", conditional), ("layer_features", layers > 1)] where used {
            guard let features = try optionalInt(mapping, field), features != width else { continue }
            throw InteropError("\(network)'s mapping_kwargs.\(field) is \(features), but toonkit's mapping network uses its output width \(width)")
        }
    }

    // MARK: typed access

    private static func nested(_ kwargs: PickleDict, _ key: String) throws -> PickleDict {
        guard let value = kwargs[key], !value.isNone else { return PickleDict(flavor: .plain) }
        guard let dict = value.dictValue else { throw InteropError("init kwarg \(key) is a \(value.typeName), not a dict") }
        return dict
    }

    private static func int(_ kwargs: PickleDict, _ key: String, default fallback: Int? = nil) throws -> Int {
        guard let value = kwargs[key] else {
            guard let fallback else { throw InteropError("init kwargs lack \(key)") }
            return fallback
        }
        guard let number = value.intValue ?? value.doubleValue.flatMap({ Int(exactly: $0) }) else {
            throw InteropError("init kwarg \(key) is a \(value.typeName), not an int")
        }
        return number
    }

    private static func optionalInt(_ kwargs: PickleDict, _ key: String) throws -> Int? {
        guard let value = kwargs[key], !value.isNone else { return nil }
        return try int(kwargs, key)
    }

    private static func number(_ value: PickleValue, _ key: String) throws -> Double {
        guard let number = value.doubleValue else { throw InteropError("init kwarg \(key) is a \(value.typeName), not a number") }
        return number
    }

    private static func double(_ kwargs: PickleDict, _ key: String, default fallback: Double) throws -> Double {
        try kwargs[key].map { try number($0, key) } ?? fallback
    }

    private static func optionalDouble(_ kwargs: PickleDict, _ key: String) throws -> Double? {
        guard let value = kwargs[key], !value.isNone else { return nil }
        return try number(value, key)
    }

    private static func string(_ kwargs: PickleDict, _ key: String, default fallback: String) throws -> String {
        guard let value = kwargs[key] else { return fallback }
        guard let text = value.stringValue else { throw InteropError("init kwarg \(key) is a \(value.typeName), not a string") }
        return text
    }

    private static func bool(_ kwargs: PickleDict, _ key: String, default fallback: Bool) throws -> Bool {
        guard let value = kwargs[key] else { return fallback }
        guard case .bool(let flag) = value else { throw InteropError("init kwarg \(key) is a \(value.typeName), not a bool") }
        return flag
    }
}
