import Engine
import Foundation
import TestSupport
import Testing

/// OpenBLAS's thread count is one setting for the whole process, so no engine call may change it, even for a while: a
/// call on another thread would run its products with the changed count (docs/engine-kernels.md "The host's slow state",
/// products by sample, withdrawn for this).
@Suite struct BLASThreadCountTests {
    typealias G = GradCheck

    /// The counts other than `expected` a watcher thread saw while `work` ran.
    static func countsSeen(during work: () throws -> Void, expected: Int) throws -> Set<Int> {
        final class Watch: @unchecked Sendable {
            let lock = NSLock()
            var stop = false, seen: Set<Int> = []
        }
        let watch = Watch(), finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            while !watch.lock.withLock({ watch.stop }) {
                let count = EngineThreads.blasThreadCount
                if count != expected { watch.lock.withLock { _ = watch.seen.insert(count) } }
            }
            finished.signal()
        }
        let worked = Result { try work() }
        watch.lock.withLock { watch.stop = true }
        finished.wait()
        try worked.get()
        return watch.seen
    }

    /// Every convolution path and the matrix product, at batch 3 (1×1 and 3×3 through OpenBLAS, Winograd, the
    /// down-sampling (Winograd by parity), the transposed convolution, the weight gradient).
    @Test func noCallChangesOpenBLASsThreadCount() throws {
        let expected = EngineThreads.count
        #expect(EngineThreads.blasThreadCount == expected)
        let pointwise = G.random([3, 144, 9, 11], seed: 71), pointwiseWeight = G.random([160, 144, 1, 1], scale: 0.1, seed: 72)
        let planes = G.random([3, 32, 16, 16], seed: 73), weight = G.random([48, 32, 3, 3], scale: 0.1, seed: 74)
        let onePlane = G.random([1, 32, 16, 16], seed: 79)
        let down = G.random([3, 16, 33, 33], seed: 75), downWeight = G.random([16, 16, 3, 3], scale: 0.1, seed: 76)
        let a = G.random([96, 80], seed: 77), b = G.random([80, 120], seed: 78)
        let seen = try Self.countsSeen(during: {
            for _ in 0..<20 {
                _ = try Tensor.conv2d(pointwise, pointwiseWeight)
                let y = try Tensor.conv2d(planes, weight, ConvOptions(padding: 1))
                _ = try Tensor.conv2d(onePlane, weight, ConvOptions(padding: 1))
                _ = try Tensor.convTranspose2d(y, weight, ConvOptions(padding: 1))
                _ = try Tensor.conv2dWeightGradient(input: planes, gradOutput: y, kernelSize: (3, 3), ConvOptions(padding: 1))
                let d = try Tensor.conv2d(down, downWeight, ConvOptions(stride: 2))
                _ = try Tensor.convTranspose2d(d, downWeight, ConvOptions(stride: 2))
                _ = try Tensor.matmul(a, b)
            }
        }, expected: expected)
        #expect(seen.isEmpty, "OpenBLAS's thread count read \(seen.sorted()) during the calls, not \(expected)")
        #expect(EngineThreads.blasThreadCount == expected)
    }
}
