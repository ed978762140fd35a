import CHDF5
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How long each step of `commit()` took, for benchmarks that report durable and non-durable writes.
public struct CommitTimings: Sendable {
    public var flushAndClose: Duration
    public var fileSync: Duration
    public var rename: Duration
    public var directorySync: Duration
    public var total: Duration { flushAndClose + fileSync + rename + directorySync }
}

/// Writes a checkpoint atomically: everything goes to `.<name>.tmp-<pid>-<random>` next to the target,
/// and only `commit()` (flush, close, fsync, rename, fsync of the folder) makes it appear under the
/// target name. If the writer is aborted, dropped, or any write throws, the temporary file is removed
/// and the target (new or existing) is untouched. Tensors are written as they arrive, so memory stays
/// bounded by one tensor. Not thread-safe.
public final class CheckpointWriter {
    public let path: String
    public let temporaryPath: String
    /// Stored at commit, so it may still be adjusted after tensors were written.
    public var architectureDocument: JSONValue
    /// When false, commit skips both fsyncs (faster, but a power loss may lose the new file).
    public let durable: Bool
    public private(set) var provenance: [ProvenanceRecord] = []

    private enum State { case open, committed, aborted }
    private var state = State.open
    private var file: H5Handle?
    /// Groups created so far, by HDF5 path; each tracks link creation order.
    private var groups: [String: H5Handle] = [:]
    private let orderedGroups: H5Handle
    private let createdBy: String
    private let createdAt: Date

    /// `architectureDocument`: the `/architecture` JSON object, written by the module that knows the
    /// architecture (Networks' `CheckpointWriter(path:architecture:)` for StyleGAN2).
    public init(path: String, architectureDocument: JSONValue, durable: Bool = true,
                createdBy: String = CheckpointFormat.toolVersion, createdAt: Date = Date()) throws {
        self.path = path
        self.architectureDocument = architectureDocument
        self.durable = durable
        self.createdBy = createdBy
        self.createdAt = createdAt
        let target = URL(fileURLWithPath: path)
        let unique = "\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        temporaryPath = target.deletingLastPathComponent().appendingPathComponent(CheckpointWriter.temporaryPrefix(target) + unique).path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CheckpointError.writeFailed(path: path, reason: "is a directory")
        }
        // A writer killed before commit (SIGKILL, power loss) leaves its temporary file; the next write of
        // the same target clears those whose process is gone, so crashes do not pile up litter.
        CheckpointWriter.removeAbandonedTemporaryFiles(for: path)
        do {
            orderedGroups = try HDF5.orderedGroupProperties()
            file = try CheckpointWriter.createFile(temporaryPath)
        } catch {
            unlink(temporaryPath)
            throw CheckpointWriter.failure(path, error)
        }
        try perform { _ = try group("/networks") }
    }

    private static func createFile(_ path: String) throws -> H5Handle {
        let access = try HDF5.propertyList(toon_H5P_FILE_ACCESS())
        // Large raw data starts on 64-byte boundaries, which memory-mapping readers (and SIMD loads) like.
        try h5("set alignment") { H5Pset_alignment(access.id, 1024, 64) }
        try h5("set close degree") { H5Pset_fclose_degree(access.id, H5F_CLOSE_STRONG) }
        return try HDF5.openFile("create \(path)") { H5Fcreate(path, toon_H5F_ACC_EXCL(), h5Default, access.id) }
    }

    deinit { abort() }

    // MARK: content

    /// Writes one tensor now: contiguous, unfiltered, little-endian, with kind, trainable and sha256.
    public func write(network: String, entry: TensorEntry) throws {
        try perform {
            try CheckpointWriter.checkName(network, what: "network name", pattern: .network)
            try CheckpointWriter.checkName(entry.name, what: "tensor name", pattern: .link)
            let group = try self.group("/networks/\(network)")
            let dataset = try writeDataset(group, entry.name, entry.data, objectPath: "/networks/\(network)/\(entry.name)")
            try HDF5.writeAttribute(dataset.handle, "kind", string: entry.kind.rawValue)
            try HDF5.writeAttribute(dataset.handle, "trainable", flag: entry.trainable)
            try HDF5.writeAttribute(dataset.handle, "sha256", string: dataset.sha256)
        }
    }

    public func appendProvenance(_ record: ProvenanceRecord) {
        provenance.append(record)
    }

    /// Carries an input's log forward (call before appending this operation's own record).
    public func appendProvenance(contentsOf records: [ProvenanceRecord]) {
        provenance += records
    }

    /// A named scalar of the training state, stored as an int64 or float64 attribute of `/training`.
    public func writeTrainingScalar(_ name: String, _ value: TrainingScalar) throws {
        try perform {
            let training = try group("/training")
            switch value {
            case .integer(let integer): try HDF5.writeAttribute(training, name, integer: integer)
            case .real(let real): try HDF5.writeAttribute(training, name, real: real)
            }
        }
    }

    /// The JSON document of the training state (`/training/state`): options, RNG state, optimizer scalars.
    public func writeTrainingState(_ state: JSONValue) throws {
        try perform {
            try HDF5.writeStringDataset(try group("/training"), "state", strings: [state.serialized()], scalar: true)
        }
    }

    /// Per-tensor training state under `/training/tensors/<name>`; `name` may contain `/` (e.g. `adam/G/mapping.fc0.weight/m`).
    public func writeTrainingTensor(name: String, data: TensorData) throws {
        try perform {
            let components = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            for component in components { try CheckpointWriter.checkName(component, what: "training tensor path component", pattern: .link) }
            var parent = "/training/tensors"
            for component in components.dropLast() { parent += "/\(component)" }
            let dataset = try writeDataset(try group(parent), components.last!, data, objectPath: "/training/tensors/\(name)")
            try HDF5.writeAttribute(dataset.handle, "sha256", string: dataset.sha256)
        }
    }

    /// Imported metadata kept as a JSON document at `/extra/<name>` (e.g. `training_set_kwargs`).
    public func writeExtra(name: String, _ value: JSONValue) throws {
        try perform {
            try CheckpointWriter.checkName(name, what: "extra name", pattern: .link)
            try HDF5.writeStringDataset(try group("/extra"), name, strings: [value.serialized()], scalar: true)
        }
    }

    /// Streams everything of `reader` into this checkpoint: networks (all or the named ones, in stored
    /// order), training state, extra metadata and the provenance log. Data is verified against its checksum
    /// on the way, so a copy never launders bit rot.
    public func copyContents(of reader: CheckpointReader, networks: [String]? = nil) throws {
        for network in networks ?? reader.networkNames {
            for name in try reader.tensorNames(network: network) {
                try write(network: network, entry: try reader.readTensor(network: network, name: name, verifyChecksum: true))
            }
        }
        for (name, value) in reader.trainingScalars.sorted(by: { $0.key < $1.key }) { try writeTrainingScalar(name, value) }
        if let state = reader.trainingState { try writeTrainingState(state) }
        for name in reader.trainingTensorNames {
            try writeTrainingTensor(name: name, data: try reader.readTrainingTensor(name: name, verifyChecksum: true))
        }
        for name in reader.extraNames { try writeExtra(name: name, reader.extra(name)!) }
        appendProvenance(contentsOf: reader.provenance)
    }

    // MARK: commit / abort

    /// Makes the checkpoint appear under `path`, replacing any previous file in one rename.
    @discardableResult
    public func commit() throws -> CommitTimings {
        let clock = ContinuousClock()
        var timings = CommitTimings(flushAndClose: .zero, fileSync: .zero, rename: .zero, directorySync: .zero)
        try perform {
            try writeRootObjects()
            timings.flushAndClose = try clock.measure {
                groups.removeAll()
                try h5("flush \(temporaryPath)") { H5Fflush(file!.id, H5F_SCOPE_GLOBAL) }
                try file!.close("close \(temporaryPath)")
                file = nil
            }
            if durable { timings.fileSync = try clock.measure { try FileSync.sync(path: temporaryPath, directory: false) } }
            timings.rename = try clock.measure {
                guard rename(temporaryPath, path) == 0 else { throw FileSync.posixError(path, "rename from \(temporaryPath)") }
            }
            state = .committed
        }
        if durable {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            timings.directorySync = try clock.measure {
                do { try FileSync.sync(path: folder, directory: true) } catch { throw CheckpointWriter.failure(path, error) }
            }
        }
        return timings
    }

    /// Discards everything written so far; the target is left as it was. Safe to call more than once.
    public func abort() {
        guard state == .open else { return }
        state = .aborted
        groups.removeAll()
        if let file { try? file.close("close \(temporaryPath)") }
        file = nil
        unlink(temporaryPath)
    }

    /// Deletes the temporary files that writers killed before commit or abort left next to `path`
    /// (`.<name>.tmp-<pid>-*` whose process no longer exists). Returns what was removed.
    @discardableResult
    public static func removeAbandonedTemporaryFiles(for path: String) -> [String] {
        let target = URL(fileURLWithPath: path)
        let folder = target.deletingLastPathComponent()
        let prefix = temporaryPrefix(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.compactMap { name in
            guard name.hasPrefix(prefix), let pid = Int32(name.dropFirst(prefix.count).prefix { $0 != "-" }),
                  !processExists(pid) else { return nil }
            let abandoned = folder.appendingPathComponent(name).path
            return unlink(abandoned) == 0 ? abandoned : nil
        }
    }

    private static func temporaryPrefix(_ target: URL) -> String { ".\(target.lastPathComponent).tmp-" }

    private static func processExists(_ pid: Int32) -> Bool {
        pid == getpid() || kill(pid, 0) == 0 || errno == EPERM
    }

    // MARK: helpers

    /// Runs one writing step; any error aborts the writer, so a failed checkpoint can never be committed.
    private func perform(_ step: () throws -> Void) throws {
        guard state == .open else {
            throw CheckpointError.writeFailed(path: path, reason: state == .committed ? "already committed" : "aborted after an earlier error")
        }
        do {
            try step()
        } catch {
            abort()
            throw CheckpointWriter.failure(path, error)
        }
    }

    private static func failure(_ path: String, _ error: Error) -> CheckpointError {
        if let error = error as? CheckpointError { return error }
        return .writeFailed(path: path, reason: "\(error)")
    }

    private func writeDataset(_ group: H5Handle, _ name: String, _ data: TensorData, objectPath: String) throws -> (handle: H5Handle, sha256: String) {
        let expected = try TensorData.elementCount(data.shape) * data.dtype.byteSize
        guard data.bytes.count == expected else {
            throw CheckpointError.invalidArgument("\(objectPath): \(data.bytes.count) bytes for shape \(data.shape) of \(data.dtype.rawValue), expected \(expected)")
        }
        guard try !HDF5.linkExists(group, name) else {
            throw CheckpointError.invalidArgument("\(objectPath) is written twice")
        }
        guard data.bytes.count >= CheckpointWriter.overlapThreshold else {
            return (try HDF5.writeTensor(group, name, data), Checksum.sha256Hex(data.bytes))
        }
        // Hashing and writing read the same buffer; doing them on two cores hides the hash behind the I/O.
        var sha256 = ""
        var written: Result<H5Handle, Error> = .failure(CheckpointError.invalidArgument("\(objectPath) was not written"))
        DispatchQueue.concurrentPerform(iterations: 2) { task in
            if task == 0 {
                sha256 = Checksum.sha256Hex(data.bytes)
            } else {
                written = Result { try HDF5.writeTensor(group, name, data) }
            }
        }
        return (try written.get(), sha256)
    }

    /// Below this many bytes a second thread costs more than the hash it hides.
    private static let overlapThreshold = 1 << 20

    /// Opens (creating as needed, with creation order tracked) the group at an absolute HDF5 path.
    private func group(_ groupPath: String) throws -> H5Handle {
        if let cached = groups[groupPath] { return cached }
        let components = groupPath.split(separator: "/").map(String.init)
        var parent = try HDF5.openGroup(file!, "/")
        var current = ""
        for component in components {
            current += "/\(component)"
            if let cached = groups[current] {
                parent = cached
                continue
            }
            let child = try HDF5.linkExists(parent, component)
                ? try HDF5.openGroup(parent, component)
                : try HDF5.createGroup(parent, component, properties: orderedGroups)
            groups[current] = child
            parent = child
        }
        return parent
    }

    private func writeRootObjects() throws {
        let root = try HDF5.openGroup(file!, "/")
        try HDF5.writeAttribute(root, "format", string: CheckpointFormat.name)
        try HDF5.writeAttribute(root, "format_version", string: CheckpointFormat.version.description)
        try HDF5.writeAttribute(root, "created_by", string: createdBy)
        try HDF5.writeAttribute(root, "created_at", string: Timestamp.iso8601(createdAt))
        try HDF5.writeStringDataset(root, "architecture", strings: [architectureDocument.serialized()], scalar: true)
        let records = provenance.map { JSONText.encode($0, pretty: false) }
        try HDF5.writeStringDataset(root, "provenance", strings: records, scalar: false)
    }

    enum NamePattern { case network, link }

    /// The writer refuses what the schema would reject, so a written file always validates.
    static func checkName(_ name: String, what: String, pattern: NamePattern) throws {
        let valid: Bool
        switch pattern {
        case .network:
            valid = !name.isEmpty && name.unicodeScalars.enumerated().allSatisfy { index, scalar in
                scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "_" || (index > 0 && (scalar == "." || scalar == "-")))
            }
        case .link:
            valid = !name.isEmpty && !name.hasPrefix(".") && !name.contains("/")
        }
        guard valid else { throw CheckpointError.invalidArgument("invalid \(what) \"\(name)\"") }
    }
}

/// fsync of a file or a folder (the folder entry makes the rename itself durable).
enum FileSync {
    static func sync(path: String, directory: Bool) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0))
        guard descriptor >= 0 else { throw posixError(path, "open for fsync") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw posixError(path, "fsync") }
    }

    static func posixError(_ path: String, _ operation: String) -> CheckpointError {
        .writeFailed(path: path, reason: "\(operation) failed: \(String(cString: strerror(errno)))")
    }
}
