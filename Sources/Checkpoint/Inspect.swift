import Foundation

/// Counts for a set of tensors.
public struct Totals: Codable, Equatable, Sendable {
    public var tensors = 0
    public var numel = 0
    public var bytes = 0
    /// Elements of tensors of kind `parameter` (the usual "parameter count").
    public var parameters = 0
    public var trainableParameters = 0
    /// Elements of tensors of kind `buffer`.
    public var buffers = 0

    public init() {}

    mutating func add(_ tensor: TensorInfo) {
        tensors += 1
        numel += tensor.numel
        bytes += tensor.byteCount
        switch tensor.kind {
        case .parameter:
            parameters += tensor.numel
            if tensor.trainable { trainableParameters += tensor.numel }
        case .buffer:
            buffers += tensor.numel
        }
    }

    mutating func add(_ other: Totals) {
        tensors += other.tensors
        numel += other.numel
        bytes += other.bytes
        parameters += other.parameters
        trainableParameters += other.trainableParameters
        buffers += other.buffers
    }

    enum CodingKeys: String, CodingKey {
        case tensors, numel, bytes, parameters, buffers
        case trainableParameters = "trainable_parameters"
    }
}

/// Subtotal of one group (a module, a block resolution or a dtype).
public struct GroupTotal: Codable, Equatable, Sendable {
    public var name: String
    public var totals: Totals
}

/// A node of the layer tree: dotted names split at the dots, children in numeric-aware order (b4 < b8 < b16).
public struct LayerNode: Codable, Equatable, Sendable {
    public var name: String
    /// Full dotted path of this node (the tensor name for leaves).
    public var path: String
    public var totals: Totals
    public var children: [LayerNode]
}

public struct TensorSummary: Codable, Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public var dtype: DType
    public var kind: TensorKind
    public var trainable: Bool
    public var numel: Int
    public var bytes: Int
    public var sha256: String
}

public struct NetworkSummary: Codable, Equatable, Sendable {
    /// In stored (state-dict) order.
    public var tensors: [TensorSummary]
    public var totals: Totals
    /// By first name component (mapping, synthesis, b64, …), numeric-aware order.
    public var modules: [GroupTotal]
    /// By block resolution (`b64` anywhere in the name); tensors outside any block are under "other".
    public var resolutions: [GroupTotal]
    public var dtypes: [GroupTotal]
    public var tree: [LayerNode]
}

public struct TrainingSummary: Codable, Equatable, Sendable {
    public var scalars: [String: JSONValue]
    public var hasState: Bool
    public var tensors: Int
    public var bytes: Int

    enum CodingKeys: String, CodingKey {
        case scalars, tensors, bytes
        case hasState = "has_state"
    }
}

/// Everything `toonkit inspect` shows, computed from the header alone (no tensor data is read).
public struct CheckpointSummary: Codable, Equatable, Sendable {
    public var path: String
    public var formatVersion: String
    public var createdBy: String
    public var createdAt: String
    /// The `/architecture` document as stored.
    public var architecture: JSONValue
    /// Keyed by network name; `networkOrder` keeps the stored order.
    public var networks: [String: NetworkSummary]
    public var networkOrder: [String]
    public var provenance: [ProvenanceRecord]
    public var training: TrainingSummary?
    public var extra: [String]
    public var totals: Totals
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case path, architecture, networks, provenance, training, extra, totals, warnings
        case formatVersion = "format_version", createdBy = "created_by", createdAt = "created_at", networkOrder = "network_order"
    }

    /// Pretty JSON with sorted keys: one document, stable across runs.
    public func json() -> String { JSONText.encode(self, pretty: true) }
}

public enum CheckpointInspector {
    /// `layout` checks the networks on open and groups their tensors by resolution.
    public static func inspect(path: String, layout: any CheckpointLayout) throws -> CheckpointSummary {
        try summarize(CheckpointReader(path: path, layout: layout), layout: layout)
    }

    public static func summarize(_ reader: CheckpointReader, layout: any CheckpointLayout) throws -> CheckpointSummary {
        var networks: [String: NetworkSummary] = [:]
        var totals = Totals()
        for name in reader.networkNames {
            let infos = try reader.tensorInfos(network: name)
            let header = NetworkHeader(name: name, tensors: infos.map { TensorHeader(name: $0.name, shape: $0.shape, kind: $0.kind) })
            let summary = summarize(network: infos, resolutionGroups: layout.resolutionGroups(network: header, architecture: reader.architectureDocument))
            networks[name] = summary
            totals.add(summary.totals)
        }
        return CheckpointSummary(
            path: reader.path, formatVersion: reader.formatVersion.description, createdBy: reader.createdBy,
            createdAt: reader.createdAt, architecture: reader.architectureDocument, networks: networks, networkOrder: reader.networkNames,
            provenance: reader.provenance, training: try trainingSummary(reader), extra: reader.extraNames, totals: totals,
            warnings: reader.warnings)
    }

    static func summarize(network tensors: [TensorInfo], resolutionGroups: [String: String]) -> NetworkSummary {
        var totals = Totals()
        tensors.forEach { totals.add($0) }
        let summaries = tensors.map {
            TensorSummary(name: $0.name, shape: $0.shape, dtype: $0.dtype, kind: $0.kind, trainable: $0.trainable,
                          numel: $0.numel, bytes: $0.byteCount, sha256: $0.sha256)
        }
        return NetworkSummary(
            tensors: summaries, totals: totals,
            modules: subtotals(tensors) { $0.name.split(separator: ".").first.map(String.init) ?? $0.name },
            resolutions: subtotals(tensors) { resolutionGroups[$0.name] ?? "other" },
            dtypes: subtotals(tensors) { $0.dtype.rawValue },
            tree: layerTree(tensors, prefix: []))
    }

    private static func trainingSummary(_ reader: CheckpointReader) throws -> TrainingSummary? {
        guard reader.hasTrainingState else { return nil }
        let bytes = try reader.trainingTensorNames.reduce(0) { sum, name in sum + (try reader.trainingTensorInfo(name: name).byteCount) }
        return TrainingSummary(scalars: reader.trainingScalars.mapValues { scalar in
            switch scalar {
            case .integer(let value): return .number(Double(value))
            case .real(let value): return .number(value)
            }
        }, hasState: reader.trainingState != nil, tensors: reader.trainingTensorNames.count, bytes: bytes)
    }

    private static func subtotals(_ tensors: [TensorInfo], key: (TensorInfo) -> String) -> [GroupTotal] {
        var groups: [String: Totals] = [:]
        for tensor in tensors { groups[key(tensor), default: Totals()].add(tensor) }
        return groups.keys.sorted(by: NumericAwareOrder.less).map { GroupTotal(name: $0, totals: groups[$0]!) }
    }

    private static func layerTree(_ tensors: [TensorInfo], prefix: [Substring]) -> [LayerNode] {
        var children: [Substring: [TensorInfo]] = [:]
        for tensor in tensors {
            let components = tensor.name.split(separator: ".", omittingEmptySubsequences: false)
            children[components[prefix.count], default: []].append(tensor)
        }
        return children.keys.sorted { NumericAwareOrder.less(String($0), String($1)) }.map { key in
            let members = children[key]!
            let path = prefix + [key]
            var totals = Totals()
            members.forEach { totals.add($0) }
            let below = members.filter { $0.name.split(separator: ".", omittingEmptySubsequences: false).count > path.count }
            return LayerNode(name: String(key), path: path.joined(separator: "."), totals: totals,
                             children: layerTree(below, prefix: path))
        }
    }
}

/// Orders names so that digit runs compare by value: b4 < b8 < b16 < b256, fc2 < fc10.
public enum NumericAwareOrder {
    public static func less(_ a: String, _ b: String) -> Bool {
        let left = chunks(a), right = chunks(b)
        for (x, y) in zip(left, right) where x != y {
            switch (UInt64(x), UInt64(y)) {
            case let (p?, q?) where p != q: return p < q
            default: return x < y
            }
        }
        return left.count < right.count
    }

    private static func chunks(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        for character in text {
            if let last = current.last, isDigit(last) != isDigit(character) {
                result.append(current)
                current = ""
            }
            current.append(character)
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    private static func isDigit(_ character: Character) -> Bool { character.isASCII && character.isNumber }
}
