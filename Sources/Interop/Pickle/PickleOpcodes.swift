import Foundation

extension PickleInterpreter {
    mutating func execute(_ opcode: UInt8) throws {
        if try executeScalar(opcode) { return }
        if try executeContainer(opcode) { return }
        if try executeStackAndMemo(opcode) { return }
        if try executeCall(opcode) { return }
        throw InteropError(Self.refusal(opcode))
    }

    private static func refusal(_ opcode: UInt8) -> String {
        switch opcode {
        case 0x69, 0x6f: return "INST/OBJ call classes by name and are refused"
        case 0x82, 0x83, 0x84: return "extension-registry opcodes (EXT1/2/4) are refused"
        case 0x50: return "text persistent ids (PERSID) are refused"
        case 0x97, 0x98: return "out-of-band buffers (protocol 5) are not supported"
        case 0x49, 0x4c, 0x53, 0x56, 0x46, 0x70, 0x67:
            return "protocol 0/1 text opcodes are not supported (only protocols 2–5)"
        default: return "invalid opcode"
        }
    }

    /// Numbers, strings, bytes, None/True/False, PROTO and FRAME.
    private mutating func executeScalar(_ opcode: UInt8) throws -> Bool {
        switch opcode {
        case 0x80:  // PROTO
            let version = try cursor.readUInt8()
            guard opcodeOffset == startOffset else {
                throw InteropError("PROTO is only allowed as the first opcode")
            }
            guard (2...5).contains(version) else { throw InteropError("unsupported pickle protocol \(version) (2–5 are)") }
        case 0x95:  // FRAME: only a buffering hint, but its length must fit
            _ = try cursor.readLength(width: 8, for: "FRAME")
        case 0x4e: try push(.none)
        case 0x88: try push(.bool(true))
        case 0x89: try push(.bool(false))
        case 0x4a: try push(.int(Int64(try cursor.readInt32())))
        case 0x4b: try push(.int(Int64(try cursor.readUInt8())))
        case 0x4d: try push(.int(Int64(try cursor.readUInt16())))
        case 0x8a: try push(try readLong(count: Int(try cursor.readUInt8())))
        case 0x8b: try push(try readLong(count: try readLength(width: 4, signed: true)))
        case 0x47: try push(.float(Double(bitPattern: try cursor.readUInt64().byteSwapped)))
        case 0x58: try push(.string(try readString(length: try readLength(width: 4))))
        case 0x8c: try push(.string(try readString(length: try readLength(width: 1))))
        case 0x8d: try push(.string(try readString(length: try readLength(width: 8))))
        case 0x54: try push(.string(try readString(length: try readLength(width: 4, signed: true))))
        case 0x55: try push(.string(try readString(length: try readLength(width: 1))))
        case 0x42: try push(.bytes(try cursor.readSlice(try readLength(width: 4))))
        case 0x43: try push(.bytes(try cursor.readSlice(try readLength(width: 1))))
        case 0x8e, 0x96: try push(.bytes(try cursor.readSlice(try readLength(width: 8))))
        default: return false
        }
        return true
    }

    /// Tuples, lists, dicts and sets.
    private mutating func executeContainer(_ opcode: UInt8) throws -> Bool {
        let nesting = limits.maxNesting
        switch opcode {
        case 0x29: try push(try makeTuple([]))
        case 0x74: try push(try makeTuple(try popToMark()))
        case 0x85, 0x86, 0x87:
            let count = Int(opcode - 0x84)
            var items: [PickleValue] = []
            for _ in 0..<count { items.insert(try pop(), at: 0) }
            try push(try makeTuple(items))
        case 0x5d: try push(.list(PickleList()))
        case 0x6c:
            let list = PickleList()
            for item in try popToMark() { try list.append(item, limit: nesting) }
            try push(.list(list))
        case 0x61:
            let item = try pop()
            try list(try top()).append(item, limit: nesting)
        case 0x65:
            let items = try popToMark()
            let target = try list(try top())
            for item in items { try target.append(item, limit: nesting) }
        case 0x7d: try push(.dict(PickleDict(flavor: .plain)))
        case 0x64:
            let dict = PickleDict(flavor: .plain)
            try fill(dict, with: try popToMark())
            try push(.dict(dict))
        case 0x73:
            let value = try pop()
            let key = try pop()
            try self.dict(try top()).set(key, value, limit: nesting)
        case 0x75:
            let items = try popToMark()
            try fill(try self.dict(try top()), with: items)
        case 0x8f: try push(.set(PickleSet()))
        case 0x90:
            let items = try popToMark()
            let target = try set(try top())
            for item in items { try target.insert(item, limit: nesting) }
        case 0x91:
            let frozen = PickleSet()
            for item in try popToMark() { try frozen.insert(item, limit: nesting) }
            try push(.set(frozen))
        default: return false
        }
        return true
    }

    private func fill(_ dict: PickleDict, with items: [PickleValue]) throws {
        guard items.count % 2 == 0 else { throw InteropError("odd number of values for dict items") }
        for index in stride(from: 0, to: items.count, by: 2) {
            try dict.set(items[index], items[index + 1], limit: limits.maxNesting)
        }
    }

    private func list(_ value: PickleValue) throws -> PickleList {
        guard case .list(let list) = value else { throw InteropError("APPEND target is a \(value.typeName), not a list") }
        return list
    }

    private func dict(_ value: PickleValue) throws -> PickleDict {
        guard case .dict(let dict) = value else { throw InteropError("SETITEM target is a \(value.typeName), not a dict") }
        return dict
    }

    private func set(_ value: PickleValue) throws -> PickleSet {
        guard case .set(let set) = value else { throw InteropError("ADDITEMS target is a \(value.typeName), not a set") }
        return set
    }

    /// MARK, POP, DUP and the memo.
    private mutating func executeStackAndMemo(_ opcode: UInt8) throws -> Bool {
        switch opcode {
        case 0x28: try pushMark()
        case 0x30: _ = try pop()
        case 0x31: _ = try popToMark()
        case 0x32: try push(try top(), reused: true)
        case 0x71: try memoize(at: Int(try cursor.readUInt8()))
        case 0x72: try memoize(at: Int(try cursor.readUInt32()))
        case 0x94: try memoize(at: memoCount)
        case 0x68: try memoGet(Int(try cursor.readUInt8()))
        case 0x6a: try memoGet(Int(try cursor.readUInt32()))
        default: return false
        }
        return true
    }

    /// GLOBAL, STACK_GLOBAL, REDUCE, NEWOBJ(_EX), BUILD and BINPERSID.
    private mutating func executeCall(_ opcode: UInt8) throws -> Bool {
        switch opcode {
        case 0x63:
            let module = try readLine()
            let name = try readLine()
            try push(.global(try PickleGlobal.resolve(module: module, name: name)))
        case 0x93:
            let name = try pop()
            let module = try pop()
            guard let nameText = name.stringValue, let moduleText = module.stringValue else {
                throw InteropError("STACK_GLOBAL needs two strings, got \(module.typeName) and \(name.typeName)")
            }
            try push(.global(try PickleGlobal.resolve(module: moduleText, name: nameText)))
        case 0x52:
            let arguments = try pop()
            let callable = try pop()
            try push(try reduce(callable, arguments))
        case 0x81:
            let arguments = try pop()
            try push(try instantiate(try pop(), arguments, keywords: nil))
        case 0x92:
            let keywords = try pop()
            let arguments = try pop()
            try push(try instantiate(try pop(), arguments, keywords: keywords))
        case 0x62:
            let state = try pop()
            try build(try top(), state: state)
        case 0x51:
            let identifier = try pop()
            guard let load = options.persistentLoad else {
                throw InteropError("persistent ids (BINPERSID) are not expected in this kind of pickle")
            }
            try push(try load(identifier))
        default: return false
        }
        return true
    }
}
