import Foundation
import Checkpoint

/// safetensors files (docs/foreign-formats.md §6): an 8-byte little-endian header length, a JSON header of
/// `name → {dtype, shape, data_offsets}` plus an optional string map `__metadata__`, then the data.
/// The reader enforces the reference validation rules: header ≤ 100 MB, offsets that tile the
/// data buffer exactly, sizes that match shape × dtype with overflow-checked arithmetic.
public struct SafetensorsFile {
    public static let maxHeaderBytes = 100_000_000

    /// Tensors in data-offset order.
    public var tensors: [(name: String, data: TensorData)]
    public var metadata: [String: String]

    public init(tensors: [(name: String, data: TensorData)], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    private static let dtypeTokens: [String: DType] = [
        "F32": .float32, "F16": .float16, "BF16": .bfloat16, "F64": .float64, "I64": .int64,
        "I32": .int32, "I16": .int16, "I8": .int8, "U8": .uint8, "BOOL": .bool,
    ]

    static func token(for dtype: DType) -> String { dtypeTokens.first { $0.value == dtype }!.key }

    public static func read(_ url: URL) throws -> SafetensorsFile {
        try read(try ByteBuffer.mapping(url))
    }

    public static func read(_ buffer: ByteBuffer) throws -> SafetensorsFile {
        var cursor = buffer.whole.cursor
        guard buffer.count >= 8 else { throw buffer.error("too small to be a safetensors file", at: 0) }
        let declared = try cursor.readUInt64()
        guard declared <= UInt64(maxHeaderBytes) else {
            throw buffer.error("safetensors header of \(declared) bytes exceeds the \(maxHeaderBytes)-byte limit", at: 0)
        }
        guard declared <= UInt64(cursor.remaining) else {
            throw buffer.error("safetensors header of \(declared) bytes is longer than the file", at: 0)
        }
        let header = try cursor.readSlice(Int(declared))
        guard header.bytes.first == UInt8(ascii: "{") else { throw buffer.error("safetensors header does not start with '{'", at: 8) }
        let json = try InteropError.attributing(to: buffer.location) {
            do { return try StrictJSON.parse(header.bytes) } catch let error as InteropError {
                throw InteropError("safetensors header: \(error.message)", offset: 8)
            }
        }
        let dataStart = cursor.position
        return try InteropError.attributing(to: buffer.location) {
            try parseHeader(json, data: buffer.slice(dataStart..<buffer.count))
        }
    }

    private static func parseHeader(_ json: JSONValue, data: ByteSlice) throws -> SafetensorsFile {
        guard case .object(let members) = json else { throw InteropError("safetensors header is not a JSON object", offset: 8) }
        var metadata: [String: String] = [:]
        var entries: [(name: String, dtype: DType, shape: [Int], range: Range<Int>)] = []
        for (name, value) in members.sorted(by: { $0.key < $1.key }) {
            if name == "__metadata__" {
                metadata = try parseMetadata(value)
                continue
            }
            let (dtype, shape, range) = try InteropError.context("safetensors tensor '\(name)'") { try parseEntry(value) }
            entries.append((name, dtype, shape, range))
        }
        entries.sort { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        var expectedStart = 0
        for entry in entries {
            guard entry.range.lowerBound == expectedStart else {
                throw InteropError("safetensors tensor '\(entry.name)' starts at \(entry.range.lowerBound), expected \(expectedStart) (offsets must tile the data without holes or overlaps)")
            }
            expectedStart = entry.range.upperBound
        }
        guard expectedStart == data.count else {
            throw InteropError("safetensors tensors cover \(expectedStart) bytes but the data section has \(data.count)")
        }
        let tensors = try entries.map { entry in
            (entry.name, try TensorData(dtype: entry.dtype, shape: entry.shape, bytes: data.slice(entry.range).data))
        }
        return SafetensorsFile(tensors: tensors, metadata: metadata)
    }

    private static func parseMetadata(_ value: JSONValue) throws -> [String: String] {
        guard case .object(let members) = value else { throw InteropError("safetensors __metadata__ is not an object") }
        var metadata: [String: String] = [:]
        for (key, item) in members {
            guard case .string(let text) = item else { throw InteropError("safetensors __metadata__ value for '\(key)' is not a string") }
            metadata[key] = text
        }
        return metadata
    }

    private static func parseEntry(_ value: JSONValue) throws -> (DType, [Int], Range<Int>) {
        guard case .object(let fields) = value, Set(fields.keys) == ["dtype", "shape", "data_offsets"] else {
            throw InteropError("entry must have exactly dtype, shape and data_offsets")
        }
        guard case .string(let token) = fields["dtype"]! else { throw InteropError("dtype is not a string") }
        guard let dtype = dtypeTokens[token] else { throw InteropError("unsupported dtype \(token)") }
        guard case .array(let dims) = fields["shape"]!, case .array(let offsets) = fields["data_offsets"]!, offsets.count == 2 else {
            throw InteropError("shape and data_offsets must be arrays (data_offsets of two numbers)")
        }
        let shape = try dims.map { dim -> Int in
            guard let size = exactInteger(dim), size >= 0 else { throw InteropError("bad dimension in shape") }
            return size
        }
        guard let begin = exactInteger(offsets[0]), let end = exactInteger(offsets[1]), begin >= 0, begin <= end else {
            throw InteropError("data_offsets must be two non-negative numbers in order")
        }
        let count = try TensorData.elementCount(shape)
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, bytes == end - begin else {
            throw InteropError("shape \(shape) of \(token) needs \(overflow ? "too many" : String(bytes)) bytes but data_offsets span \(end - begin)")
        }
        return (dtype, shape, begin..<end)
    }

    /// JSON numbers are doubles; integers above 2^53 could not be told apart, so they are refused.
    private static func exactInteger(_ value: JSONValue) -> Int? {
        guard case .number(let number) = value, number.rounded() == number, abs(number) <= 9_007_199_254_740_992 else { return nil }
        return Int(number)
    }

    /// Writes the tensors in the given order, header padded with spaces to a multiple of 8.
    public func write(to url: URL) throws {
        var members: [String: JSONValue] = [:]
        if !metadata.isEmpty { members["__metadata__"] = .object(metadata.mapValues { .string($0) }) }
        var offset = 0
        for (name, tensor) in tensors {
            guard members[name] == nil else { throw InteropError("duplicate tensor name \(name)") }
            let end = offset + tensor.bytes.count
            members[name] = .object([
                "dtype": .string(Self.token(for: tensor.dtype)),
                "shape": .array(tensor.shape.map { .number(Double($0)) }),
                "data_offsets": .array([.number(Double(offset)), .number(Double(end))]),
            ])
            offset = end
        }
        var header = Array(JSONValue.object(members).serialized().utf8)
        header += Array(repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        try AtomicFile.write(to: url) { sink in
            try sink.writeLittleEndian(UInt64(header.count))
            try sink.write(header)
            for (_, tensor) in tensors { try sink.write(tensor.bytes) }
        }
    }
}
