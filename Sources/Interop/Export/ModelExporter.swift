import Foundation
import Checkpoint
import Networks
import UntrustedInput

/// Tensor name layout of an exported file.
public enum ExportLayout: String, CaseIterable, Sendable {
    /// rosinality stylegan2-pytorch: `{"g_ema": …, "latent_avg": …, "d": …}` (torch `.pt` only).
    case rosinality
    /// NVIDIA `state_dict()` names: one network as a flat state dict, several as `{name: state dict}`
    /// (torch) or with `name.` prefixes (safetensors).
    case nvidia
}

/// Container of an exported file, chosen from the output extension: `.safetensors`, `.pkl` (a TensorFlow-format
/// network pickle that NVIDIA's legacy.load_network_pkl converts), anything else a torch.save zip.
public enum ExportContainer: String, Sendable {
    case torch, safetensors, networkPickle

    /// The container the output's name asks for; a name that asks for none (`x.h5`, `x.npz`, no extension)
    /// is refused rather than written as a torch zip the name does not announce.
    public init(for url: URL) throws {
        switch url.pathExtension.lowercased() {
        case "safetensors": self = .safetensors
        case "pkl": self = .networkPickle
        case "pt", "pth": self = .torch
        case let other:
            let named = other.isEmpty ? "has no extension" : "ends in .\(other.escapedForDisplay)"
            throw InteropError("the output \(named), which names no export format: use .pt or .pth (torch.save), .safetensors, or .pkl (a network pickle NVIDIA's legacy.py loads)")
        }
    }
}

/// Writes networks in foreign layouts. Files are written atomically; importing an export gives
/// back the same tensors bit for bit (except resample filters rosinality has no place for, which
/// are reported).
public enum ModelExporter {
    /// Exports networks of a checkpoint file (all of them when `networks` is nil).
    @discardableResult
    public static func export(checkpoint: URL, to output: URL, layout: ExportLayout,
                              networks: [String]? = nil) throws -> [String] {
        try AtomicFile.checkDistinct(input: checkpoint, output: output)
        let reader = try CheckpointReader(path: checkpoint.path)
        let selected = try (networks ?? reader.networkNames).map { name -> ImportedNetwork in
            guard reader.networkNames.contains(name) else {
                throw InteropError("the checkpoint has no network \(name) (it has \(reader.networkNames.joined(separator: ", ")))", location: SourceLocation(path: checkpoint.path))
            }
            let tensors = try reader.tensorNames(network: name).map { try reader.readTensor(network: name, name: $0, verifyChecksum: true) }
            return ImportedNetwork(name: name, tensors: tensors)
        }
        let optimizerStates = try selected.reduce(into: [String: StoredAdamState]()) { states, network in
            states[network.name] = try StoredAdamState(reader: reader, network: network.name)
        }
        return try export(selected, architecture: try reader.architecture, to: output, layout: layout, optimizerStates: optimizerStates)
    }

    /// Exports in-memory networks; returns notes about anything the layout could not keep. `optimizerStates`
    /// (keyed by network) go where the layout has an optimizer state: rosinality's `g_optim` / `d_optim`.
    @discardableResult
    public static func export(_ networks: [ImportedNetwork], architecture: Architecture, to output: URL,
                              layout: ExportLayout, optimizerStates: [String: StoredAdamState] = [:]) throws -> [String] {
        guard !networks.isEmpty else { throw InteropError("nothing to export: no networks selected") }
        return try InteropError.attributing(to: SourceLocation(path: output.path)) {
            try architecture.checkPlausible()
            switch (try ExportContainer(for: output), layout) {
            case (.safetensors, .rosinality):
                throw InteropError("the rosinality layout is a torch .pt layout; use --layout nvidia for safetensors")
            case (.safetensors, .nvidia):
                try safetensors(networks, architecture: architecture).write(to: output)
                return []
            case (.torch, .nvidia):
                try TorchSaveWriter.write(nvidiaStateDicts(networks, architecture: architecture), to: output)
                return []
            case (.networkPickle, .rosinality):
                throw InteropError("the rosinality layout is a torch .pt layout; a .pkl is written in the TensorFlow layout legacy.py converts (--layout nvidia)")
            case (.networkPickle, .nvidia):
                let (bytes, notes) = try tensorflowPickle(networks, architecture: architecture)
                try AtomicFile.write(to: output) { try $0.write(bytes) }
                return notes
            case (.torch, .rosinality):
                let (root, notes) = try rosinality(networks, architecture: architecture, optimizerStates: optimizerStates)
                try TorchSaveWriter.write(root, to: output)
                return notes
            }
        }
    }

    /// One network is a flat state dict, which `load_state_dict` takes strictly, so it has no room for the
    /// architecture; several are `{name: state dict}` with the architecture as a JSON string beside them.
    static func nvidiaStateDicts(_ networks: [ImportedNetwork], architecture: Architecture) -> TorchExportValue {
        func stateDict(_ network: ImportedNetwork) -> TorchExportValue {
            .orderedDict(network.tensors.map { ($0.name, .tensor($0.data)) })
        }
        if networks.count == 1 { return stateDict(networks[0]) }
        return .dict(networks.map { ($0.name, stateDict($0)) } + [architectureEntry(architecture)])
    }

    /// The architecture as a plain JSON string, under the key the importers look for.
    static func architectureEntry(_ architecture: Architecture) -> (String, TorchExportValue) {
        (StateDictImporter.architectureMetadataKey, .string(architecture.document.serialized()))
    }

    static func safetensors(_ networks: [ImportedNetwork], architecture: Architecture) throws -> SafetensorsFile {
        let prefixed = networks.count > 1
        let tensors = networks.flatMap { network in
            network.tensors.map { (name: prefixed ? "\(network.name).\($0.name)" : $0.name, data: $0.data) }
        }
        let metadata = ["format": "pt",
                        StateDictImporter.architectureMetadataKey: architecture.document.serialized()]
        return SafetensorsFile(tensors: tensors, metadata: metadata)
    }

    /// The TF tuple (G, D, Gs): legacy.py converts all three together, so D and a generator are required;
    /// a missing G or G_ema is filled with the other (noted).
    static func tensorflowPickle(_ networks: [ImportedNetwork], architecture: Architecture) throws -> ([UInt8], [String]) {
        func network(_ name: String) -> ImportedNetwork? { networks.first { $0.name == name } }
        guard let discriminator = network("D"), let average = network("G_ema") ?? network("G") else {
            throw InteropError("a .pkl export holds G, D and G_ema (legacy.load_network_pkl needs all three): select D and G_ema or G")
        }
        let generator = network("G") ?? average
        var substituted: [String] = []
        if network("G") == nil { substituted.append("no G selected: G_ema written as G too") }
        if network("G_ema") == nil { substituted.append("no G_ema selected: G written as Gs (G_ema) too") }
        let (bytes, notes) = try TensorFlowPickleWriter.pickle(generator: generator, discriminator: discriminator, average: average,
                                                               architecture: architecture)
        return (bytes, substituted + notes + ["augment p, training state and metadata are not part of the TF layout"])
    }

    /// `g_ema` (from G_ema, else G), `latent_avg` (its w_avg) and `d` when D is present; with G and D also
    /// `g`, `g_optim` and `d_optim` (from `optimizerStates` where given).
    static func rosinality(_ networks: [ImportedNetwork], architecture: Architecture,
                           optimizerStates: [String: StoredAdamState] = [:]) throws -> (TorchExportValue, [String]) {
        // rosinality's networks take no labels: the label embeddings would be dropped and fc0 kept at a width
        // its Generator cannot load.
        guard architecture.cDim == 0 else {
            throw InteropError("the rosinality layout has no labels, so a conditional model (c_dim \(architecture.cDim)) cannot be written in it; use --layout nvidia")
        }
        var items: [(String, TorchExportValue)] = []
        var notes: [String] = []
        func renamed(_ network: ImportedNetwork, _ pairs: [RenamedTensor]) throws -> TorchExportValue {
            let (tensors, filterNotes) = try TensorRenaming.fromNvidia(network.tensors, network: network.name, arch: architecture, pairs: pairs)
            notes += filterNotes
            return .orderedDict(tensors.map { ($0.0, .tensor($0.1)) })
        }
        let generatorPairs = RosinalityLayout.generator(architecture), discriminatorPairs = RosinalityLayout.discriminator(architecture)
        let trained = networks.first(where: { $0.name == "G" })
        let average = networks.first(where: { $0.name == "G_ema" }) ?? trained
        let discriminator = networks.first(where: { $0.name == "D" })
        guard average != nil || discriminator != nil else { throw InteropError("the rosinality layout needs G_ema, G or D") }
        if let average {
            if average.name == "G" { notes.append("no G_ema selected: exporting G as g_ema") }
            items.append(("g_ema", try renamed(average, generatorPairs)))
            guard let averageW = average.tensors.first(where: { $0.name == NetworkLayout.averageWName }) else {
                throw InteropError("\(average.name) has no \(NetworkLayout.averageWName) for latent_avg")
            }
            items.append(("latent_avg", .tensor(averageW.data)))
        }
        if let discriminator { items.append(("d", try renamed(discriminator, discriminatorPairs))) }
        items.append(architectureEntry(architecture))
        // With G and D, the file is also a training checkpoint that rosinality's train.py --ckpt resumes.
        guard let discriminator, let generator = trained else {
            notes.append("no G and D both selected: not a training checkpoint for rosinality's train.py --ckpt (it needs g, d, g_ema and both optimizers)")
            return (.dict(items), notes)
        }
        items.append(("g", try renamed(generator, generatorPairs)))
        for (key, network, pairs, interval) in [
            ("g_optim", generator, generatorPairs, RosinalityOptimizer.generatorRegularizationInterval),
            ("d_optim", discriminator, discriminatorPairs, RosinalityOptimizer.discriminatorRegularizationInterval),
        ] {
            let adam = optimizerStates[network.name]
            items.append((key, try RosinalityOptimizer.state(network, pairs, regularizationInterval: interval, adam: adam)))
            notes += RosinalityOptimizer.notes(key: key, network, pairs, adam: adam)
        }
        return (.dict(items), notes)
    }
}
