import Foundation
import Checkpoint

/// A strict JSON parser for untrusted input (safetensors headers): RFC 8259 syntax, valid UTF-8,
/// no duplicate keys and bounded nesting, none of which Foundation's decoder guarantees. It
/// produces the project's `JSONValue`.
enum StrictJSON {
    static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        return try parser.parseDocument()
    }
}

private struct JSONParser {
    let bytes: UnsafeRawBufferPointer
    let maxDepth: Int
    var position = 0
    var depth = 0

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    func error(_ message: String) -> InteropError { InteropError("JSON: \(message) at offset \(position)") }

    mutating func parseDocument() throws -> JSONValue {
        let value = try parseValue()
        skipWhitespace()
        guard position == bytes.count else { throw error("unexpected data after the document") }
        return value
    }

    mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[position]) { position += 1 }
    }

    mutating func peek() throws -> UInt8 {
        skipWhitespace()
        guard position < bytes.count else { throw error("unexpected end") }
        return bytes[position]
    }

    mutating func expect(_ literal: String) throws {
        for byte in literal.utf8 {
            guard position < bytes.count, bytes[position] == byte else { throw error("expected '\(literal)'") }
            position += 1
        }
    }

    mutating func parseValue() throws -> JSONValue {
        switch try peek() {
        case UInt8(ascii: "{"): return try nested { try $0.parseObject() }
        case UInt8(ascii: "["): return try nested { try $0.parseArray() }
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        default: return try parseNumber()
        }
    }

    mutating func nested(_ body: (inout JSONParser) throws -> JSONValue) throws -> JSONValue {
        depth += 1
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth)") }
        defer { depth -= 1 }
        return try body(&self)
    }

    mutating func parseObject() throws -> JSONValue {
        position += 1
        var members: [String: JSONValue] = [:]
        if try peek() == UInt8(ascii: "}") { position += 1; return .object(members) }
        while true {
            guard try peek() == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let key = try parseString()
            guard members[key] == nil else { throw error("duplicate key \"\(key)\"") }
            guard try peek() == UInt8(ascii: ":") else { throw error("expected ':'") }
            position += 1
            members[key] = try parseValue()
            let separator = try peek()
            position += 1
            if separator == UInt8(ascii: "}") { return .object(members) }
            guard separator == UInt8(ascii: ",") else { throw error("expected ',' or '}'") }
        }
    }

    mutating func parseArray() throws -> JSONValue {
        position += 1
        var items: [JSONValue] = []
        if try peek() == UInt8(ascii: "]") { position += 1; return .array(items) }
        while true {
            items.append(try parseValue())
            let separator = try peek()
            position += 1
            if separator == UInt8(ascii: "]") { return .array(items) }
            guard separator == UInt8(ascii: ",") else { throw error("expected ',' or ']'") }
        }
    }

    /// No header needs more digits than a double carries, and the number's text is copied for
    /// `Double(_:)` and messages.
    static let maxNumberLength = 64
    static let numberCharacters = Set("+-0123456789.eE".utf8)

    mutating func parseNumber() throws -> JSONValue {
        let start = position
        while position < bytes.count, Self.numberCharacters.contains(bytes[position]) {
            position += 1
            guard position - start <= Self.maxNumberLength else { throw error("number longer than \(Self.maxNumberLength) characters") }
        }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<position])
        let text = String(decoding: raw, as: UTF8.self)
        guard JSONNumber.isValid(raw) else { throw error("invalid number '\(text)'") }
        guard let number = Double(text) else { throw error("invalid number '\(text)'") }
        return .number(number)
    }

    mutating func parseString() throws -> String {
        position += 1
        var scalars = String.UnicodeScalarView()
        var runStart = position
        func flush(_ parser: JSONParser) throws {
            guard let run = String(strictUTF8: UnsafeRawBufferPointer(rebasing: parser.bytes[runStart..<parser.position])) else {
                throw parser.error("invalid UTF-8 in a string")
            }
            scalars.append(contentsOf: run.unicodeScalars)
        }
        while true {
            guard position < bytes.count else { throw error("unterminated string") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                try flush(self)
                position += 1
                return String(scalars)
            }
            guard byte >= 0x20 else { throw error("control character in a string") }
            if byte == UInt8(ascii: "\\") {
                try flush(self)
                position += 1
                scalars.append(try parseEscape())
                runStart = position
            } else {
                position += 1
            }
        }
    }

    mutating func parseEscape() throws -> Unicode.Scalar {
        guard position < bytes.count else { throw error("unterminated escape") }
        let byte = bytes[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let high = try parseHex4()
            guard (0xD800...0xDBFF).contains(high) else {
                guard let scalar = Unicode.Scalar(high) else { throw error("lone surrogate escape") }
                return scalar
            }
            try expect("\\u")
            let low = try parseHex4()
            guard (0xDC00...0xDFFF).contains(low),
                  let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)) else {
                throw error("invalid surrogate pair")
            }
            return scalar
        default: throw error("invalid escape")
        }
    }

    mutating func parseHex4() throws -> UInt32 {
        guard position + 4 <= bytes.count,
              bytes[position..<(position + 4)].allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }),
              let value = UInt32(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<(position + 4)]), as: UTF8.self), radix: 16) else {
            throw error("invalid \\u escape")
        }
        position += 4
        return value
    }
}
