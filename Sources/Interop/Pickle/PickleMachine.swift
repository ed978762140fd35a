import Foundation

/// Resource bounds for one pickle. Every opcode that pushes counts against `maxObjects`, so the
/// memory a hostile file can make us use is bounded independently of the file size.
public struct PickleLimits: Sendable {
    public var maxNesting = 100
    public var maxStackDepth = 1 << 20
    public var maxMarkDepth = 10_000
    /// Values that allocate (containers, tensors, storages, numpy nodes) cost about 100 bytes each
    /// for one to three bytes of input, memo entries about 50 for two: 1 M of each keeps a 10 MB
    /// pickle's tree within a few hundred MB (4 M memo entries took 1 GB). A 1024² NVIDIA snapshot
    /// with its training state has tens of thousands of each.
    public var maxMemoEntries = 1 << 20
    public var maxAllocatedValues = 1 << 20
    public var maxObjects = 1 << 24
    /// The longest LONG1/LONG4 integer accepted. Checkpoints hold none over 10 bytes (torch's
    /// legacy magic number), and turning a huge one into decimal for a message or metadata costs
    /// time quadratic in its length.
    public var maxIntegerBytes = 32

    public init() {}
}

/// What a pickle may reference besides plain data.
public struct PickleOptions {
    public var limits = PickleLimits()
    /// Handles BINPERSID (torch.save storages). nil: persistent ids are refused.
    public var persistentLoad: ((PickleValue) throws -> PickleValue)?
    /// Parses `torch.storage._load_from_bytes` blobs. nil: the global is refused here.
    public var loadStorageBlob: ((ByteSlice) throws -> TorchStorage)?

    public init() {}
}

/// A restricted pickle virtual machine for protocols 2–5. It builds an inert `PickleValue` tree,
/// resolves only allow-listed globals (`PickleGlobal`) and applies them as data constructors. Every
/// opcode checks stack and mark underflow, operand types, memo indices and declared lengths against
/// the remaining input, so malformed or hostile input ends in an `InteropError`.
public enum PickleMachine {
    /// Runs the pickle that starts at the beginning of `input`; returns its value and the offset
    /// just after STOP (callers decide whether trailing bytes are allowed).
    public static func load(_ input: ByteSlice, options: PickleOptions = PickleOptions()) throws -> (value: PickleValue, end: Int) {
        var interpreter = PickleInterpreter(input: input, options: options)
        let value = try interpreter.run()
        return (value, interpreter.cursor.position)
    }

    /// Loads a pickle that must fill `input` exactly.
    public static func loadWhole(_ input: ByteSlice, options: PickleOptions = PickleOptions()) throws -> PickleValue {
        let (value, end) = try load(input, options: options)
        guard end == input.range.upperBound else {
            throw input.buffer.error("\(input.range.upperBound - end) unexpected bytes after the pickle's STOP opcode", at: end)
        }
        return value
    }
}

struct PickleInterpreter {
    var cursor: ByteCursor
    let options: PickleOptions
    var limits: PickleLimits { options.limits }
    let startOffset: Int
    private(set) var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private var pushes = 0
    private var allocatedValues = 0
    /// Bytes copied by `_codecs.encode` so far.
    var encodedBytes = 0
    var opcodeOffset = 0

    init(input: ByteSlice, options: PickleOptions) {
        self.cursor = input.cursor
        self.options = options
        self.startOffset = input.range.lowerBound
    }

    mutating func run() throws -> PickleValue {
        while true {
            opcodeOffset = cursor.position
            guard !cursor.isAtEnd else { throw cursor.error("the pickle ends without a STOP opcode") }
            let opcode = try cursor.readUInt8()
            do {
                if opcode == 0x2e { return try stop() }  // STOP '.'
                try execute(opcode)
            } catch let error as InteropError where error.location == nil {
                throw cursor.error("opcode 0x\(String(opcode, radix: 16)) \(PickleOpcodeNames.name(opcode)): \(error.message)", at: opcodeOffset)
            }
        }
    }

    private mutating func stop() throws -> PickleValue {
        guard marks.isEmpty else { throw InteropError("STOP with an unclosed MARK") }
        guard stack.count == 1 else { throw InteropError("STOP with \(stack.count) values on the stack (expected 1)") }
        return stack[0]
    }

    // MARK: stack primitives

    /// `reused`: the value is already on the stack or in the memo (DUP, GET), so it allocates nothing.
    mutating func push(_ value: PickleValue, reused: Bool = false) throws {
        pushes += 1
        guard pushes <= limits.maxObjects else { throw InteropError("more than \(limits.maxObjects) objects") }
        if !reused, value.allocates {
            allocatedValues += 1
            guard allocatedValues <= limits.maxAllocatedValues else {
                throw InteropError("more than \(limits.maxAllocatedValues) containers, tensors and storages")
            }
        }
        guard stack.count < limits.maxStackDepth else { throw InteropError("stack deeper than \(limits.maxStackDepth)") }
        stack.append(value)
    }

    /// Values above the innermost MARK are the only ones an opcode may consume, as in CPython.
    private var floor: Int { marks.last ?? 0 }

    mutating func pop() throws -> PickleValue {
        guard stack.count > floor else { throw InteropError("stack underflow") }
        return stack.removeLast()
    }

    func top() throws -> PickleValue {
        guard stack.count > floor, let value = stack.last else { throw InteropError("stack underflow") }
        return value
    }

    /// Pops everything above the innermost MARK and the MARK itself.
    mutating func popToMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw InteropError("no MARK on the stack") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    mutating func pushMark() throws {
        guard marks.count < limits.maxMarkDepth else { throw InteropError("more than \(limits.maxMarkDepth) nested MARKs") }
        marks.append(stack.count)
    }

    mutating func makeTuple(_ items: [PickleValue]) throws -> PickleValue {
        items.forEach { $0.freeze() }
        let tuple = PickleTuple(items)
        guard tuple.height <= limits.maxNesting else { throw InteropError("nesting deeper than \(limits.maxNesting) levels") }
        return .tuple(tuple)
    }

    // MARK: memo

    mutating func memoize(at index: Int) throws {
        let value = try top()
        if memo[index] == nil {
            guard memo.count < limits.maxMemoEntries else { throw InteropError("more than \(limits.maxMemoEntries) memo entries") }
        }
        memo[index] = value
    }

    var memoCount: Int { memo.count }

    mutating func memoGet(_ index: Int) throws {
        guard let value = memo[index] else { throw InteropError("memo index \(index) was never stored") }
        try push(value, reused: true)
    }

    // MARK: operand readers

    mutating func readString(length: Int) throws -> String {
        try cursor.require(length, for: "a string")
        let start = cursor.position
        guard let text = String(strictUTF8: try cursor.readSlice(length).bytes) else {
            throw cursor.error("invalid UTF-8 in a string", at: start)
        }
        return text
    }

    mutating func readLine() throws -> String {
        let bytes = cursor.peekBytes(256)
        guard let newline = bytes.firstIndex(of: 0x0a) else { throw InteropError("GLOBAL operand without a newline in 256 bytes") }
        let text = try readString(length: newline)
        try cursor.skip(1)
        return text
    }

    /// LONG1/LONG4 payload: little-endian two's complement of `count` bytes.
    mutating func readLong(count: Int) throws -> PickleValue {
        guard count <= limits.maxIntegerBytes else {
            throw InteropError("an integer of \(count) bytes is longer than the \(limits.maxIntegerBytes) bytes allowed")
        }
        let bytes = Array(try cursor.readSlice(count, for: "a long integer").bytes)
        guard let lastLow = bytes.prefix(8).last else { return .int(0) }
        let negative = lastLow & 0x80 != 0
        if bytes.count > 8 {
            let signExtension: UInt8 = negative ? 0xff : 0
            guard bytes[8...].allSatisfy({ $0 == signExtension }) else { return .bigInt(bytes) }
        }
        var value: UInt64 = negative ? .max : 0
        for (index, byte) in bytes.prefix(8).enumerated() {
            value = value & ~(UInt64(0xff) << (8 * index)) | UInt64(byte) << (8 * index)
        }
        return .int(Int64(bitPattern: value))
    }

    mutating func readLength(width: Int, signed: Bool = false) throws -> Int {
        if signed {
            let raw = Int64(try cursor.readInt32())
            guard raw >= 0 else { throw InteropError("negative length \(raw)") }
            try cursor.require(Int(raw), for: "the declared data")
            return Int(raw)
        }
        return try cursor.readLength(width: width, for: "the declared data")
    }
}

/// Opcode names for error messages (pickletools spelling).
enum PickleOpcodeNames {
    static func name(_ opcode: UInt8) -> String {
        table[opcode] ?? "(invalid)"
    }

    private static let table: [UInt8: String] = [
        0x80: "PROTO", 0x95: "FRAME", 0x2e: "STOP", 0x28: "MARK", 0x30: "POP", 0x31: "POP_MARK",
        0x32: "DUP", 0x4e: "NONE", 0x88: "NEWTRUE", 0x89: "NEWFALSE", 0x4a: "BININT", 0x4b: "BININT1",
        0x4d: "BININT2", 0x8a: "LONG1", 0x8b: "LONG4", 0x47: "BINFLOAT", 0x58: "BINUNICODE",
        0x8c: "SHORT_BINUNICODE", 0x8d: "BINUNICODE8", 0x42: "BINBYTES", 0x43: "SHORT_BINBYTES",
        0x8e: "BINBYTES8", 0x96: "BYTEARRAY8", 0x54: "BINSTRING", 0x55: "SHORT_BINSTRING",
        0x29: "EMPTY_TUPLE", 0x74: "TUPLE", 0x85: "TUPLE1", 0x86: "TUPLE2", 0x87: "TUPLE3",
        0x5d: "EMPTY_LIST", 0x6c: "LIST", 0x61: "APPEND", 0x65: "APPENDS", 0x7d: "EMPTY_DICT",
        0x64: "DICT", 0x73: "SETITEM", 0x75: "SETITEMS", 0x8f: "EMPTY_SET", 0x90: "ADDITEMS",
        0x91: "FROZENSET", 0x63: "GLOBAL", 0x93: "STACK_GLOBAL", 0x52: "REDUCE", 0x62: "BUILD",
        0x81: "NEWOBJ", 0x92: "NEWOBJ_EX", 0x71: "BINPUT", 0x72: "LONG_BINPUT", 0x94: "MEMOIZE",
        0x68: "BINGET", 0x6a: "LONG_BINGET", 0x51: "BINPERSID", 0x50: "PERSID", 0x69: "INST",
        0x6f: "OBJ", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", 0x97: "NEXT_BUFFER",
        0x98: "READONLY_BUFFER", 0x49: "INT", 0x4c: "LONG", 0x53: "STRING", 0x56: "UNICODE",
        0x46: "FLOAT", 0x70: "PUT", 0x67: "GET",
    ]
}
