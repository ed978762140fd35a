import Foundation
import Checkpoint

/// A numpy element type descriptor such as `<f4`, `|u1` or `>f8`, restricted to the dtypes a
/// `TensorData` can hold. Big-endian data is byte-swapped on read; writing is always little-endian.
public struct NumpyElementType: Equatable, Sendable {
    public let dtype: DType
    public let isBigEndian: Bool

    private static let codes: [String: DType] = [
        "f2": .float16, "f4": .float32, "f8": .float64,
        "i1": .int8, "i2": .int16, "i4": .int32, "i8": .int64,
        "u1": .uint8, "b1": .bool,
    ]

    public init(descriptor: String) throws {
        var code = Substring(descriptor)
        var order: Character = "="
        if let first = code.first, "<>|=".contains(first) {
            order = first
            code = code.dropFirst()
        }
        guard let dtype = Self.codes[String(code)] else {
            let hint = code.hasPrefix("O") ? " (object arrays would need code execution to load)" : ""
            throw InteropError("unsupported numpy dtype '\(descriptor)'\(hint)")
        }
        self.dtype = dtype
        self.isBigEndian = order == ">" && dtype.byteSize > 1
    }

    public init(_ dtype: DType) throws {
        guard dtype != .bfloat16 else { throw InteropError("numpy has no bfloat16 dtype; convert to float32 first") }
        self.dtype = dtype
        self.isBigEndian = false
    }

    /// The little-endian descriptor written into `.npy` headers.
    public var descriptor: String {
        let code = Self.codes.first { $0.value == dtype }!.key
        return (dtype.byteSize == 1 ? "|" : "<") + code
    }

    /// Wraps raw bytes as a tensor: zero-copy when already little-endian, byte-swapped otherwise.
    func tensor(shape: [Int], littleEndianOrNative raw: ByteSlice) throws -> TensorData {
        let count = try TensorData.elementCount(shape)
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, byteCount == raw.count else {
            throw InteropError("array of shape \(shape) and dtype \(dtype.rawValue) needs \(overflow ? "too many" : String(byteCount)) bytes, found \(raw.count)")
        }
        guard isBigEndian else { return try TensorData(dtype: dtype, shape: shape, bytes: raw.data) }
        var swapped = Data(raw.bytes)
        let width = dtype.byteSize
        swapped.withUnsafeMutableBytes { bytes in
            for start in stride(from: 0, to: bytes.count, by: width) {
                bytes[start..<(start + width)].reverse()
            }
        }
        return try TensorData(dtype: dtype, shape: shape, bytes: swapped)
    }
}
