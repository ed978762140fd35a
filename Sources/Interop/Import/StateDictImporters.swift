import Foundation
import Checkpoint
import Networks

/// rosinality stylegan2-pytorch checkpoints: `{g_ema, latent_avg}` from export_weights.py /
/// convert_weight.py, or training checkpoints `{g, d, g_ema, g_optim, d_optim, args, ada_aug_p}`
/// (optimizers are ignored).
enum RosinalityImporter {
    static let networkKeys = [("g", "G"), ("d", "D"), ("g_ema", "G_ema")]

    static func looksLikeRosinality(_ root: PickleValue) -> Bool {
        guard let top = root.dictValue else { return false }
        return networkKeys.contains { top[$0.0] != nil }
    }

    static func read(_ root: PickleValue) throws -> ImportedContent {
        guard let top = root.dictValue, looksLikeRosinality(root) else {
            throw InteropError("not a rosinality checkpoint (no g_ema, g or d state dict)")
        }
        var foreign: [String: [String: TensorData]] = [:]
        for (key, network) in networkKeys {
            guard let value = top[key], !value.isNone else { continue }
            foreign[network] = try StateDictReader.tensors(value, label: key)
        }
        let generator = foreign["G_ema"] ?? foreign["G"]
        var content: ImportedContent
        // toonkit's own exports carry the whole architecture; other files' is derived from the shapes.
        let key = StateDictImporter.architectureMetadataKey
        if let stored = try StateDictImporter.storedArchitecture(top[key], in: "the entry \(key)") {
            content = ImportedContent(networks: [], architecture: stored, notes: [])
        } else {
            let (arch, assumptions) = try ArchitectureInference.infer(
                generator: try generator.map { try RosinalityLayout.observeGenerator($0.mapValues(\.shape)) },
                discriminator: try foreign["D"].map { try RosinalityLayout.observeDiscriminator($0.mapValues(\.shape)) },
                mbstdGroupSize: 4)
            content = ImportedContent(networks: [], architecture: arch, notes: assumptions.filter { !$0.hasPrefix("minibatch") })
            if foreign["D"] != nil { content.notes.append("minibatch-std group size 4 (fixed in rosinality's discriminator)") }
        }
        let arch = content.architecture

        var supplied: [String: TensorData] = [:]
        if let latent = top["latent_avg"], !latent.isNone {
            guard let tensor = latent.tensorValue else { throw InteropError("latent_avg is a \(latent.typeName), not a tensor") }
            supplied[NetworkLayout.averageWName] = try tensor.materialize()
        } else if generator != nil {
            supplied[NetworkLayout.averageWName] = try TensorData(float32: [Float](repeating: 0, count: arch.wDim), shape: [arch.wDim])
            content.notes.append("the file has no latent_avg: \(NetworkLayout.averageWName) set to zeros, so truncation will not work until it is recomputed")
        }
        for (key, network) in networkKeys {
            guard let tensors = foreign[network] else { continue }
            content.networks.append(ImportedNetwork(name: network, tensors: try TensorRenaming.toNvidia(
                tensors, network: network, arch: arch, pairs: RosinalityLayout.pairs(network: network, arch),
                supplied: supplied, label: key)))
        }
        if let probability = top["ada_aug_p"]?.doubleValue { content.augmentP = probability }
        if let args = top["args"], !args.isNone { content.metadata["rosinality_args"] = try args.json() }
        return content
    }
}

/// NVIDIA-named state dicts, from `torch.save` or safetensors. A flat dict is one network (G_ema
/// when it holds a generator, D for a discriminator); a dict of `G`/`D`/`G_ema` state dicts, or
/// flat names prefixed `G_ema.` etc., hold several.
enum StateDictImporter {
    static let architectureMetadataKey = "toonkit.architecture"

    static func read(torchRoot root: PickleValue) throws -> ImportedContent {
        guard let top = root.dictValue else { throw InteropError("a state dict file holds a dict, this one a \(root.typeName)") }
        // toonkit's own exports of several networks carry the architecture as one JSON string beside them.
        let networks = top.items.filter { $0.key.stringValue != architectureMetadataKey }
        let isGrouped = !networks.isEmpty && networks.allSatisfy {
            ImportedModel.networkOrder.contains($0.key.stringValue ?? "") && $0.value.dictValue != nil
        }
        guard isGrouped else {
            return try content(split(try StateDictReader.orderedTensors(root, label: "state dict")), architecture: nil)
        }
        let groups = try networks.map { key, value in (key.stringValue!, try StateDictReader.orderedTensors(value, label: key.stringValue!)) }
        return try content(groups, architecture: try storedArchitecture(top[architectureMetadataKey], in: "the entry \(architectureMetadataKey)"))
    }

    static func read(safetensors file: SafetensorsFile) throws -> ImportedContent {
        let architecture = try storedArchitecture(file.metadata[architectureMetadataKey].map(PickleValue.string),
                                                  in: "safetensors metadata \(architectureMetadataKey)")
        return try content(try split(file.tensors), architecture: architecture)
    }

    /// The architecture a toonkit export stored as a JSON string, checked like any other; nil when absent.
    static func storedArchitecture(_ value: PickleValue?, in place: String) throws -> Architecture? {
        guard let value else { return nil }
        return try InteropError.context(place) {
            guard let json = value.stringValue else { throw InteropError("is a \(value.typeName), not a JSON string") }
            let stored = try JSONDecoder().decode(Architecture.self, from: Data(json.utf8))
            try stored.checkPlausible()
            return stored
        }
    }

    /// Splits flat names into networks by their `G_ema.`/`G.`/`D.` prefixes, or classifies a
    /// single network by its names.
    private static func split(_ tensors: [(String, TensorData)]) throws -> [(String, [(String, TensorData)])] {
        let prefixes = ImportedModel.networkOrder.map { $0 + "." }
        if !tensors.isEmpty, tensors.allSatisfy({ name, _ in prefixes.contains { name.hasPrefix($0) } }) {
            return ImportedModel.networkOrder.compactMap { network in
                let members = tensors.filter { $0.0.hasPrefix(network + ".") }.map { (String($0.0.dropFirst(network.count + 1)), $0.1) }
                return members.isEmpty ? nil : (network, members)
            }
        }
        switch NetworkLayout.likelyRole(tensorNames: Set(tensors.map(\.0))) {
        case .generator: return [("G_ema", tensors)]
        case .discriminator: return [("D", tensors)]
        case .other:
            throw InteropError("the tensors have neither NVIDIA generator names (\(NetworkLayout.generatorMarker)) nor discriminator names (\(NetworkLayout.discriminatorMarker))")
        }
    }

    private static func content(_ groups: [(String, [(String, TensorData)])], architecture stored: Architecture?) throws -> ImportedContent {
        func entries(_ network: String) -> [TensorEntry]? {
            groups.first { $0.0 == network }.map { $0.1.map { TensorEntry(name: $0.0, kind: .parameter, data: $0.1) } }
        }
        var notes: [String] = []
        var arch: Architecture
        if let stored {
            arch = stored
        } else {
            (arch, notes) = try ArchitectureInference.infer(generator: entries("G_ema") ?? entries("G"), discriminator: entries("D"))
        }
        // Parameter or buffer is not stored in a state dict; the layout knows.
        let networks = groups.map { network, tensors -> ImportedNetwork in
            let declared = NetworkLayout.tree(network: network, arch, tensorNames: Set(tensors.map(\.0)))?.tensors ?? []
            let kinds = Dictionary(uniqueKeysWithValues: declared.map { ($0.name, $0.kind) })
            return ImportedNetwork(name: network, tensors: tensors.map { TensorEntry(name: $0.0, kind: kinds[$0.0] ?? .parameter, data: $0.1) })
        }
        return ImportedContent(networks: networks, architecture: arch, notes: notes)
    }
}

/// Reads `name → tensor` dicts out of pickle trees.
enum StateDictReader {
    static func orderedTensors(_ value: PickleValue, label: String) throws -> [(String, TensorData)] {
        guard let dict = value.dictValue else { throw InteropError("\(label) is a \(value.typeName), not a state dict") }
        return try dict.items.map { key, item in
            guard let name = key.stringValue else { throw InteropError("\(label) has a non-string key") }
            guard let tensor = item.tensorValue else { throw InteropError("\(label).\(name) is a \(item.typeName), not a tensor") }
            return (name, try InteropError.context("\(label).\(name)") { try tensor.materialize() })
        }
    }

    static func tensors(_ value: PickleValue, label: String) throws -> [String: TensorData] {
        Dictionary(try orderedTensors(value, label: label), uniquingKeysWith: { first, _ in first })
    }
}
