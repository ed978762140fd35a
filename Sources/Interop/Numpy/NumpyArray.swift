import Foundation
import Checkpoint

/// numpy `.npy` files: `\x93NUMPY`, a version, a header length, a Python-literal header dict
/// (`descr`, `fortran_order`, `shape`), then the raw data in C order.
public enum NumpyArray {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    public static func read(_ url: URL) throws -> TensorData {
        try read(try ByteBuffer.mapping(url).whole)
    }

    /// Parses an `.npy` image that fills `slice` exactly.
    public static func read(_ slice: ByteSlice) throws -> TensorData {
        var cursor = slice.cursor
        guard slice.hasPrefix(magic) else { throw cursor.error("not a numpy .npy file (wrong magic)") }
        try cursor.skip(magic.count)
        let major = try cursor.readUInt8()
        _ = try cursor.readUInt8()
        guard (1...3).contains(major) else { throw cursor.error("unsupported .npy format version \(major)") }
        let headerLength = try cursor.readLength(width: major == 1 ? 2 : 4, for: "the .npy header")
        let headerStart = cursor.position
        let headerBytes = try cursor.readSlice(headerLength).bytes
        // Versions 1 and 2 are latin-1; the header is plain ASCII in practice, so decode strictly.
        guard let header = String(strictUTF8: headerBytes) else { throw cursor.error(".npy header is not text", at: headerStart) }
        let fields: NumpyHeader
        do {
            fields = try NumpyHeader(parsing: header)
        } catch let error as InteropError {
            throw cursor.error(".npy header: \(error.message)", at: headerStart)
        }
        let data = try cursor.readSlice(cursor.remaining)
        do {
            return try fields.elementType.tensor(shape: fields.shape, littleEndianOrNative: data)
        } catch let error as InteropError {
            throw cursor.error(error.message, at: cursor.position - data.count)
        } catch {
            throw cursor.error("\(error)", at: cursor.position - data.count)
        }
    }

    /// The `.npy` bytes of a tensor (format 1.0, header padded so the data is 64-byte aligned).
    public static func encode(_ tensor: TensorData) throws -> (header: [UInt8], data: Data) {
        let type = try NumpyElementType(tensor.dtype)
        let shape = tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var text = "{'descr': '\(type.descriptor)', 'fortran_order': False, 'shape': \(shape), }"
        let unpadded = magic.count + 4 + text.utf8.count + 1
        text += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        guard text.utf8.count <= Int(UInt16.max) else { throw InteropError("shape \(tensor.shape) is too long for a .npy header") }
        var header = magic + [1, 0]
        header += [UInt8(text.utf8.count & 0xff), UInt8(text.utf8.count >> 8)]
        header += Array(text.utf8)
        return (header, tensor.bytes)
    }

    /// Writes a `.npy` file atomically (temporary file + rename).
    public static func write(_ tensor: TensorData, to url: URL) throws {
        let (header, data) = try encode(tensor)
        try AtomicFile.write(to: url) { sink in
            try sink.write(header)
            try sink.write(data)
        }
    }
}

/// The `.npz` container: a zip of `<name>.npy` members (STORED or DEFLATE).
public enum NumpyArchive {
    public static func read(_ url: URL) throws -> [String: TensorData] {
        let archive = try ZipArchive(url: url)
        let budget = MaterializationBudget(sourceBytes: archive.buffer.count)
        var arrays: [String: TensorData] = [:]
        for entry in archive.entries {
            guard entry.name.hasSuffix(".npy") else {
                throw archive.buffer.error("unexpected member '\(entry.name)' in an .npz archive", at: entry.dataRange.lowerBound)
            }
            arrays[String(entry.name.dropLast(4))] = try NumpyArray.read(try archive.contents(of: entry, budget: budget))
        }
        return arrays
    }

    /// Writes an uncompressed `.npz` (like `numpy.savez`) atomically, members in name order.
    public static func write(_ arrays: [String: TensorData], to url: URL) throws {
        try AtomicFile.write(to: url) { sink in
            let writer = ZipWriter(sink: sink)
            for (name, tensor) in arrays.sorted(by: { $0.key < $1.key }) {
                let (header, data) = try NumpyArray.encode(tensor)
                try header.withUnsafeBytes { headerBytes in
                    try data.withUnsafeBytes { dataBytes in
                        try writer.addStoredEntry(name: name + ".npy", parts: [headerBytes, dataBytes])
                    }
                }
            }
            try writer.finish()
        }
    }
}

/// The Python literal of an `.npy` header, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
struct NumpyHeader {
    let elementType: NumpyElementType
    let shape: [Int]

    init(parsing text: String) throws {
        var scanner = LiteralScanner(text: Array(text.utf8))
        var descriptor: String?
        var fortran: Bool?
        var shape: [Int]?
        try scanner.expect("{")
        while try scanner.peek() != UInt8(ascii: "}") {
            let key = try scanner.string()
            try scanner.expect(":")
            switch key {
            case "descr":
                guard try scanner.peek() == UInt8(ascii: "'") || scanner.peekIs("\"") else {
                    throw InteropError("structured dtypes are not supported")
                }
                descriptor = try scanner.string()
            case "fortran_order": fortran = try scanner.boolean()
            case "shape": shape = try scanner.intTuple()
            default: throw InteropError("unexpected key '\(key)'")
            }
            if try scanner.peek() == UInt8(ascii: ",") { try scanner.expect(",") }
        }
        try scanner.expect("}")
        guard scanner.atEndIgnoringWhitespace else { throw InteropError("unexpected text after the header dict") }
        guard let descriptor, let fortran, let shape else { throw InteropError("header lacks descr, fortran_order or shape") }
        guard !fortran else { throw InteropError("Fortran-ordered arrays are not supported; save with C order") }
        self.elementType = try NumpyElementType(descriptor: descriptor)
        self.shape = shape
    }
}

/// Just enough of a Python literal scanner for `.npy` headers.
private struct LiteralScanner {
    let text: [UInt8]
    var position = 0

    mutating func skipSpace() { while position < text.count, text[position] == 0x20 || text[position] == 0x0a { position += 1 } }

    mutating func peek() throws -> UInt8 {
        skipSpace()
        guard position < text.count else { throw InteropError("unexpected end") }
        return text[position]
    }

    func peekIs(_ character: Character) -> Bool { position < text.count && text[position] == character.asciiValue }

    var atEndIgnoringWhitespace: Bool { text[position...].allSatisfy { $0 == 0x20 || $0 == 0x0a } }

    mutating func expect(_ token: String) throws {
        skipSpace()
        let bytes = Array(token.utf8)
        guard text.count - position >= bytes.count, Array(text[position..<(position + bytes.count)]) == bytes else {
            throw InteropError("expected '\(token)'")
        }
        position += bytes.count
    }

    mutating func string() throws -> String {
        let quote = try peek()
        guard quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else { throw InteropError("expected a string") }
        position += 1
        guard let end = text[position...].firstIndex(of: quote) else { throw InteropError("unterminated string") }
        defer { position = end + 1 }
        return String(decoding: text[position..<end], as: UTF8.self)
    }

    mutating func boolean() throws -> Bool {
        if (try? expect("True")) != nil { return true }
        try expect("False")
        return false
    }

    mutating func intTuple() throws -> [Int] {
        try expect("(")
        var values: [Int] = []
        while try peek() != UInt8(ascii: ")") {
            let start = position
            while position < text.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[position]) { position += 1 }
            guard position > start, let value = Int(String(decoding: text[start..<position], as: UTF8.self)) else {
                throw InteropError("shape entries must be non-negative integers")
            }
            values.append(value)
            if try peek() == UInt8(ascii: ",") { try expect(",") }
        }
        try expect(")")
        return values
    }
}
