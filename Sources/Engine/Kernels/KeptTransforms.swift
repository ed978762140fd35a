import Foundation

/// What convolutions compute from a weight alone before they convolve with it (the direct kernels' packed taps, Winograd's
/// transformed weights), kept with a weight that stays fixed over many calls instead of made again on every call
/// (`Tensor.keepingConvolutionTransforms`; docs/engine-kernels.md "Kept weight transforms"). Each is keyed by the kernel
/// and the layout it reads the weight in, so the transforms of one weight for several kernels live side by side.
/// Thread-safe: a transform is made once, under the lock, and never changed after.
final class KeptTransforms: @unchecked Sendable {
    private let lock = NSLock()
    private var transforms: [String: TensorStorage] = [:]

    /// The transform named `key`: the kept one, or one of `count` floats that `make` fills, kept from then on. The caller
    /// holds the returned storage while it convolves.
    func transform(_ key: String, count: Int, make: (UnsafeMutablePointer<Float>) -> Void) -> TensorStorage {
        lock.lock()
        defer { lock.unlock() }
        if let kept = transforms[key] {
            precondition(kept.count == count, "kept transform '\(key)' holds \(kept.count) floats, the kernel needs \(count)")
            return kept
        }
        let made = Self.made(count: count, by: make)
        transforms[key] = made
        return made
    }

    /// A transform of `count` floats that `make` fills.
    fileprivate static func made(count: Int, by make: (UnsafeMutablePointer<Float>) -> Void) -> TensorStorage {
        let made = TensorStorage(count: count)
        make(made.pointer)
        return made
    }

    /// The transforms kept so far, by key.
    var kept: [String: TensorStorage] {
        lock.lock()
        defer { lock.unlock() }
        return transforms
    }
}

extension Optional where Wrapped == KeptTransforms {
    /// The kept transform named `key`; with nothing kept, one that `make` fills for this call alone.
    func transform(_ key: @autoclosure () -> String, count: Int, make: (UnsafeMutablePointer<Float>) -> Void) -> TensorStorage {
        if let kept = self { return kept.transform(key(), count: count, make: make) }
        return KeptTransforms.made(count: count, by: make)
    }
}

extension Tensor {
    /// This tensor, as a convolution weight whose transforms (packed taps, Winograd's transformed weights) are kept for
    /// the next call rather than made on every call: for weights fixed over many forward passes (a generator prepared for
    /// inference, FID's Inception). At batch 1 a paper256 generator spent about 8 ms of 145 making them.
    /// Results are the same to the bit, as the same code makes each transform once instead of every time. The transforms
    /// cost memory (Winograd F(2×2, 3×3): 16/9 of the weight per kernel that reads it) for as long as this value or a copy
    /// of it lives; a tensor made from it (a reshape, a product) keeps none, and an edit in place
    /// (`withUnsafeMutableBufferPointer`) drops them.
    public func keepingConvolutionTransforms() -> Tensor {
        var kept = self
        kept.keptTransforms = keptTransforms ?? KeptTransforms()
        return kept
    }

    /// Whether convolutions keep their transforms of this weight (`keepingConvolutionTransforms`).
    public var keepsConvolutionTransforms: Bool { keptTransforms != nil }
}
