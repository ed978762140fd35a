import Foundation
import Checkpoint

/// An inert value built by `PickleMachine`. Nothing in here can run code: allow-listed globals
/// become typed nodes (`module`, `tensor`, `storage`, …) and everything else is plain data.
///
/// Containers are classes because pickle's memo needs reference semantics (a dict is memoized
/// when empty and filled afterwards). A container is frozen once it is stored inside another
/// value, which rules out cycles and keeps every nesting height exact (see `PickleContainer`).
public enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer that does not fit in Int64: little-endian two's-complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    /// Zero-copy bytes of the input.
    case bytes(ByteSlice)
    case tuple(PickleTuple)
    case list(PickleList)
    case dict(PickleDict)
    case set(PickleSet)
    /// An allow-listed callable that has not been applied yet.
    case global(PickleGlobal)
    /// `torch_utils.persistence._reconstruct_persistent_obj(meta)`: class name and instance state.
    case module(PersistentModule)
    /// An instance of an allow-listed plain class (argparse.Namespace, TF Network) with its state.
    case object(PickleObject)
    case storage(TorchStorage)
    case tensor(TorchTensor)
    case numpyDType(NumpyDTypeNode)
    case ndarray(NumpyArrayNode)

    /// Nesting height: 0 for scalars. Bounded by `PickleLimits.maxNesting`, so walking or
    /// releasing a tree never recurses deeper than that.
    var height: Int {
        switch self {
        case .tuple(let tuple): return tuple.height
        case .list(let container as PickleContainer), .dict(let container as PickleContainer),
             .set(let container as PickleContainer), .object(let container as PickleContainer):
            return container.height
        case .module(let module): return module.state.height + 1
        default: return 0
        }
    }

    /// True for values that own heap memory (scalars, strings and bytes of the input do not count:
    /// their size is bounded by the input's).
    var allocates: Bool {
        switch self {
        case .tuple, .list, .dict, .set, .object, .module, .storage, .tensor, .numpyDType, .ndarray: return true
        default: return false
        }
    }

    /// Short type name for error messages.
    public var typeName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .set: return "set"
        case .global(let global): return "global \(global.qualifiedName)"
        case .module(let module): return "persistent module \(module.className)"
        case .object(let object): return object.className
        case .storage: return "torch storage"
        case .tensor: return "tensor"
        case .numpyDType: return "numpy dtype"
        case .ndarray: return "numpy ndarray"
        }
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var dictValue: PickleDict? { if case .dict(let d) = self { return d } else { return nil } }
    public var tensorValue: TorchTensor? { if case .tensor(let t) = self { return t } else { return nil } }
    public var moduleValue: PersistentModule? { if case .module(let m) = self { return m } else { return nil } }
    public var isNone: Bool { if case .none = self { return true } else { return false } }

    public var intValue: Int? {
        switch self {
        case .int(let value): return Int(exactly: value)
        case .bool(let value): return value ? 1 : 0
        default: return nil
        }
    }

    /// Python numbers as Double (int, float, bool).
    public var doubleValue: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .float(let value): return value
        case .bool(let value): return value ? 1 : 0
        default: return nil
        }
    }

    /// Items of a tuple or list.
    public var sequence: [PickleValue]? {
        switch self {
        case .tuple(let tuple): return tuple.items
        case .list(let list): return list.items
        default: return nil
        }
    }
}

public struct PickleTuple {
    public let items: [PickleValue]
    let height: Int

    init(_ items: [PickleValue]) {
        self.items = items
        self.height = 1 + (items.map(\.height).max() ?? 0)
    }
}

/// Shared behaviour of the mutable containers: a frozen flag and the nesting height.
public class PickleContainer {
    /// Set when the container is stored inside another value; later mutation is refused, which
    /// rules out cycles (pickle.dump only emits those for self-referencing objects).
    fileprivate(set) var isFrozen = false
    fileprivate(set) var height = 1

    /// Called by the machine before every mutation with the value about to be stored.
    func admit(_ value: PickleValue, limit: Int) throws -> PickleValue {
        guard !isFrozen else {
            throw InteropError("a container was modified after it was stored in another one (recursive structures are not supported)")
        }
        guard value.container !== self else { throw InteropError("a container cannot contain itself") }
        value.freeze()
        let newHeight = max(height, value.height + 1)
        guard newHeight <= limit else { throw InteropError("nesting deeper than \(limit) levels") }
        height = newHeight
        return value
    }
}

extension PickleValue {
    fileprivate var container: PickleContainer? {
        switch self {
        case .list(let c as PickleContainer), .dict(let c as PickleContainer),
             .set(let c as PickleContainer), .object(let c as PickleContainer):
            return c
        default: return nil
        }
    }

    /// Freezes the value if it is a container. Containers inside tuples and modules were frozen
    /// when those were built, so this never needs to walk (and cannot be made to walk a shared
    /// structure repeatedly).
    func freeze() {
        container?.isFrozen = true
    }
}

public final class PickleList: PickleContainer {
    public private(set) var items: [PickleValue] = []

    func append(_ value: PickleValue, limit: Int) throws {
        items.append(try admit(value, limit: limit))
    }
}

/// A hashable image of the Python values that can be dict keys or set members. Keys are small
/// in every format read here, so large or nested ones are refused rather than hashed again and
/// again: a memoized key can be reused by every SETITEM, so a key of n bytes costs n per few bytes
/// of input. `maxBytes` bounds a whole key, tuple items together; the longest real key, a tensor
/// name, is under 100 bytes.
enum PickleKey: Hashable {
    case none, int(Int64), bigInt([UInt8]), float(Double), string(String), bytes(ContentKey), tuple([PickleKey])

    /// Bytes compared and hashed by content without copying them: a tuple key of memoized bytes
    /// would otherwise store a fresh copy of every item for a few bytes of input.
    struct ContentKey: Hashable {
        let slice: ByteSlice

        static func == (left: ContentKey, right: ContentKey) -> Bool { left.slice.bytes.elementsEqual(right.slice.bytes) }
        func hash(into hasher: inout Hasher) { hasher.combine(bytes: slice.bytes) }
    }

    static let maxBytes = 256
    static let maxTupleItems = 16

    init(_ value: PickleValue) throws {
        guard Self.hashedBytes(value) <= Self.maxBytes else {
            throw InteropError("unsupported dict key or set member (\(value.typeName), large or nested)")
        }
        try self.init(checked: value)
    }

    private init(checked value: PickleValue) throws {
        switch value {
        case .none: self = .none
        case .bool(let flag): self = .int(flag ? 1 : 0)  // Python: True == 1
        case .int(let number): self = .int(number)
        case .bigInt(let bytes): self = .bigInt(bytes)
        case .float(let number):
            if let exact = Int64(exactly: number) { self = .int(exact) } else { self = .float(number) }
        case .string(let text): self = .string(text)
        case .bytes(let slice): self = .bytes(ContentKey(slice: slice))
        case .tuple(let tuple): self = .tuple(try tuple.items.map { try PickleKey(checked: $0) })
        default: throw InteropError("unsupported dict key or set member (\(value.typeName))")
        }
    }

    /// What hashing `value` reads; a tuple inside a tuple, or one of too many items, counts as too much.
    private static func hashedBytes(_ value: PickleValue, nested: Bool = false) -> Int {
        switch value {
        case .string(let text): return text.utf8.count
        case .bytes(let slice): return slice.count
        case .bigInt(let bytes): return bytes.count
        case .tuple(let tuple) where !nested && tuple.items.count <= maxTupleItems:
            return tuple.items.reduce(0) { $0 + hashedBytes($1, nested: true) }
        case .tuple: return maxBytes + 1
        default: return 8
        }
    }
}

/// dict, collections.OrderedDict and dnnlib EasyDict: insertion-ordered, Python key equality.
public final class PickleDict: PickleContainer {
    public enum Flavor { case plain, ordered, easy }
    public let flavor: Flavor
    public private(set) var items: [(key: PickleValue, value: PickleValue)] = []
    private var index: [PickleKey: Int] = [:]

    init(flavor: Flavor) { self.flavor = flavor }

    func set(_ key: PickleValue, _ value: PickleValue, limit: Int) throws {
        let hashKey = try PickleKey(key)
        let stored = try admit(value, limit: limit)
        if let position = index[hashKey] {
            items[position].value = stored
        } else {
            index[hashKey] = items.count
            items.append((try admit(key, limit: limit), stored))
        }
    }

    public subscript(key: String) -> PickleValue? {
        index[.string(key)].map { items[$0].value }
    }

    public var count: Int { items.count }
    public var keys: [PickleValue] { items.map(\.key) }
}

public final class PickleSet: PickleContainer {
    public private(set) var items: [PickleValue] = []
    private var members: Set<PickleKey> = []

    func insert(_ value: PickleValue, limit: Int) throws {
        guard members.insert(try PickleKey(value)).inserted else { return }
        items.append(try admit(value, limit: limit))
    }
}

/// An instance of an allow-listed plain class; BUILD sets its attributes.
public final class PickleObject: PickleContainer {
    public let className: String
    public private(set) var attributes: PickleDict?

    init(className: String) { self.className = className }

    func build(_ state: PickleValue, limit: Int) throws {
        guard attributes == nil else { throw InteropError("\(className) was built twice") }
        guard case .dict(let dict) = try admit(state, limit: limit) else {
            throw InteropError("\(className) state must be a dict, got \(state.typeName)")
        }
        attributes = dict
    }
}

/// A network module from an NVIDIA pickle. Its `module_src` is never looked at.
public final class PersistentModule {
    public let className: String
    public let state: PickleDict

    init(className: String, state: PickleDict) {
        self.className = className
        self.state = state
    }
}
