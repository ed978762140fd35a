import COpenBLAS
import Dispatch
import Foundation

/// Thread settings shared by OpenBLAS (GEMM) and the engine's own kernels.
public enum EngineThreads {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var current: Int = ProcessInfo.processInfo.activeProcessorCount

    /// Number of threads for GEMM and for the non-GEMM kernels (im2col, FIR, elementwise, reductions).
    public static var count: Int {
        get { lock.lock(); defer { lock.unlock() }; return current }
        set {
            let value = max(1, newValue)
            lock.lock(); current = value; lock.unlock()
            openblas_set_num_threads(Int32(value))
        }
    }

    /// OpenBLAS's own thread count, one setting for the whole process: `count`, which nothing changes during a call
    /// (docs/engine-kernels.md "The host's slow state", products by sample).
    public static var blasThreadCount: Int { Int(openblas_get_num_threads()) }

    /// The OpenBLAS kernel family in use (e.g. "Haswell", "SkylakeX"); set by OPENBLAS_CORETYPE or detected.
    public static var blasCoreName: String { String(cString: openblas_get_corename()) }

    /// Whether OpenBLAS's kernel family computes with 512-bit vectors (SkylakeX, Cooperlake, SapphireRapids): then its
    /// sgemm runs at the rate of the engine's 16-lane kernels, where an AVX2 family on an AVX-512 CPU runs at about half
    /// (docs/engine-kernels.md "OpenBLAS's kernel family", "Blocked products").
    public static let blasCoreIsAVX512 = ["skylakex", "cooperlake", "sapphirerapids"].contains(blasCoreName.lowercased())

    /// The kernel family and how it was chosen, for the benchmarks' machine line: "(detected)", or the OPENBLAS_CORETYPE
    /// the process was started with, which OpenBLAS reads only when it is loaded. An environment may name a family the
    /// CPU outruns (OPENBLAS_CORETYPE=Haswell on an AVX-512 machine halves sgemm: docs/engine-kernels.md "OpenBLAS's
    /// kernel family"), so a number means little without it.
    public static var blasCoreInEffect: String {
        let variable = blasCoreEnvironmentVariable
        guard let named = ProcessStartEnvironment.variables[variable] else { return "\(blasCoreName) (detected)" }
        return "\(blasCoreName) (\(variable)=\(named))"
    }

    /// The variable by which OpenBLAS takes a kernel family instead of detecting one.
    public static let blasCoreEnvironmentVariable = "OPENBLAS_CORETYPE"
}

/// Splits a range of tasks numbered part by part, `items` tasks per part (a group's tiles, a product's column groups),
/// into each part it touches and that part's range of items.
func forEachPart(of tasks: Range<Int>, itemsPerPart items: Int, _ body: (Int, Range<Int>) -> Void) {
    guard !tasks.isEmpty else { return }
    for part in (tasks.lowerBound / items)...((tasks.upperBound - 1) / items) {
        body(part, max(tasks.lowerBound, part * items) - part * items..<min(tasks.upperBound, (part + 1) * items) - part * items)
    }
}

/// Splits `0..<count` into at most `EngineThreads.count` contiguous chunks and runs them in parallel.
/// Work below `minimumPerThread` items stays on the calling thread: waking workers costs more than it saves.
@inline(__always)
func parallelChunks(_ count: Int, minimumPerThread: Int = 1, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let threads = min(EngineThreads.count, max(1, count / max(1, minimumPerThread)))
    if threads <= 1 {
        body(0..<count)
        return
    }
    let chunk = (count + threads - 1) / threads
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        let start = t * chunk
        let end = min(count, start + chunk)
        if start < end { body(start..<end) }
    }
}
