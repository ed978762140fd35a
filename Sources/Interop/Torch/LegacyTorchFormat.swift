import Foundation
import Checkpoint

/// The storage reference inside a torch.save persistent id:
/// `('storage', <torch.XStorage>, key, location, numel)` in zip files, plus a sixth
/// `view_metadata` field (None or `(view_key, offset, view_numel)`) in the legacy format.
struct TorchPersistentID {
    let dtype: DType
    let key: String
    let elementCount: Int
    let view: (key: String, offset: Int, count: Int)?

    init(_ value: PickleValue, legacy: Bool) throws {
        let expected = legacy ? 6 : 5
        guard case .tuple(let tuple) = value, tuple.items.count == expected else {
            throw InteropError("persistent id must be a \(expected)-tuple ('storage', type, key, location, numel\(legacy ? ", view" : ""))")
        }
        let items = tuple.items
        guard items[0].stringValue == "storage" else { throw InteropError("persistent id is not a storage reference") }
        guard case .global(.storageType(let dtype)) = items[1] else {
            throw InteropError("persistent id names \(items[1].typeName) instead of a torch storage type")
        }
        guard let key = items[2].stringValue, items[3].stringValue != nil, let count = items[4].intValue, count >= 0 else {
            throw InteropError("persistent id needs a string key, a string location and a non-negative element count")
        }
        self.dtype = dtype
        self.key = key
        self.elementCount = count
        if legacy, let fields = items[5].sequence {
            guard fields.count == 3, let viewKey = fields[0].stringValue, let offset = fields[1].intValue,
                  let viewCount = fields[2].intValue, offset >= 0, viewCount >= 0 else {
                throw InteropError("storage view metadata must be (key, offset, numel)")
            }
            view = (viewKey, offset, viewCount)
        } else if legacy, !items[5].isNone {
            throw InteropError("storage view metadata must be None or a tuple")
        } else {
            view = nil
        }
    }
}

/// The pre-zip `torch.save` stream (docs/foreign-formats.md §4.2): magic, protocol 1001, sys info, the object
/// pickle, the storage key list, then per key an int64 element count and the raw data. NVIDIA
/// pickles embed one such stream per tensor (`torch.storage._load_from_bytes`); old `.pt` files
/// are one stream as a whole.
enum LegacyTorchFormat {
    static let magic: [UInt8] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]
    /// What a legacy stream starts with: PROTO 2, LONG1 of 10 bytes, then the magic.
    static let prefix: [UInt8] = [0x80, 0x02, 0x8a, 0x0a] + magic

    /// Reads a whole legacy stream that must fill `input`.
    static func read(_ input: ByteSlice, options: PickleOptions, budget: MaterializationBudget) throws -> PickleValue {
        var cursor = input.cursor
        var plain = options
        plain.persistentLoad = nil
        plain.loadStorageBlob = nil
        try readHeader(&cursor, input: input, options: plain)

        var registry = StorageRegistry(budget: budget)
        var objectOptions = options
        objectOptions.persistentLoad = { try registry.resolve($0) }
        let object = try next(&cursor, input: input, options: objectOptions)
        let keys = try next(&cursor, input: input, options: plain)
        try readData(&cursor, keys: keys, registry: registry)
        guard cursor.isAtEnd else {
            throw cursor.error("\(cursor.remaining) unexpected bytes after the last storage record")
        }
        try InteropError.attributing(to: input.buffer.location) { try registry.finish() }
        return object
    }

    /// `torch.storage._load_from_bytes(blob)`: a legacy stream holding exactly one storage.
    static func storageBlob(_ blob: ByteSlice, limits: PickleLimits, budget: MaterializationBudget) throws -> TorchStorage {
        var options = PickleOptions()
        options.limits = limits
        guard case .storage(let storage) = try read(blob, options: options, budget: budget) else {
            throw blob.cursor.error("an embedded storage blob does not hold a storage")
        }
        return storage
    }

    private static func next(_ cursor: inout ByteCursor, input: ByteSlice, options: PickleOptions) throws -> PickleValue {
        let rest = input.buffer.slice(cursor.position..<input.range.upperBound)
        let (value, end) = try PickleMachine.load(rest, options: options)
        try cursor.seek(to: end)
        return value
    }

    private static func readHeader(_ cursor: inout ByteCursor, input: ByteSlice, options: PickleOptions) throws {
        let start = cursor.position
        guard case .bigInt(let number) = try next(&cursor, input: input, options: options), number == magic else {
            throw cursor.error("not a legacy torch.save stream (wrong magic number)", at: start)
        }
        let versionStart = cursor.position
        guard try next(&cursor, input: input, options: options).intValue == 1001 else {
            throw cursor.error("unsupported legacy torch.save protocol version (1001 expected)", at: versionStart)
        }
        let infoStart = cursor.position
        guard let info = try next(&cursor, input: input, options: options).dictValue else {
            throw cursor.error("legacy torch.save system info is not a dict", at: infoStart)
        }
        if case .bool(false) = info["little_endian"] ?? .bool(true) {
            throw cursor.error("big-endian legacy torch.save files are not supported", at: infoStart)
        }
    }

    private static func readData(_ cursor: inout ByteCursor, keys: PickleValue, registry: StorageRegistry) throws {
        guard let keyList = keys.sequence else { throw cursor.error("legacy storage key list is not a list") }
        for item in keyList {
            let recordStart = cursor.position
            guard let key = item.stringValue, let storage = registry.roots[key] else {
                throw cursor.error("storage key list names \(item.stringValue.map { "'\($0)'" } ?? item.typeName), which the object never referenced", at: recordStart)
            }
            let count = try cursor.readInt64()
            guard count == storage.elementCount else {
                throw cursor.error("storage '\(key)' record has \(count) elements, the object declared \(storage.elementCount)", at: recordStart)
            }
            let data = try cursor.readSlice(storage.byteCount, for: "storage '\(key)' data")
            try InteropError.attributing(to: cursor.buffer.location) { try storage.attach(data) }
        }
    }
}

/// Storages declared by persistent ids; views are attached to their root after the data is read.
private struct StorageRegistry {
    let budget: MaterializationBudget
    private(set) var roots: [String: TorchStorage] = [:]
    private var views: [(storage: TorchStorage, root: String, offset: Int)] = []

    init(budget: MaterializationBudget) { self.budget = budget }

    mutating func resolve(_ identifier: PickleValue) throws -> PickleValue {
        let id = try TorchPersistentID(identifier, legacy: true)
        let root = try rootStorage(id)
        guard let view = id.view else { return .storage(root) }
        let storage = try TorchStorage(key: view.key, dtype: id.dtype, elementCount: view.count, budget: budget)
        guard view.offset <= root.elementCount, view.count <= root.elementCount - view.offset else {
            throw InteropError("storage view '\(view.key)' reaches outside storage '\(id.key)'")
        }
        views.append((storage, id.key, view.offset))
        return .storage(storage)
    }

    private mutating func rootStorage(_ id: TorchPersistentID) throws -> TorchStorage {
        if let existing = roots[id.key] {
            guard existing.dtype == id.dtype, existing.elementCount == id.elementCount else {
                throw InteropError("storage '\(id.key)' is declared twice with different types or sizes")
            }
            return existing
        }
        let storage = try TorchStorage(key: id.key, dtype: id.dtype, elementCount: id.elementCount, budget: budget)
        roots[id.key] = storage
        return storage
    }

    func finish() throws {
        for storage in roots.values where storage.bytes == nil {
            throw InteropError("storage '\(storage.key)' has no data record")
        }
        for view in views {
            let root = roots[view.root]!
            let width = root.dtype.byteSize
            try view.storage.attach(root.bytes!.slice((view.offset * width)..<((view.offset + view.storage.elementCount) * width)))
        }
    }
}
