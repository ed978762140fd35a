import Foundation

/// The pickle opcodes toonkit's writers emit (protocols 2 and 3): plain data and references to a few
/// globals by name. The writers never pickle anything a reader would have to run beyond those constructors.
struct PickleEmitter {
    private(set) var bytes: [UInt8]
    private var memo: [String: UInt32] = [:]

    init(protocol version: UInt8) { bytes = [0x80, version] }

    mutating func stop() { bytes.append(0x2e) }
    mutating func mark() { bytes.append(0x28) }
    mutating func append(_ opcodes: UInt8...) { bytes += opcodes }

    /// GLOBAL the first time (memoized with LONG_BINPUT), LONG_BINGET afterwards.
    mutating func global(_ module: String, _ name: String) {
        let key = module + "\n" + name
        if let index = memo[key] {
            bytes.append(0x6a)
            littleEndian(index)
            return
        }
        bytes.append(0x63)
        bytes += Array("\(module)\n\(name)\n".utf8)
        let index = UInt32(memo.count)
        memo[key] = index
        bytes.append(0x72)
        littleEndian(index)
    }

    mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        bytes.append(0x58)  // BINUNICODE
        littleEndian(UInt32(utf8.count))
        bytes += utf8
    }

    mutating func integer(_ value: Int) {
        switch value {
        case 0..<256: bytes += [0x4b, UInt8(value)]
        case 256..<65536: bytes += [0x4d, UInt8(value & 0xff), UInt8(value >> 8)]
        case Int(Int32.min)...Int(Int32.max):
            bytes.append(0x4a)
            littleEndian(UInt32(bitPattern: Int32(value)))
        default:
            bytes += [0x8a, 8]  // LONG1 with 8 bytes
            withUnsafeBytes(of: Int64(value).littleEndian) { bytes += $0 }
        }
    }

    /// BINFLOAT: a big-endian float64.
    mutating func float(_ value: Double) {
        bytes.append(0x47)
        withUnsafeBytes(of: value.bitPattern.bigEndian) { bytes += $0 }
    }

    /// BINBYTES (protocol 3): a u32 length, so one blob stays under 4 GiB.
    mutating func binaryBytes(_ data: Data) throws {
        guard let count = UInt32(exactly: data.count) else { throw InteropError("a tensor of \(data.count) bytes is too large for a protocol-3 pickle") }
        bytes.append(0x42)
        littleEndian(count)
        bytes += data
    }

    mutating func tuple(_ values: [Int]) {
        tuple(count: values.count) { emitter in values.forEach { emitter.integer($0) } }
    }

    /// Items emitted by `items`, then the shortest tuple opcode for `count` of them.
    mutating func tuple(count: Int, _ items: (inout PickleEmitter) throws -> Void) rethrows {
        beginTuple(count: count)
        try items(&self)
        endTuple(count: count)
    }

    /// Before a tuple's `count` items: a MARK when no fixed-size opcode fits.
    mutating func beginTuple(count: Int) {
        if count > 3 { mark() }
    }

    /// After a tuple's `count` items: the shortest opcode that builds it.
    mutating func endTuple(count: Int) {
        bytes.append(count == 0 ? 0x29 : count > 3 ? 0x74 : 0x84 + UInt8(count))  // EMPTY_TUPLE, TUPLE or TUPLE1/2/3
    }

    mutating func littleEndian(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}
