import Foundation

/// A bounds-checked little-endian reader over a range of a `ByteBuffer`. Positions are offsets in
/// the buffer, so error messages point at the byte in the file.
public struct ByteCursor {
    public let buffer: ByteBuffer
    public private(set) var position: Int
    public let end: Int

    public init(buffer: ByteBuffer, range: Range<Int>) {
        self.buffer = buffer
        self.position = range.lowerBound
        self.end = range.upperBound
    }

    public var remaining: Int { end - position }
    public var isAtEnd: Bool { position >= end }

    public func error(_ message: String, at offset: Int? = nil) -> InteropError {
        buffer.error(message, at: offset ?? position)
    }

    /// Checks that `count` more bytes exist before anything is allocated for them.
    public func require(_ count: Int, for what: @autoclosure () -> String) throws {
        guard count >= 0, count <= remaining else {
            throw error("\(what()) needs \(count) bytes but only \(remaining) remain")
        }
    }

    public mutating func skip(_ count: Int, for what: @autoclosure () -> String = "data") throws {
        try require(count, for: what())
        position += count
    }

    public mutating func seek(to offset: Int) throws {
        guard offset >= 0, offset <= end else { throw error("offset \(offset) is outside the data") }
        position = offset
    }

    public mutating func readSlice(_ count: Int, for what: @autoclosure () -> String = "data") throws -> ByteSlice {
        try require(count, for: what())
        defer { position += count }
        return buffer.slice(position..<(position + count))
    }

    public mutating func readUInt8() throws -> UInt8 {
        try require(1, for: "a byte")
        defer { position += 1 }
        return buffer.bytes[position]
    }

    /// Reads an unsigned little-endian integer of `width` bytes (1…8).
    public mutating func readLittleEndian(width: Int) throws -> UInt64 {
        try require(width, for: "a \(width)-byte integer")
        var value: UInt64 = 0
        for index in stride(from: width - 1, through: 0, by: -1) {
            value = value << 8 | UInt64(buffer.bytes[position + index])
        }
        position += width
        return value
    }

    public mutating func readUInt16() throws -> UInt16 { UInt16(try readLittleEndian(width: 2)) }
    public mutating func readUInt32() throws -> UInt32 { UInt32(try readLittleEndian(width: 4)) }
    public mutating func readUInt64() throws -> UInt64 { try readLittleEndian(width: 8) }
    public mutating func readInt32() throws -> Int32 { Int32(bitPattern: try readUInt32()) }
    public mutating func readInt64() throws -> Int64 { Int64(bitPattern: try readUInt64()) }

    /// Reads a u64 length and checks that it fits in the remaining input.
    public mutating func readLength(width: Int, for what: @autoclosure () -> String) throws -> Int {
        let start = position
        let raw = try readLittleEndian(width: width)
        guard raw <= UInt64(remaining) else {
            throw error("\(what()) declares \(raw) bytes but only \(remaining) remain", at: start)
        }
        return Int(raw)
    }

    public func peekBytes(_ count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer.bytes[position..<min(end, position + count)])
    }
}

extension String {
    /// Strict UTF-8 decoding (invalid sequences are an error, as in Python's pickle).
    init?(strictUTF8 bytes: UnsafeRawBufferPointer) {
        guard let decoded = String(validating: bytes.assumingMemoryBound(to: UInt8.self), as: UTF8.self) else { return nil }
        self = decoded
    }
}
