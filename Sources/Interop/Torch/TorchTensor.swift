import Foundation
import Checkpoint

/// A torch storage: a typed run of elements. In a zip checkpoint its bytes are an archive member;
/// in the legacy format they follow the pickles and are attached once read.
public final class TorchStorage {
    public let key: String
    public let dtype: DType
    public let elementCount: Int
    public let byteCount: Int
    /// Shared by every storage of one file: what its tensors may bring into memory.
    let budget: MaterializationBudget
    public private(set) var bytes: ByteSlice?

    init(key: String, dtype: DType, elementCount: Int, budget: MaterializationBudget) throws {
        guard elementCount >= 0 else { throw InteropError("storage '\(key)' has a negative element count") }
        self.byteCount = try MaterializationBudget.byteCount(elementCount, width: dtype.byteSize, for: "storage '\(key)'")
        self.key = key
        self.dtype = dtype
        self.elementCount = elementCount
        self.budget = budget
    }

    /// Attaches the data; its size must match the declared element count exactly.
    func attach(_ data: ByteSlice) throws {
        guard bytes == nil else { throw InteropError("storage '\(key)' has two data records") }
        guard data.count == byteCount else {
            throw InteropError("storage '\(key)' declares \(elementCount) \(dtype.rawValue) elements (\(byteCount) bytes) but its data has \(data.count) bytes")
        }
        bytes = data
    }
}

/// A view into a storage, as `torch._utils._rebuild_tensor_v2` describes it.
public struct TorchTensor {
    public let storage: TorchStorage
    public let storageOffset: Int
    public let shape: [Int]
    public let strides: [Int]

    /// `(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`. torch 0.4
    /// wrote None for backward_hooks (lpips's v0.1 heads are such a file), later versions an OrderedDict.
    init(rebuildArguments args: [PickleValue]) throws {
        guard args.count == 6 || args.count == 7 else {
            throw InteropError("_rebuild_tensor_v2 takes 6 or 7 arguments, got \(args.count)")
        }
        guard case .storage(let storage) = args[0] else {
            throw InteropError("_rebuild_tensor_v2 expects a storage first, got \(args[0].typeName)")
        }
        let hooksAreEmptyOrDict: Bool = { if case .none = args[5] { return true }; return args[5].dictValue != nil }()
        guard let offset = args[1].intValue, let sizes = args[2].sequence, let strides = args[3].sequence,
              case .bool = args[4], hooksAreEmptyOrDict else {
            throw InteropError("_rebuild_tensor_v2 expects (storage, int, tuple, tuple, bool, dict or None)")
        }
        try self.init(storage: storage, offset: offset,
                      shape: try Self.dimensions(sizes, "size"), strides: try Self.dimensions(strides, "stride"))
    }

    /// numpy's limit; StyleGAN tensors have at most 4 dimensions, and copying a strided view costs
    /// its rank per row.
    static let maxRank = 32

    init(storage: TorchStorage, offset: Int, shape: [Int], strides: [Int]) throws {
        guard shape.count == strides.count else {
            throw InteropError("tensor size \(shape) and stride \(strides) have different ranks")
        }
        guard shape.count <= Self.maxRank else { throw InteropError("tensor of \(shape.count) dimensions (at most \(Self.maxRank) are supported)") }
        guard offset >= 0 else { throw InteropError("negative storage offset \(offset)") }
        let count = try TensorData.elementCount(shape)
        // The last element touched is offset + Σ (size − 1)·stride; it must lie inside the storage.
        var last = offset
        if count > 0 {
            for (size, stride) in zip(shape, strides) {
                let (step, overflowStep) = (size - 1).multipliedReportingOverflow(by: stride)
                let (sum, overflowSum) = last.addingReportingOverflow(step)
                guard !overflowStep, !overflowSum else { throw InteropError("tensor view \(shape)/\(strides) overflows") }
                last = sum
            }
        }
        guard count == 0 ? offset <= storage.elementCount : last < storage.elementCount else {
            throw InteropError("tensor of size \(shape), stride \(strides) at offset \(offset) reaches outside its storage of \(storage.elementCount) elements")
        }
        self.storage = storage
        self.storageOffset = offset
        self.shape = shape
        self.strides = strides
    }

    private static func dimensions(_ items: [PickleValue], _ what: String) throws -> [Int] {
        try items.map { item in
            guard let value = item.intValue, value >= 0 else {
                throw InteropError("tensor \(what) entries must be non-negative ints, got \(item.typeName)")
            }
            return value
        }
    }

    public var dtype: DType { storage.dtype }

    /// True when the view is dense row-major, so its bytes are one run of the storage.
    public var isContiguous: Bool {
        var expected = 1
        for (size, stride) in zip(shape, strides).reversed() {
            if size != 1 && stride != expected { return false }
            let (next, overflow) = expected.multipliedReportingOverflow(by: size)
            if overflow { return false }
            expected = next
        }
        return true
    }

    /// The tensor as contiguous row-major data: a zero-copy slice of the file when the view is
    /// contiguous, a copy in row-major order otherwise. Either way its size is charged to the file's
    /// budget first: whoever asked will copy or write it, and views may overlap or expand (stride 0).
    public func materialize() throws -> TensorData {
        guard let source = storage.bytes else { throw InteropError("storage '\(storage.key)' has no data") }
        let width = dtype.byteSize
        let count = try TensorData.elementCount(shape)
        let byteCount = try MaterializationBudget.byteCount(count, width: width, for: "a tensor of size \(shape)")
        try storage.budget.charge(byteCount, for: "a tensor of size \(shape), stride \(strides)")
        if count == 0 { return try TensorData(dtype: dtype, shape: shape, bytes: Data()) }
        if isContiguous {
            let start = storageOffset * width
            return try TensorData(dtype: dtype, shape: shape, bytes: source.slice(start..<(start + byteCount)).data)
        }
        var copy = Data(count: byteCount)
        copy.withUnsafeMutableBytes { destination in
            gatherStrided(from: source.bytes.baseAddress!, to: destination.baseAddress!, count: count)
        }
        return try TensorData(dtype: dtype, shape: shape, bytes: copy)
    }

    /// Copies the view in row-major order, one innermost row at a time.
    private func gatherStrided(from source: UnsafeRawPointer, to destination: UnsafeMutableRawPointer, count: Int) {
        let width = dtype.byteSize
        let rank = shape.count
        let rowLength = shape[rank - 1]
        let rowStride = strides[rank - 1]
        var index = [Int](repeating: 0, count: rank)
        var written = 0
        while written < count {
            var element = storageOffset
            for dim in 0..<(rank - 1) { element += index[dim] * strides[dim] }
            if rowStride == 1 {
                (destination + written * width).copyMemory(from: source + element * width, byteCount: rowLength * width)
            } else {
                for column in 0..<rowLength {
                    (destination + (written + column) * width)
                        .copyMemory(from: source + (element + column * rowStride) * width, byteCount: width)
                }
            }
            written += rowLength
            var dim = rank - 2
            while dim >= 0 {
                index[dim] += 1
                if index[dim] < shape[dim] { break }
                index[dim] = 0
                dim -= 1
            }
        }
    }
}
