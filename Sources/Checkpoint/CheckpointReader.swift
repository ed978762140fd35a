import Foundation

/// What the header says about one network tensor; no tensor data is read to produce it.
public struct TensorInfo: Codable, Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public var dtype: DType
    public var kind: TensorKind
    public var trainable: Bool
    public var sha256: String

    public var numel: Int { shape.reduce(1, *) }
    public var byteCount: Int { numel * dtype.byteSize }
}

/// What the header says about one tensor under `/training/tensors`.
public struct TrainingTensorInfo: Codable, Equatable, Sendable {
    /// Path relative to `/training/tensors`, e.g. `adam/G/mapping.fc0.weight/m`.
    public var name: String
    public var shape: [Int]
    public var dtype: DType
    public var sha256: String

    public var numel: Int { shape.reduce(1, *) }
    public var byteCount: Int { numel * dtype.byteSize }
}

/// A named scalar of the training state (`step`, `kimg`, `augment_p`, …).
public enum TrainingScalar: Equatable, Sendable {
    case integer(Int64)
    case real(Double)

    public var doubleValue: Double {
        switch self {
        case .integer(let value): return Double(value)
        case .real(let value): return value
        }
    }
}

/// Read access to a checkpoint. Opening validates the root attributes and the whole v1 schema (header
/// only); tensor data is read lazily, one dataset at a time, as zero-copy slices of a memory map.
/// Not thread-safe: use one reader per thread.
public final class CheckpointReader {
    public let path: String
    public let formatVersion: FormatVersion
    public let createdBy: String
    public let createdAt: String
    /// The `/architecture` JSON document; the module that knows its kind decodes it (for StyleGAN2: Networks'
    /// `CheckpointReader.architecture`).
    public let architectureDocument: JSONValue
    /// Oldest record first.
    public let provenance: [ProvenanceRecord]
    /// Non-fatal remarks, e.g. a newer minor format version.
    public let warnings: [String]
    let file: CheckpointFile

    /// Throws `CheckpointError`: `.fileNotFound`, `.notHDF5`, `.unreadable`, `.unsupportedVersion`, `.schemaViolation`
    /// (which includes every contradiction the layout finds between the architecture and the networks).
    public init(path: String, layout: any CheckpointLayout) throws {
        let file = try CheckpointFile(path: path, layout: layout)
        guard file.problems.isEmpty else { throw CheckpointError.schemaViolation(path: path, problems: file.problems) }
        self.file = file
        self.path = path
        warnings = file.warnings
        func text(_ name: String) -> String {
            if case .string(let value)? = file.rootAttributes[name] { return value }
            return ""
        }
        formatVersion = file.formatVersion ?? CheckpointFormat.version
        createdBy = text("created_by")
        createdAt = text("created_at")
        architectureDocument = file.architecture ?? .null
        provenance = try (file.provenance ?? []).enumerated().map { index, record in
            try CheckpointReader.decode(record, as: ProvenanceRecord.self, object: "/provenance", path: path, what: "record \(index)")
        }
    }

    private static func decode<T: Decodable>(_ value: JSONValue, as type: T.Type, object: String, path: String, what: String = "") throws -> T {
        do {
            return try value.decode(as: T.self)
        } catch {
            let rule = (what.isEmpty ? "" : "\(what) ") + "does not decode as \(T.self): \(JSONValue.shortReason(error))"
            throw CheckpointError.schemaViolation(path: path, problems: [CheckpointProblem(object: object, rule: rule)])
        }
    }

    // MARK: networks

    /// In the order the network groups were created.
    public var networkNames: [String] { file.networks.map(\.name) }

    /// State-dict order (link creation order).
    public func tensorNames(network: String) throws -> [String] {
        try storedNetwork(network).tensors.map(\.name)
    }

    public func tensorInfos(network: String) throws -> [TensorInfo] {
        try storedNetwork(network).tensors.map(info)
    }

    public func tensorInfo(network: String, name: String) throws -> TensorInfo {
        try info(try storedTensor(network: network, name: name))
    }

    /// Reads only this dataset. The data is hashed and compared with the stored sha256 unless `verifyChecksum`
    /// is false, so damaged bytes never reach a network or a new file.
    public func readTensor(network: String, name: String, verifyChecksum: Bool = true) throws -> TensorEntry {
        let stored = try storedTensor(network: network, name: name)
        let info = try info(stored)
        let data = try readData(stored, verifyChecksum: verifyChecksum)
        return TensorEntry(name: name, kind: info.kind, trainable: info.trainable, data: data)
    }

    func storedNetwork(_ network: String) throws -> StoredNetwork {
        guard let found = file.networks.first(where: { $0.name == network }) else {
            throw CheckpointError.noSuchNetwork(path: path, network: network, available: networkNames)
        }
        return found
    }

    private func storedTensor(network: String, name: String) throws -> StoredDataset {
        let group = try storedNetwork(network)
        guard let position = group.positions[name] else {
            throw CheckpointError.noSuchTensor(path: path, object: "/networks/\(network)/\(name)")
        }
        return group.tensors[position]
    }

    private func info(_ stored: StoredDataset) throws -> TensorInfo {
        // The schema was enforced on open, so every field is present and well-formed here.
        guard let layout = stored.layout, case .string(let kindName)? = stored.attributes["kind"],
              let kind = TensorKind(rawValue: kindName), case .integer(let trainable)? = stored.attributes["trainable"],
              let sha256 = stored.sha256 else { throw invalidTensor(stored) }
        return TensorInfo(name: stored.name, shape: layout.shape, dtype: layout.dtype, kind: kind, trainable: trainable != 0, sha256: sha256)
    }

    func readData(_ stored: StoredDataset, verifyChecksum: Bool) throws -> TensorData {
        guard let layout = stored.layout else { throw invalidTensor(stored) }
        let bytes = try file.bytes(of: stored)
        if verifyChecksum, let expected = stored.sha256 {
            let actual = Checksum.sha256Hex(bytes)
            guard actual == expected else {
                throw CheckpointError.checksumMismatch(path: path, object: stored.objectPath, stored: expected, computed: actual)
            }
        }
        return try TensorData(dtype: layout.dtype, shape: layout.shape, bytes: bytes)
    }

    /// Unreachable after a successful open (the schema guarantees these fields); kept as an error, not a crash.
    private func invalidTensor(_ stored: StoredDataset) -> CheckpointError {
        .schemaViolation(path: path, problems: [CheckpointProblem(object: stored.objectPath, rule: "is not a valid tensor")])
    }

    // MARK: training state

    public var hasTrainingState: Bool { file.training != nil }

    public var trainingScalars: [String: TrainingScalar] {
        (file.training?.attributes ?? [:]).compactMapValues { value in
            switch value {
            case .integer(let integer): return .integer(integer)
            case .real(let real): return .real(real)
            default: return nil
            }
        }
    }

    /// The JSON document at `/training/state` (options, RNG state, optimizer scalars).
    public var trainingState: JSONValue? { file.training?.state }

    /// Paths relative to `/training/tensors`, in the order they were written.
    public var trainingTensorNames: [String] { file.training?.tensors.map(\.name) ?? [] }

    public func trainingTensorInfo(name: String) throws -> TrainingTensorInfo {
        let stored = try storedTrainingTensor(name)
        guard let layout = stored.layout, let sha256 = stored.sha256 else { throw invalidTensor(stored) }
        return TrainingTensorInfo(name: name, shape: layout.shape, dtype: layout.dtype, sha256: sha256)
    }

    public func readTrainingTensor(name: String, verifyChecksum: Bool = true) throws -> TensorData {
        try readData(try storedTrainingTensor(name), verifyChecksum: verifyChecksum)
    }

    private func storedTrainingTensor(_ name: String) throws -> StoredDataset {
        guard let stored = file.training?.tensors.first(where: { $0.name == name }) else {
            throw CheckpointError.noSuchTensor(path: path, object: "/training/tensors/\(name)")
        }
        return stored
    }

    // MARK: imported metadata

    public var extraNames: [String] { file.extra?.map(\.name) ?? [] }

    public func extra(_ name: String) -> JSONValue? { file.extra?.first { $0.name == name }?.value }
}
