import CHDF5
import Foundation
import UntrustedInput

/// A tensor dataset as found in the file, whether or not it follows the format.
struct StoredDataset {
    /// Name inside its network, or path relative to `/training/tensors`.
    var name: String
    var objectPath: String
    var description: DatasetDescription
    var attributes: [String: AttributeValue]

    var manifest: JSONValue {
        .object([
            "dtype": .string(description.storedType.name),
            "shape": description.shape.map { .array($0.map { .number(Double($0)) }) } ?? .null,
            "layout": .string(description.contiguous ? "contiguous" : "chunked or compact"),
            "filters": .number(Double(description.filterCount)),
            "external_files": .bool(description.external),
            "attributes": .object(attributes.mapValues(\.json)),
        ])
    }

    /// Dtype, shape and byte count when the dataset describes a tensor toonkit can hold.
    var layout: (dtype: DType, shape: [Int], byteCount: Int)? {
        guard case .supported(let dtype) = description.storedType, let shape = description.shape,
              let count = try? TensorData.elementCount(shape) else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        return overflow ? nil : (dtype, shape, bytes)
    }

    var sha256: String? {
        if case .string(let hex)? = attributes["sha256"] { return hex }
        return nil
    }
}

struct StoredNetwork {
    var name: String
    var tracksCreationOrder: Bool
    var tensors: [StoredDataset]
    var positions: [String: Int]
}

struct StoredTraining {
    var attributes: [String: AttributeValue]
    var state: JSONValue?
    var tensors: [StoredDataset]
}

/// Loads a checkpoint's header leniently: every departure from the format becomes a `CheckpointProblem`
/// instead of an error, so `validate` can list them all. `CheckpointReader` is the strict front.
final class CheckpointFile {
    let path: String
    private let file: H5Handle
    private let mapping: MappedFile?
    private let fileSize: UInt64

    private(set) var rootAttributes: [String: AttributeValue] = [:]
    private(set) var formatVersion: FormatVersion?
    private(set) var architecture: JSONValue?
    private(set) var networks: [StoredNetwork] = []
    private(set) var networksFound = false
    private(set) var provenance: [JSONValue]?
    private(set) var training: StoredTraining?
    private(set) var extra: [(name: String, value: JSONValue)]?
    private(set) var problems: [CheckpointProblem] = []
    private(set) var warnings: [String] = []
    /// Manifest locations already reported while loading, so the schema does not report them twice.
    private var reportedLocations: [[String]] = []

    /// Throws only when the file cannot be interpreted at all (missing, not HDF5, unknown major version).
    init(path: String, layout: any CheckpointLayout) throws {
        self.path = path
        try CheckpointFile.checkReadable(path)
        do {
            file = try HDF5.openFile("open \(path)") { H5Fopen(path, toon_H5F_ACC_RDONLY(), h5Default) }
            fileSize = try HDF5.fileSize(file)
        } catch let error as HDF5Error {
            throw CheckpointError.unreadable(path: path, reason: CheckpointFile.explain(error))
        }
        mapping = CheckpointFile.mapFile(file)
        do {
            try loadRootAttributes()
            try loadObjects()
        } catch let error as HDF5Error {
            throw CheckpointError.unreadable(path: path, reason: error.description)
        }
        checkStorage()
        validateManifest()
        checkNetworks(against: layout)
    }

    /// Everything that can be decided without handing the file to libhdf5 in this process.
    private static func checkReadable(_ path: String) throws {
        do {
            try InputFile.checkRegular(path)
        } catch let error as InputFileError {
            throw error.isMissing ? CheckpointError.fileNotFound(path: path)
                                                 : CheckpointError.unreadable(path: path, reason: error.reason)
        }
        guard HDF5.hasSignature(fileAt: path) else { throw CheckpointError.notHDF5(path: path) }
        try StructureProbe.check(path)
    }

    private static func explain(_ error: HDF5Error) -> String {
        let hint = error.stack.contains("unable to lock file")
            ? "; another process holds a lock on it (set HDF5_USE_FILE_LOCKING=FALSE on file systems without locks)" : ""
        return error.description + hint
    }

    /// Maps the descriptor HDF5 opened, so the bytes come from the same inode even if the path is replaced meanwhile.
    private static func mapFile(_ file: H5Handle) -> MappedFile? {
        guard let descriptor = HDF5.descriptor(file) else { return nil }
        return try? MappedFile(descriptor: descriptor)
    }

    // MARK: loading

    private func loadRootAttributes() throws {
        let root = try HDF5.openGroup(file, "/")
        for name in try HDF5.attributeNames(root) {
            rootAttributes[name] = try HDF5.readAttribute(root, name)
        }
        guard rootAttributes["format"] == .string(CheckpointFormat.name),
              case .string(let text)? = rootAttributes["format_version"], let version = FormatVersion(text) else { return }
        formatVersion = version
        if version.major != CheckpointFormat.version.major {
            throw CheckpointError.unsupportedVersion(path: path, found: text, supported: CheckpointFormat.version)
        }
        if version.minor > CheckpointFormat.version.minor {
            warnings.append("\(path): written in format \(version), newer than this toonkit's \(CheckpointFormat.version); content it does not know is ignored")
        }
    }

    private func loadObjects() throws {
        let root = try HDF5.openGroup(file, "/")
        if let documents = try readJSONDataset(root, "architecture", location: ["architecture"], scalar: true) {
            architecture = documents[0]
        }
        provenance = try readJSONDataset(root, "provenance", location: ["provenance"], scalar: false)
        if let group = try openGroupIfPresent(root, "networks", location: ["networks"]) {
            networksFound = true
            for name in try HDF5.childNames(group) {
                guard let networkGroup = try openGroupIfPresent(group, name, location: ["networks", name]) else { continue }
                var tensors: [StoredDataset] = []
                try collectDatasets(networkGroup, prefix: "", objectPath: "/networks/\(name)", location: ["networks", name, "tensors"],
                                    recursive: false, into: &tensors)
                let positions = Dictionary(tensors.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
                networks.append(StoredNetwork(name: name, tracksCreationOrder: try HDF5.tracksCreationOrder(networkGroup),
                                              tensors: tensors, positions: positions))
            }
        }
        if let group = try openGroupIfPresent(root, "training", location: ["training"]) { training = try loadTraining(group) }
        if let group = try openGroupIfPresent(root, "extra", location: ["extra"]) {
            extra = try HDF5.childNames(group).compactMap { name in
                try readJSONDataset(group, name, location: ["extra", name], scalar: true).map { (name, $0[0]) }
            }
        }
    }

    private func loadTraining(_ group: H5Handle) throws -> StoredTraining {
        var attributes: [String: AttributeValue] = [:]
        for name in try HDF5.attributeNames(group) { attributes[name] = try HDF5.readAttribute(group, name) }
        let state = try readJSONDataset(group, "state", location: ["training", "state"], scalar: true)?[0]
        var tensors: [StoredDataset] = []
        if let tensorGroup = try openGroupIfPresent(group, "tensors", location: ["training", "tensors"]) {
            try collectDatasets(tensorGroup, prefix: "", objectPath: "/training/tensors", location: ["training", "tensors"],
                                recursive: true, into: &tensors)
        }
        return StoredTraining(attributes: attributes, state: state, tensors: tensors)
    }

    private func collectDatasets(_ group: H5Handle, prefix: String, objectPath: String, location: [String],
                                 recursive: Bool, into datasets: inout [StoredDataset]) throws {
        for child in try HDF5.childNames(group) {
            let name = prefix + child
            let childPath = "\(objectPath)/\(child)"
            switch try HDF5.objectType(group, child) {
            case .dataset:
                let dataset = try HDF5.openDataset(group, child)
                var attributes: [String: AttributeValue] = [:]
                for attribute in try HDF5.attributeNames(dataset) { attributes[attribute] = try HDF5.readAttribute(dataset, attribute) }
                datasets.append(StoredDataset(name: name, objectPath: childPath, description: try HDF5.describe(dataset: dataset),
                                              attributes: attributes))
            case .group where recursive:
                try collectDatasets(try HDF5.openGroup(group, child), prefix: name + "/", objectPath: childPath,
                                    location: location, recursive: true, into: &datasets)
            default:
                report(CheckpointProblem(object: childPath, rule: "must be a tensor dataset, found a group or other object"),
                       at: location + [name])
            }
        }
    }

    private func openGroupIfPresent(_ parent: H5Handle, _ name: String, location: [String]) throws -> H5Handle? {
        guard try HDF5.linkExists(parent, name) else { return nil }
        guard try HDF5.objectType(parent, name) == .group else {
            report(CheckpointProblem(object: ManifestLocation.objectPath(location), rule: "must be a group"), at: location)
            return nil
        }
        return try HDF5.openGroup(parent, name)
    }

    /// JSON documents stored as UTF-8 strings: one (scalar dataspace) or a list (one dimension).
    private func readJSONDataset(_ parent: H5Handle, _ name: String, location: [String], scalar: Bool) throws -> [JSONValue]? {
        let object = ManifestLocation.objectPath(location)
        guard try HDF5.linkExists(parent, name) else { return nil }
        let shapeRule = scalar ? "a scalar string dataset holding one JSON document" : "a one-dimensional string dataset of JSON documents"
        guard try HDF5.objectType(parent, name) == .dataset,
              let (strings, isScalar) = try HDF5.readStringDataset(try HDF5.openDataset(parent, name)), isScalar == scalar else {
            report(CheckpointProblem(object: object, rule: "must be \(shapeRule)"), at: location)
            return nil
        }
        var documents: [JSONValue] = []
        for (index, text) in strings.enumerated() {
            do {
                documents.append(try JSONValue.parse(text))
            } catch {
                let which = scalar ? "" : " (record \(index))"
                report(CheckpointProblem(object: object, rule: "is not valid JSON\(which): \(error)"), at: location)
                return nil
            }
        }
        return documents
    }

    private func report(_ problem: CheckpointProblem, at location: [String]) {
        problems.append(problem)
        reportedLocations.append(location)
    }

    // MARK: checks the schema cannot express

    var allDatasets: [StoredDataset] { networks.flatMap(\.tensors) + (training?.tensors ?? []) }

    private func checkStorage() {
        for dataset in allDatasets where dataset.description.contiguous {
            guard let layout = dataset.layout else { continue }
            let stored = dataset.description.storageBytes
            if stored != UInt64(layout.byteCount) {
                problems.append(CheckpointProblem(object: dataset.objectPath,
                                              rule: "raw data holds \(stored) bytes, but shape \(layout.shape) of \(layout.dtype.rawValue) needs \(layout.byteCount)"))
            } else if let offset = dataset.description.offset, offset + stored > fileSize {
                problems.append(CheckpointProblem(object: dataset.objectPath, rule: "raw data extends past the end of the file (truncated?)"))
            }
        }
    }

    /// The networks must hold exactly the tensors their architecture implies; the layout knows which.
    private func checkNetworks(against layout: any CheckpointLayout) {
        guard let architecture, !problems.contains(where: { $0.object == "/architecture" }) else { return }
        problems += layout.problems(architecture: architecture, networks: networkHeaders)
    }

    /// Every network's tensor headers (tensors whose kind or layout cannot be read are left to the schema).
    var networkHeaders: [NetworkHeader] {
        networks.map { network in
            NetworkHeader(name: network.name, tensors: network.tensors.compactMap { tensor in
                guard let layout = tensor.layout, case .string(let kindName)? = tensor.attributes["kind"],
                      let kind = TensorKind(rawValue: kindName) else { return nil }
                return TensorHeader(name: tensor.name, shape: layout.shape, kind: kind)
            })
        }
    }

    private func validateManifest() {
        let failures = CheckpointFormat.schema.validate(manifest())
        for failure in failures where !reportedLocations.contains(where: { failure.location.starts(with: $0) }) {
            problems.append(ManifestLocation.problem(for: failure))
        }
    }

    /// The JSON the schema describes, built from the header only.
    func manifest() -> JSONValue {
        var document: [String: JSONValue] = ["attributes": .object(rootAttributes.mapValues(\.json))]
        if let architecture { document["architecture"] = architecture }
        if let provenance { document["provenance"] = .array(provenance) }
        if networksFound {
            document["networks"] = .object(Dictionary(uniqueKeysWithValues: networks.map { network in
                (network.name, .object([
                    "link_creation_order_tracked": .bool(network.tracksCreationOrder),
                    "tensors": .object(Dictionary(network.tensors.map { ($0.name, $0.manifest) }, uniquingKeysWith: { first, _ in first })),
                ]))
            }))
        }
        if let training {
            var members: [String: JSONValue] = [
                "attributes": .object(training.attributes.mapValues(\.json)),
                "tensors": .object(Dictionary(training.tensors.map { ($0.name, $0.manifest) }, uniquingKeysWith: { first, _ in first })),
            ]
            if let state = training.state { members["state"] = state }
            document["training"] = .object(members)
        }
        if let extra { document["extra"] = .object(Dictionary(extra.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })) }
        return .object(document)
    }

    // MARK: data

    /// The stored bytes of one tensor, as a zero-copy slice of the mapped file. Tensor data is never read
    /// through libhdf5: only a contiguous, unfiltered dataset whose bytes lie inside this file is read, so no
    /// chunk index, filter or external file is ever followed, whatever the header claims.
    func bytes(of dataset: StoredDataset) throws -> Data {
        guard let layout = dataset.layout else {
            throw CheckpointError.schemaViolation(path: path, problems: [CheckpointProblem(object: dataset.objectPath,
                                                                                      rule: "has no toonkit dtype or shape")])
        }
        if layout.byteCount == 0 { return Data() }
        let description = dataset.description
        guard description.contiguous, description.filterCount == 0, !description.external,
              description.storageBytes == UInt64(layout.byteCount), let offset = description.offset else {
            throw CheckpointError.schemaViolation(path: path, problems: [CheckpointProblem(object: dataset.objectPath,
                rule: "is not stored as format v1 requires (contiguous, unfiltered, \(layout.byteCount) bytes inside the file)")])
        }
        guard let mapping else {
            throw CheckpointError.unreadable(path: path, reason: "the file could not be mapped into memory")
        }
        guard let slice = mapping.slice(offset: offset, count: layout.byteCount) else {
            throw CheckpointError.schemaViolation(path: path, problems: [CheckpointProblem(object: dataset.objectPath,
                                                                                      rule: "raw data extends past the end of the file (truncated?)")])
        }
        return slice
    }

}
