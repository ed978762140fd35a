import Checkpoint
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The arithmetic of blend and merge, on raw tensor bytes: float32 inputs are read in place (no copy),
/// results are built directly in the output's bytes, and other float dtypes go through float32.
public enum TensorMath {
    /// mergekit's SLERP threshold: above this |cos θ| the two tensors count as parallel and are interpolated linearly.
    public static let parallelThreshold = 0.9995

    /// Σᵢ weights[i]·inputᵢ in float32, accumulated in input order (so two inputs give exactly
    /// fl(fl(a·w₀) + fl(b·w₁)), the reference's `low * (1 - m) + high * m`). `input(i)` is asked for one
    /// tensor at a time and `finished` gets it back as soon as it has been added, so only one input is live.
    public static func linear(weights: [Double], shape: [Int], dtype: DType, input: (Int) throws -> TensorData,
                              finished: (TensorData) -> Void = { _ in }) throws -> TensorData {
        try makeTensor(dtype: dtype, shape: shape) { output in
            for (index, weight) in weights.enumerated() {
                let data = try input(index)
                let factor = Float(weight)
                try withFloats(data) { values in
                    guard values.count == output.count else { throw shapeError(data.shape, shape) }
                    if index == 0 {
                        for j in 0..<values.count { output[j] = values[j] * factor }
                    } else {
                        for j in 0..<values.count { output[j] = output[j] + values[j] * factor }
                    }
                }
                finished(data)
            }
        }
    }

    /// mergekit's SLERP over the flattened tensors: cos θ from the normalised copies, then
    /// sin((1 − t)θ)/sin θ · a + sin(tθ)/sin θ · b on the originals (coefficients from `slerpCoefficients`).
    public static func slerp(_ a: TensorData, _ b: TensorData, t: Double, dtype: DType) throws -> TensorData {
        guard a.shape == b.shape else { throw shapeError(b.shape, a.shape) }
        return try withFloats(a) { x in
            try withFloats(b) { y in
                var dot = 0.0, squaredA = 0.0, squaredB = 0.0
                for j in 0..<x.count {
                    let p = Double(x[j]), q = Double(y[j])
                    dot += p * q
                    squaredA += p * p
                    squaredB += q * q
                }
                let (s0, s1) = slerpCoefficients(dot: dot, normA: squaredA.squareRoot(), normB: squaredB.squareRoot(), t: t)
                let (f0, f1) = (Float(s0), Float(s1))
                return try makeTensor(dtype: dtype, shape: a.shape) { output in
                    for j in 0..<x.count { output[j] = x[j] * f0 + y[j] * f1 }
                }
            }
        }
    }

    /// The two SLERP coefficients. Linear (1 − t, t) when |cos θ| > `parallelThreshold` (as mergekit) and
    /// also when either tensor is all zeros, which has no direction (mergekit would take θ = 90° there).
    public static func slerpCoefficients(dot: Double, normA: Double, normB: Double, t: Double) -> (Double, Double) {
        guard normA > 0, normB > 0 else { return (1 - t, t) }
        let cosine = dot / (normA * normB)
        guard abs(cosine) <= parallelThreshold else { return (1 - t, t) }
        let theta = acos(cosine), sine = sin(theta)
        return (sin((1 - t) * theta) / sine, sin(t * theta) / sine)
    }

    /// Runs `body` on the values as float32: in place for aligned float32 data, else on a converted copy.
    static func withFloats<R>(_ data: TensorData, _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        guard data.dtype.isFloatingPoint else {
            throw SurgeryError.invalidParameter("cannot interpolate a \(data.dtype.rawValue) tensor (only floating-point tensors)")
        }
        if data.dtype == .float32 {
            let direct: R? = try data.bytes.withUnsafeBytes { raw in
                guard let base = raw.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 else { return nil }
                return try body(UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float.self), count: data.count))
            }
            if let direct { return direct }
        }
        return try data.floats().withUnsafeBufferPointer(body)
    }

    /// A tensor of `dtype` whose float32 values `fill` writes; float32 is filled in the output's own bytes.
    static func makeTensor(dtype: DType, shape: [Int], fill: (UnsafeMutableBufferPointer<Float>) throws -> Void) throws -> TensorData {
        let count = try TensorData.elementCount(shape)
        guard dtype != .float32 else {
            var bytes = Data(count: count * 4)
            try bytes.withUnsafeMutableBytes { raw in try fill(raw.bindMemory(to: Float.self)) }
            return try TensorData(dtype: .float32, shape: shape, bytes: bytes)
        }
        var values = [Float](repeating: 0, count: count)
        try values.withUnsafeMutableBufferPointer { try fill($0) }
        return try TensorData(dtype: dtype, shape: shape, bytes: try encode(values, as: dtype))
    }

    /// float32 → another float dtype, rounding to nearest even.
    static func encode(_ values: [Float], as dtype: DType) throws -> Data {
        switch dtype {
        case .float32: return values.withUnsafeBufferPointer { Data(buffer: $0) }
        case .float64: return values.map(Double.init).withUnsafeBufferPointer { Data(buffer: $0) }
        case .float16: return values.map(\.float16Bits).withUnsafeBufferPointer { Data(buffer: $0) }
        case .bfloat16: return values.map(bfloat16Bits).withUnsafeBufferPointer { Data(buffer: $0) }
        default: throw SurgeryError.invalidParameter("cannot store interpolated values as \(dtype.rawValue)")
        }
    }

    static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x40 }
        let roundingBias = 0x7fff + ((bits >> 16) & 1)
        return UInt16((bits &+ roundingBias) >> 16)
    }

    private static func shapeError(_ found: [Int], _ expected: [Int]) -> SurgeryError {
        .invalidParameter("tensor shapes differ: \(found) vs \(expected)")
    }
}

/// Gives back the pages of a tensor the reader handed out as a slice of its memory map. The data stays
/// in the page cache; only this process's mapping of it is dropped, so streaming a 300 MB checkpoint keeps
/// the resident set at the tensor in flight instead of growing with every page touched. Call it only on
/// data that will not be read again: for a private mapping that was never written (the reader's) this
/// just unmaps clean file pages, and on an owned heap buffer about to be freed it discards nothing needed.
enum MappedPages {
    static func release(_ data: TensorData) {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        data.bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, raw.count >= pageSize else { return }
            let start = (Int(bitPattern: base) + pageSize - 1) / pageSize * pageSize
            let end = (Int(bitPattern: base) + raw.count) / pageSize * pageSize
            guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
            _ = madvise(pointer, end - start, MADV_DONTNEED)
        }
    }
}
