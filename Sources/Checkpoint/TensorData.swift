import Foundation

/// Element types a checkpoint or an imported file can hold. Networks compute in float32; the others
/// are kept so that nothing is silently converted on import, diff or export.
public enum DType: String, Codable, Sendable, CaseIterable {
    case float32, float16, bfloat16, float64, int64, int32, int16, int8, uint8, bool

    public var byteSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    public var isFloatingPoint: Bool { [.float32, .float16, .bfloat16, .float64].contains(self) }
}

public struct TensorDataError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A tensor as stored in a file: dtype, shape and little-endian row-major bytes.
/// `bytes` may be a zero-copy slice of a memory-mapped file.
public struct TensorData: @unchecked Sendable {
    public var dtype: DType
    public var shape: [Int]
    public var bytes: Data

    public init(dtype: DType, shape: [Int], bytes: Data) throws {
        let count = try TensorData.elementCount(shape)
        guard bytes.count == count * dtype.byteSize else {
            throw TensorDataError("tensor of shape \(shape) and dtype \(dtype.rawValue) needs \(count * dtype.byteSize) bytes, got \(bytes.count)")
        }
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    public init(float32 values: [Float], shape: [Int]) throws {
        let bytes = values.withUnsafeBufferPointer { Data(buffer: $0) }
        try self.init(dtype: .float32, shape: shape, bytes: bytes)
    }

    /// Product of the dimensions; throws on negative sizes or overflow.
    public static func elementCount(_ shape: [Int]) throws -> Int {
        var count = 1
        for dim in shape {
            guard dim >= 0 else { throw TensorDataError("negative dimension in shape \(shape)") }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw TensorDataError("shape \(shape) overflows the element count") }
            count = product
        }
        return count
    }

    public var count: Int { shape.reduce(1, *) }

    /// The values as float32 (float16, bfloat16 and float64 are converted; integers are refused).
    public func floats() throws -> [Float] {
        let n = count
        switch dtype {
        case .float32:
            return [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
                _ = bytes.copyBytes(to: UnsafeMutableRawBufferPointer(buffer))
                initialized = n
            }
        case .float64:
            return bytes.withUnsafeBytes { raw in (0..<n).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self)) } }
        case .float16:
            return bytes.withUnsafeBytes { raw in
                (0..<n).map { Float(float16Bits: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
            }
        case .bfloat16:
            return bytes.withUnsafeBytes { raw in
                (0..<n).map { Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) << 16) }
            }
        default:
            throw TensorDataError("cannot read a \(dtype.rawValue) tensor as float32")
        }
    }

    /// The values as Int64 (integer and bool dtypes only).
    public func integers() throws -> [Int64] {
        let n = count
        return try bytes.withUnsafeBytes { raw -> [Int64] in
            switch dtype {
            case .int64: return (0..<n).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self) }
            case .int32: return (0..<n).map { Int64(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
            case .int16: return (0..<n).map { Int64(raw.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self)) }
            case .int8: return (0..<n).map { Int64(raw.load(fromByteOffset: $0, as: Int8.self)) }
            case .uint8, .bool: return (0..<n).map { Int64(raw.load(fromByteOffset: $0, as: UInt8.self)) }
            default: throw TensorDataError("cannot read a \(dtype.rawValue) tensor as integers")
            }
        }
    }
}

extension Float {
    /// IEEE 754 binary16 → binary32 without relying on the platform's Float16 type.
    public init(float16Bits h: UInt16) {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int((h >> 10) & 0x1f)
        let mantissa = UInt32(h & 0x3ff)
        if exponent == 0 {
            // Zero or subnormal: value = mantissa · 2^-24.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            self = sign != 0 ? -magnitude : magnitude
        } else if exponent == 31 {
            self = Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
        } else {
            self = Float(bitPattern: sign | UInt32(exponent + 112) << 23 | (mantissa << 13))
        }
    }

    /// binary32 → binary16 bits, round to nearest even.
    public var float16Bits: UInt16 {
        let bits = bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xff)
        let mantissa = bits & 0x7f_ffff
        if exponent == 0xff { return sign | 0x7c00 | (mantissa != 0 ? 0x200 : 0) }
        let unbiased = exponent - 127
        if unbiased > 15 { return sign | 0x7c00 }
        if unbiased >= -14 {
            var half = UInt32(unbiased + 15) << 10 | (mantissa >> 13)
            let rest = mantissa & 0x1fff
            if rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1) { half += 1 }
            return sign | UInt16(half)
        }
        if unbiased < -25 { return sign }
        let full = mantissa | 0x80_0000
        let shift = UInt32(-unbiased - 14 + 13)
        var half = full >> shift
        let rest = full & ((1 << shift) - 1)
        let halfway = UInt32(1) << (shift - 1)
        if rest > halfway || (rest == halfway && (half & 1) == 1) { half += 1 }
        return sign | UInt16(half)
    }
}
