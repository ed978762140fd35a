import Foundation

/// One tensor a network expects: NVIDIA state_dict name, shape and kind.
public struct TensorSpec: Equatable, Sendable {
    public let name: String
    public let shape: [Int]
    public let kind: TensorKind
}

/// The tensors of NVIDIA's Generator ('skip') and Discriminator ('resnet') for an architecture, in
/// state_dict order (docs/checkpoint-format.md §4, docs/network-maths.md §5): the naming schema every checkpoint follows.
/// Importers check what they read against it, networks validate their parameters with it, and new
/// networks are initialised from it.
public enum NetworkLayout {
    public static func generator(_ a: Architecture) -> [TensorSpec] {
        var specs: [TensorSpec] = []
        func add(_ name: String, _ shape: [Int], _ kind: TensorKind = .parameter) { specs.append(TensorSpec(name: name, shape: shape, kind: kind)) }
        func synthesisLayer(_ prefix: String, _ cin: Int, _ cout: Int, _ res: Int) {
            add("\(prefix).weight", [cout, cin, 3, 3])
            add("\(prefix).noise_strength", [])
            add("\(prefix).bias", [cout])
            add("\(prefix).resample_filter", [4, 4], .buffer)
            add("\(prefix).noise_const", [res, res], .buffer)
            add("\(prefix).affine.weight", [cin, a.wDim])
            add("\(prefix).affine.bias", [cin])
        }
        for res in a.blockResolutions {
            let c = a.channels(at: res)
            let b = "synthesis.b\(res)"
            if res == 4 { add("\(b).const", [c, 4, 4]) }
            add("\(b).resample_filter", [4, 4], .buffer)
            if res > 4 { synthesisLayer("\(b).conv0", a.channels(at: res / 2), c, res) }
            synthesisLayer("\(b).conv1", c, c, res)
            add("\(b).torgb.weight", [a.imgChannels, c, 1, 1])
            add("\(b).torgb.bias", [a.imgChannels])
            add("\(b).torgb.affine.weight", [c, a.wDim])
            add("\(b).torgb.affine.bias", [c])
        }
        specs += mapping(prefix: "mapping", zDim: a.zDim, cDim: a.cDim, wDim: a.wDim, layers: a.mappingLayers, withAverage: true)
        return specs
    }

    /// MappingNetwork tensors; also the discriminator's label mapping (z_dim 0, no w_avg).
    static func mapping(prefix: String, zDim: Int, cDim: Int, wDim: Int, layers: Int, withAverage: Bool) -> [TensorSpec] {
        var specs: [TensorSpec] = []
        if withAverage { specs.append(TensorSpec(name: "\(prefix).w_avg", shape: [wDim], kind: .buffer)) }
        let embedFeatures = cDim > 0 ? wDim : 0
        if cDim > 0 {
            specs.append(TensorSpec(name: "\(prefix).embed.weight", shape: [embedFeatures, cDim], kind: .parameter))
            specs.append(TensorSpec(name: "\(prefix).embed.bias", shape: [embedFeatures], kind: .parameter))
        }
        var features = zDim + embedFeatures
        for i in 0..<layers {
            specs.append(TensorSpec(name: "\(prefix).fc\(i).weight", shape: [wDim, features], kind: .parameter))
            specs.append(TensorSpec(name: "\(prefix).fc\(i).bias", shape: [wDim], kind: .parameter))
            features = wDim
        }
        return specs
    }

    public static func discriminator(_ a: Architecture, mappingLayers: Int = 8) -> [TensorSpec] {
        var specs: [TensorSpec] = []
        func add(_ name: String, _ shape: [Int], _ kind: TensorKind = .parameter) { specs.append(TensorSpec(name: name, shape: shape, kind: kind)) }
        for res in a.blockResolutions.reversed() where res > 4 {
            let c = a.channels(at: res), next = a.channels(at: res / 2)
            let b = "b\(res)"
            add("\(b).resample_filter", [4, 4], .buffer)
            if res == a.resolution {
                add("\(b).fromrgb.weight", [c, a.imgChannels, 1, 1])
                add("\(b).fromrgb.bias", [c])
                add("\(b).fromrgb.resample_filter", [4, 4], .buffer)
            }
            add("\(b).conv0.weight", [c, c, 3, 3]); add("\(b).conv0.bias", [c]); add("\(b).conv0.resample_filter", [4, 4], .buffer)
            add("\(b).conv1.weight", [next, c, 3, 3]); add("\(b).conv1.bias", [next]); add("\(b).conv1.resample_filter", [4, 4], .buffer)
            add("\(b).skip.weight", [next, c, 1, 1]); add("\(b).skip.resample_filter", [4, 4], .buffer)
        }
        let c4 = a.channels(at: 4)
        let cmap = a.cDim > 0 ? (a.cmapDim ?? c4) : 0
        if a.cDim > 0 {
            specs += mapping(prefix: "mapping", zDim: 0, cDim: a.cDim, wDim: cmap, layers: mappingLayers, withAverage: false)
        }
        add("b4.conv.weight", [c4, c4 + a.mbstdNumChannels, 3, 3]); add("b4.conv.bias", [c4]); add("b4.conv.resample_filter", [4, 4], .buffer)
        add("b4.fc.weight", [c4, c4 * 16]); add("b4.fc.bias", [c4])
        add("b4.out.weight", [max(cmap, 1), c4]); add("b4.out.bias", [max(cmap, 1)])
        return specs
    }

    /// The layout a network named `G`, `G_ema` or `D` must have.
    public static func expected(network: String, _ a: Architecture) -> [TensorSpec] {
        network == "D" ? discriminator(a) : generator(a)
    }

    /// `outer(taps, taps) / sum(taps)²` of `Architecture.implementedResampleFilter`, the value of every NVIDIA
    /// `resample_filter` buffer.
    public static func standardResampleFilter() -> TensorData {
        let taps = Architecture.implementedResampleFilter.map { Float($0) }
        let total = taps.reduce(0, +)
        let values = taps.flatMap { row in taps.map { row * $0 / (total * total) } }
        return try! TensorData(float32: values, shape: [4, 4])
    }
}

extension NetworkLayout {
    /// The discriminator's freezable layers in FreezeD order (docs/training-loop.md §8): block by block from the
    /// input (highest resolution) side; within a block fromrgb (top block only), conv0, conv1, skip. Each
    /// entry is the layer's prefix (e.g. `b256.conv0`) and its learnable tensors. The epilogue b4 and the
    /// label mapping are never frozen, so they are not listed. `--freezed N` freezes the first N entries.
    public static func discriminatorFreezeOrder(_ a: Architecture) -> [(layer: String, tensors: [String])] {
        var layers: [(String, [String])] = []
        for res in a.blockResolutions.reversed() where res > 4 {
            if res == a.resolution { layers.append(("b\(res).fromrgb", ["b\(res).fromrgb.weight", "b\(res).fromrgb.bias"])) }
            layers.append(("b\(res).conv0", ["b\(res).conv0.weight", "b\(res).conv0.bias"]))
            layers.append(("b\(res).conv1", ["b\(res).conv1.weight", "b\(res).conv1.bias"]))
            layers.append(("b\(res).skip", ["b\(res).skip.weight"]))
        }
        return layers
    }
}

extension NetworkLayout {
    /// The depth of D's label-mapping network. Format v1's architecture document does not record it, so it
    /// is the number of consecutive `mapping.fc{i}.weight` tensors the discriminator holds.
    public static func discriminatorMappingLayers(in names: Set<String>) -> Int {
        var layers = 0
        while names.contains("mapping.fc\(layers).weight") { layers += 1 }
        return layers
    }

    /// The networks whose tensors the architecture determines; others may be stored but are not computed with.
    public static let laidOutNetworks: Set<String> = ["G", "G_ema", "D"]

    /// The layout of a network named `G`, `G_ema` or `D` holding tensors with these names.
    public static func expected(network: String, _ a: Architecture, names: Set<String>) -> [TensorSpec] {
        network == "D" ? discriminator(a, mappingLayers: discriminatorMappingLayers(in: names)) : generator(a)
    }

    /// Every way the tensors (name, shape, kind, in stored order) contradict the layout of `a`: a missing,
    /// extra, duplicated or misshapen tensor, or a parameter stored as a buffer. Empty when they agree.
    public static func contradictions(network: String, _ tensors: [(name: String, shape: [Int], kind: TensorKind)],
                                      against a: Architecture) -> [String] {
        let names = Set(tensors.map(\.name))
        var problems: [String] = names.count == tensors.count ? [] : ["network \(network) has duplicate tensor names"]
        let stored = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let expected = expected(network: network, a, names: names)
        for want in expected {
            guard let have = stored[want.name] else {
                problems.append("network \(network) lacks \(want.name) \(want.shape), which the architecture requires (\(a.summary))")
                continue
            }
            if have.shape != want.shape {
                problems.append("network \(network): \(want.name) has shape \(have.shape) but the architecture (\(a.summary)) implies \(want.shape)")
            } else if have.kind != want.kind {
                problems.append("network \(network): \(want.name) is stored as a \(have.kind.rawValue), expected a \(want.kind.rawValue)")
            }
        }
        let expectedNames = Set(expected.map(\.name))
        for extra in tensors where !expectedNames.contains(extra.name) {
            problems.append("network \(network) has an unexpected tensor \(extra.name) \(extra.shape) for the architecture (\(a.summary))")
        }
        return problems
    }
}
