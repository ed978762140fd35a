import Foundation
import Checkpoint
import Networks

/// The file layouts `ModelImporter` understands.
public enum ImportFormat: String, CaseIterable, Sendable {
    /// NVIDIA StyleGAN2-ADA network pickle (train.py snapshot or legacy.py conversion).
    case nvidiaPickle = "nvidia-pkl"
    /// Official TensorFlow StyleGAN2(-ADA) pickle: a tuple (G, D, Gs) of dnnlib.tflib Network states.
    case tensorflowPickle = "tf-pkl"
    /// rosinality stylegan2-pytorch `.pt` (export_weights.py output or a training checkpoint).
    case rosinality
    /// torch.save of NVIDIA-named state dicts.
    case stateDict = "state-dict"
    /// safetensors with NVIDIA names.
    case safetensors
}

/// One network (`G`, `D` or `G_ema`) in NVIDIA `state_dict()` order.
public struct ImportedNetwork: Sendable {
    public var name: String
    public var tensors: [TensorEntry]

    public init(name: String, tensors: [TensorEntry]) {
        self.name = name
        self.tensors = tensors
    }
}

/// Where an import came from, for the checkpoint's provenance log.
public struct ImportProvenance: Sendable, Equatable {
    public var operation = "import"
    public var sourcePath: String
    public var sourceSHA256: String
    public var format: ImportFormat
}

/// Everything an importer extracts from a foreign file, ready to be written as a checkpoint.
public struct ImportedModel: Sendable {
    public static let networkOrder = ["G", "D", "G_ema"]

    public var networks: [ImportedNetwork]
    public var architecture: Architecture
    /// ADA augmentation probability (NVIDIA `augment_pipe.p`, rosinality `ada_aug_p`); nil if absent.
    public var augmentP: Double?
    /// Documents keyed by name, e.g. `training_set_kwargs` or rosinality `args`.
    public var metadata: [String: JSONValue]
    public var provenance: ImportProvenance
    /// Facts the file did not state and that were assumed, and values that could not be kept.
    public var notes: [String]

    public func network(_ name: String) -> ImportedNetwork? { networks.first { $0.name == name } }
}

extension ImportedModel {
    init(_ content: ImportedContent, provenance: ImportProvenance) {
        self.init(networks: content.networks, architecture: content.architecture, augmentP: content.augmentP,
                  metadata: content.metadata, provenance: provenance, notes: content.notes)
    }
}

/// What a format-specific importer returns; `ModelImporter` adds provenance and checks.
struct ImportedContent {
    var networks: [ImportedNetwork]
    var architecture: Architecture
    var augmentP: Double? = nil
    var metadata: [String: JSONValue] = [:]
    var notes: [String] = []

    init(networks: [ImportedNetwork], architecture: Architecture, augmentP: Double? = nil,
         metadata: [String: JSONValue] = [:], notes: [String] = []) {
        self.networks = networks
        self.architecture = architecture
        self.augmentP = augmentP
        self.metadata = metadata
        self.notes = notes
    }

    init(_ model: ImportedModel) {
        self.init(networks: model.networks, architecture: model.architecture, augmentP: model.augmentP,
                  metadata: model.metadata, notes: model.notes)
    }

    /// Checks every network against the layout its architecture implies, and puts networks and
    /// tensors in canonical order (G, D, G_ema; `state_dict()` order within each).
    func verified() throws -> ImportedContent {
        var copy = self
        for index in copy.networks.indices {
            let network = copy.networks[index]
            let expected = try network.verify(against: architecture)
            let position = Dictionary(uniqueKeysWithValues: expected.enumerated().map { ($1.name, $0) })
            copy.networks[index].tensors.sort { position[$0.name]! < position[$1.name]! }
        }
        let order = ImportedModel.networkOrder
        copy.networks.sort { order.firstIndex(of: $0.name)! < order.firstIndex(of: $1.name)! }
        return copy
    }
}

extension PickleValue {
    /// A JSON rendering of plain data (for metadata such as training_set_kwargs). Tensors and other
    /// typed nodes are described rather than serialized. A pickle can share one value many times,
    /// so the rendering has budgets instead of trusting the tree to be small: a number of values,
    /// and bytes of text, since one shared string costs nothing until the document is written.
    static let maxMetadataValues = 100_000
    static let maxMetadataText = 16 << 20

    func json() throws -> JSONValue {
        var remaining = (values: Self.maxMetadataValues, text: Self.maxMetadataText)
        return try json(remaining: &remaining)
    }

    private func json(remaining: inout (values: Int, text: Int)) throws -> JSONValue {
        remaining.values -= 1
        if case .string(let text) = self { remaining.text -= text.utf8.count }
        guard remaining.values >= 0, remaining.text >= 0 else {
            throw InteropError("metadata too large to keep (more than \(Self.maxMetadataValues) values or \(Self.maxMetadataText >> 20) MiB of text)")
        }
        func all(_ items: [PickleValue]) throws -> JSONValue { .array(try items.map { try $0.json(remaining: &remaining) }) }
        switch self {
        case .none: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let value): return .number(Double(value))
        case .bigInt(let bytes): return .string("int(0x" + bytes.reversed().map { String(format: "%02x", $0) }.joined() + ")")
        case .float(let value): return .number(value)
        case .string(let text): return .string(text)
        case .bytes(let slice): return .string("<\(slice.count) bytes>")
        case .tuple(let tuple): return try all(tuple.items)
        case .list(let list): return try all(list.items)
        case .set(let set): return try all(set.items)
        case .dict(let dict):
            var members: [String: JSONValue] = [:]
            for (key, value) in dict.items {
                let name = try key.stringValue ?? key.json(remaining: &remaining).serialized()
                if members[name] == nil { members[name] = try value.json(remaining: &remaining) }
            }
            return .object(members)
        case .object(let object): return try object.attributes.map { try PickleValue.dict($0).json(remaining: &remaining) } ?? .null
        case .tensor(let tensor):
            if tensor.shape.isEmpty, let value = try? tensor.materialize().floats().first { return .number(Double(value)) }
            return .string("<tensor \(tensor.shape)>")
        default: return .string("<\(typeName)>")
        }
    }
}
