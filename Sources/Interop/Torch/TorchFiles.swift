import Foundation

/// Readers for the pickle-based files: `torch.save` (zip and legacy) and plain pickles such as
/// NVIDIA network snapshots. All of them return an inert `PickleValue` tree whose tensors are
/// zero-copy views of the mapped file.
public enum TorchFiles {
    static let zipMagic: [UInt8] = [0x50, 0x4b, 0x03, 0x04]

    /// Reads a `torch.save` file in either format.
    public static func readTorchSave(_ buffer: ByteBuffer, limits: PickleLimits = PickleLimits()) throws -> PickleValue {
        let budget = MaterializationBudget(sourceBytes: buffer.count)
        if buffer.whole.hasPrefix(zipMagic) { return try readZip(try ZipArchive(buffer: buffer), limits: limits, budget: budget) }
        guard buffer.whole.hasPrefix(LegacyTorchFormat.prefix) else {
            throw buffer.error("not a torch.save file (neither a zip archive nor a legacy torch.save stream)", at: 0)
        }
        var options = PickleOptions()
        options.limits = limits
        return try LegacyTorchFormat.read(buffer.whole, options: options, budget: budget)
    }

    /// Reads a plain pickle (protocol 2–5) that may embed torch storages with
    /// `torch.storage._load_from_bytes`, as NVIDIA network pickles do.
    public static func readPickle(_ buffer: ByteBuffer, limits: PickleLimits = PickleLimits()) throws -> PickleValue {
        var options = PickleOptions()
        options.limits = limits
        let budget = MaterializationBudget(sourceBytes: buffer.count)
        // A memoized blob can be handed to _load_from_bytes again and again; parsing each one once
        // keeps the work linear in the file size.
        var parsed: [BlobIdentity: TorchStorage] = [:]
        options.loadStorageBlob = { blob in
            let identity = BlobIdentity(buffer: ObjectIdentifier(blob.buffer), range: blob.range)
            if let storage = parsed[identity] { return storage }
            let storage = try LegacyTorchFormat.storageBlob(blob, limits: limits, budget: budget)
            parsed[identity] = storage
            return storage
        }
        return try PickleMachine.loadWhole(buffer.whole, options: options)
    }

    /// A torch.save zip: `<prefix>/data.pkl` plus one `<prefix>/data/<key>` member per storage.
    static func readZip(_ archive: ZipArchive, limits: PickleLimits, budget: MaterializationBudget) throws -> PickleValue {
        let buffer = archive.buffer
        guard let first = archive.entries.first, let slash = first.name.firstIndex(of: "/") else {
            throw buffer.error("not a torch.save archive (its first member has no '<archive>/' prefix)", at: 0)
        }
        let prefix = String(first.name[..<slash])
        guard let pickleEntry = archive.entry(named: "\(prefix)/data.pkl") else {
            throw buffer.error("not a torch.save archive (no \(prefix)/data.pkl)", at: 0)
        }
        if let order = archive.entry(named: "\(prefix)/byteorder") {
            // `.data` keeps an inflated member's heap buffer alive while it is decoded.
            let text = String(decoding: try archive.contents(of: order, budget: budget).data, as: UTF8.self)
            guard text == "little" else { throw buffer.error("byte order '\(text)' is not supported", at: order.dataRange.lowerBound) }
        }
        var storages: [String: TorchStorage] = [:]
        var options = PickleOptions()
        options.limits = limits
        options.persistentLoad = { identifier in
            let id = try TorchPersistentID(identifier, legacy: false)
            if let existing = storages[id.key] {
                guard existing.dtype == id.dtype, existing.elementCount == id.elementCount else {
                    throw InteropError("storage '\(id.key)' is referenced with different types or sizes")
                }
                return .storage(existing)
            }
            guard let member = archive.entry(named: "\(prefix)/data/\(id.key)") else {
                throw InteropError("storage '\(id.key)' has no member \(prefix)/data/\(id.key)")
            }
            let storage = try TorchStorage(key: id.key, dtype: id.dtype, elementCount: id.elementCount, budget: budget)
            try storage.attach(try archive.contents(of: member, budget: budget))
            storages[id.key] = storage
            return .storage(storage)
        }
        return try PickleMachine.loadWhole(try archive.contents(of: pickleEntry, budget: budget), options: options)
    }
}

/// Which bytes a blob is. Parsed storages keep their blob's buffer alive, so the identifier
/// cannot be reused by another buffer while it is a key.
private struct BlobIdentity: Hashable {
    let buffer: ObjectIdentifier
    let range: Range<Int>
}
