import Checkpoint
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a tensor sits in NVIDIA's StyleGAN2-ADA networks, read from its state_dict name. This is the one
/// place names are interpreted: swap, blend, sweep, the dry-run plan and freeze all select through it.
public enum TensorLocation: Equatable, Sendable {
    /// `synthesis.b{resolution}.{layer}.…` of a generator (`layer` is `const`, `conv0`, `conv1`, `torgb`, `resample_filter`).
    case synthesisBlock(resolution: Int, layer: String)
    /// `b{resolution}.{layer}.…` of a discriminator (`fromrgb`, `conv0`, `conv1`, `skip`; b4 has `conv`, `fc`, `out`).
    case discriminatorBlock(resolution: Int, layer: String)
    /// `mapping.…`, including the running average `mapping.w_avg`.
    case mapping
    case other

    public init(name: String) {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if parts.first == "mapping" {
            self = .mapping
        } else if parts.count >= 3, parts[0] == "synthesis", let resolution = TensorLocation.blockResolution(parts[1]) {
            self = .synthesisBlock(resolution: resolution, layer: parts[2])
        } else if parts.count >= 2, let resolution = TensorLocation.blockResolution(parts[0]) {
            self = .discriminatorBlock(resolution: resolution, layer: parts[1])
        } else {
            self = .other
        }
    }

    /// `b64` → 64; anything else → nil.
    static func blockResolution(_ component: String) -> Int? {
        guard component.hasPrefix("b"), let value = Int(component.dropFirst()), value >= 4, value & (value - 1) == 0 else { return nil }
        return value
    }

    /// The block resolution for synthesis and discriminator blocks.
    public var resolution: Int? {
        switch self {
        case .synthesisBlock(let resolution, _), .discriminatorBlock(let resolution, _): return resolution
        case .mapping, .other: return nil
        }
    }
}

/// What a network is, judged by its tensors rather than its name (so `G`, `G_ema` or any other name works).
public enum NetworkRole: Equatable, Sendable {
    case generator, discriminator, other

    public init(tensorNames: [String]) {
        if tensorNames.contains(where: { $0.hasPrefix("synthesis.") }) {
            self = .generator
        } else if tensorNames.contains("b4.out.weight") {
            self = .discriminator
        } else {
            self = .other
        }
    }

    public static func of(_ reader: CheckpointReader, network: String) throws -> NetworkRole {
        NetworkRole(tensorNames: try reader.tensorNames(network: network))
    }
}

/// Which tensors of one network `freeze` marks. Only parameters are ever selected: buffers are not trained.
public enum TensorSelection: Equatable, Sendable {
    /// The first N discriminator layers counted from the image input, in `--freezed` order (see `discriminatorLayers`).
    case layers(Int)
    /// Whole blocks by resolution: `b{R}.…` of a discriminator, `synthesis.b{R}.…` of a generator.
    case blocks([Int])
    /// Each pattern is a glob (when it contains `*`, `?` or `[`) over the whole name, otherwise a substring.
    case names([String])

    /// The selected tensor names, in stored order; throws when the selection cannot apply or matches nothing.
    public func select(from infos: [TensorInfo], network: String) throws -> [String] {
        let parameters = infos.filter { $0.kind == .parameter }
        switch self {
        case .layers(let count):
            let order = TensorSelection.discriminatorLayers(parameters.map(\.name))
            guard !order.isEmpty else {
                throw SurgeryError.invalidParameter("--layers counts discriminator layers, but network \(network) has no b{R}.fromrgb/conv0/conv1/skip layers; use --blocks or --names")
            }
            guard count >= 0, count <= order.count else {
                throw SurgeryError.invalidParameter("--layers \(count): network \(network) has \(order.count) freezable layers (0…\(order.count))")
            }
            let chosen = Set(order.prefix(count).map { "b\($0.resolution).\($0.layer)" })
            return parameters.map(\.name).filter { name in
                guard case .discriminatorBlock(let resolution, let layer) = TensorLocation(name: name) else { return false }
                return chosen.contains("b\(resolution).\(layer)")
            }
        case .blocks(let resolutions):
            let wanted = Set(resolutions)
            let present = Set(parameters.compactMap { TensorLocation(name: $0.name).resolution })
            let missing = wanted.subtracting(present).sorted()
            guard missing.isEmpty else {
                throw SurgeryError.invalidParameter("--blocks: network \(network) has no block at \(missing.map(String.init).joined(separator: ", ")) (it has \(present.sorted().map(String.init).joined(separator: ", ")))")
            }
            return parameters.map(\.name).filter { TensorLocation(name: $0).resolution.map(wanted.contains) ?? false }
        case .names(let patterns):
            for pattern in patterns where !parameters.contains(where: { TensorSelection.matches($0.name, pattern) }) {
                throw SurgeryError.invalidParameter("--names '\(pattern)' matches no parameter of network \(network)")
            }
            return parameters.map(\.name).filter { name in patterns.contains { TensorSelection.matches(name, $0) } }
        }
    }

    /// Glob when the pattern has a glob character, else substring (mergekit's filters are substrings).
    public static func matches(_ name: String, _ pattern: String) -> Bool {
        if pattern.contains(where: { "*?[".contains($0) }) { return fnmatch(pattern, name, 0) == 0 }
        return name.contains(pattern)
    }

    /// Order of `--freezed` in stylegan2-ada-pytorch: blocks from the highest resolution down, within a block
    /// fromrgb, conv0, conv1, skip; the b4 epilogue (conv, fc, out) and the label mapping are never counted.
    public static func discriminatorLayers(_ names: [String]) -> [(resolution: Int, layer: String)] {
        let rank = ["fromrgb": 0, "conv0": 1, "conv1": 2, "skip": 3]
        var layers: [(resolution: Int, layer: String)] = []
        for name in names {
            guard case .discriminatorBlock(let resolution, let layer) = TensorLocation(name: name), resolution > 4, rank[layer] != nil,
                  !layers.contains(where: { $0.resolution == resolution && $0.layer == layer }) else { continue }
            layers.append((resolution, layer))
        }
        return layers.sorted { ($0.resolution, -rank[$0.layer]!) > ($1.resolution, -rank[$1.layer]!) }
    }
}
