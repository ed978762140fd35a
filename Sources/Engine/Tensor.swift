import Foundation

/// Heap storage for tensor elements: 64-byte aligned so GEMM and SIMD loops get aligned rows.
final class TensorStorage {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    /// Uninitialised; large buffers may be recycled ones (StoragePool).
    init(count: Int) {
        self.count = count
        pointer = StoragePool.shared.take(count)
    }

    convenience init(copying source: UnsafePointer<Float>, count: Int) {
        self.init(count: count)
        pointer.update(from: source, count: count)
    }

    deinit { StoragePool.shared.give(pointer, count: count) }
}

/// A float32, contiguous, row-major (NCHW for images) tensor with value semantics.
///
/// Storage is shared between copies and between a tensor and its reshapes; mutation goes through
/// `withUnsafeMutableBufferPointer`, which copies first when the storage is shared. A tensor that
/// takes part in autograd carries the graph node that produced it (`gradNode`).
public struct Tensor: CustomStringConvertible {
    public let shape: [Int]
    var storage: TensorStorage
    var gradNode: GradNode?
    /// Set by `keepingConvolutionTransforms`: what convolutions compute from this weight, kept for the next call.
    var keptTransforms: KeptTransforms?

    init(shape: [Int], storage: TensorStorage, gradNode: GradNode? = nil) {
        self.shape = shape
        self.storage = storage
        self.gradNode = gradNode
    }

    /// Uninitialised storage: only for kernels that write every element.
    init(uninitializedShape shape: [Int]) {
        self.init(shape: shape, storage: TensorStorage(count: Tensor.count(of: shape)))
    }

    public init(shape: [Int], values: [Float]) throws {
        let count = try Tensor.validatedCount(shape, op: "Tensor(shape:values:)")
        guard values.count == count else {
            throw EngineError("Tensor(shape:values:)", "shape \(shape) holds \(count) elements, got \(values.count) values")
        }
        let storage = TensorStorage(count: count)
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: count) }
        self.init(shape: shape, storage: storage)
    }

    public init(scalar: Float) {
        let storage = TensorStorage(count: 1)
        storage.pointer[0] = scalar
        self.init(shape: [], storage: storage)
    }

    public static func full(_ value: Float, shape: [Int]) throws -> Tensor {
        let count = try validatedCount(shape, op: "full")
        let result = Tensor(uninitializedShape: shape)
        result.storage.pointer.update(repeating: value, count: count)
        return result
    }

    public static func zeros(_ shape: [Int]) throws -> Tensor { try full(0, shape: shape) }
    public static func ones(_ shape: [Int]) throws -> Tensor { try full(1, shape: shape) }

    /// Builds a tensor by calling `fill` with a buffer of `count(shape)` uninitialised elements.
    public static func generate(shape: [Int], _ fill: (UnsafeMutableBufferPointer<Float>) throws -> Void) throws -> Tensor {
        let count = try validatedCount(shape, op: "generate")
        let result = Tensor(uninitializedShape: shape)
        try fill(UnsafeMutableBufferPointer(start: result.storage.pointer, count: count))
        return result
    }

    public var count: Int { storage.count }
    public var rank: Int { shape.count }
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// The single value of a one-element tensor.
    public func item() throws -> Float {
        guard count == 1 else { throw EngineError("item", "needs a one-element tensor, got shape \(shape)") }
        return storage.pointer[0]
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Copy-on-write access. The tensor leaves the autograd graph: in-place edits are for optimisers
    /// and data preparation, never for recorded computations. It drops its kept convolution transforms, made of the
    /// values before the edit.
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) {
            storage = TensorStorage(copying: storage.pointer, count: count)
        }
        gradNode = nil
        keptTransforms = nil
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    var pointer: UnsafeMutablePointer<Float> { storage.pointer }

    public var description: String {
        let preview = scalars.prefix(8).map { String(format: "%.5g", $0) }.joined(separator: ", ")
        return "Tensor(\(shape), [\(preview)\(count > 8 ? ", …" : "")])"
    }

    static func count(of shape: [Int]) -> Int { shape.reduce(1, *) }

    static func validatedCount(_ shape: [Int], op: String) throws -> Int {
        var count = 1
        for dim in shape {
            guard dim >= 0 else { throw EngineError(op, "negative dimension in shape \(shape)") }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= Int(Int32.max) * 64 else { throw EngineError(op, "shape \(shape) is too large") }
            count = product
        }
        return count
    }

    /// Throws when any element is NaN or infinite; `name` says which value, for the message.
    public func checkFinite(_ name: String) throws {
        let bad = withUnsafeBufferPointer { buffer in buffer.firstIndex { !$0.isFinite } }
        if let index = bad {
            throw EngineError("checkFinite", "\(name) has a non-finite value \(pointer[index]) at flat index \(index) (shape \(shape))")
        }
    }
}
