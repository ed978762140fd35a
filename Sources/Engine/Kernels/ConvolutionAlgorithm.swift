import Foundation

/// How the engine computes 3×3 convolutions, and the forward passes of Inception's 1×r and r×1 ones: `auto` (Winograd,
/// then the direct kernels, where they suit; LineWinograd for 1×r and r×1; im2col + GEMM elsewhere), `direct` (no
/// Winograd) or `im2col` everywhere, forced with TOONKIT_CONV so
/// benchmarks can time the paths from one binary (docs/engine-kernels.md "Direct convolution").
public enum ConvolutionAlgorithm: String, CaseIterable, Sendable {
    case auto, direct, im2col

    var usesDirectKernels: Bool { self != .im2col }
    var usesWinograd: Bool { self == .auto }

    public static let environmentVariable = "TOONKIT_CONV"

    /// Decided on first use; an unknown TOONKIT_CONV ends the process with status 2, as TOONKIT_SIMD does.
    public static let active: ConvolutionAlgorithm = processWideChoice { try fromEnvironment(ProcessInfo.processInfo.environment) }

    @TaskLocal private static var scoped: ConvolutionAlgorithm?

    /// The algorithm convolutions use here: the one `using(_:_:)` set around this code, else `active`.
    public static var current: ConvolutionAlgorithm { scoped ?? active }

    /// Runs `body` with its convolutions (those it calls on this thread) computed by `algorithm`, so a benchmark can
    /// alternate two paths call by call in one process, where a busy machine slows both alike.
    public static func using<T>(_ algorithm: ConvolutionAlgorithm, _ body: () throws -> T) rethrows -> T {
        try $scoped.withValue(algorithm, operation: body)
    }

    /// The smallest batch from which `auto` computes a stride-1 3×3 layer's forward and backward-data passes on `size` × `size`
    /// planes (8 to 15 wide) by Winograd instead of im2col, which round differently (`DirectConvolution.suitsNarrowWinograd`).
    public static func smallestWinogradBatch(onPlanesOf size: Int) -> Int {
        let tilesPerSample = DirectConvolution.winogradPlaneTiles(size, size)
        return (DirectConvolution.narrowPlaneMinimumTiles + tilesPerSample - 1) / tilesPerSample
    }

    /// The largest batch whose up-sampling from 8² planes (into 17²) computes its product pixel-major, all of the batch in
    /// one block (`ConvGeometry.backwardDataColumnLayout`); larger batches sum it in another order.
    public static var largestPixelMajorUpsamplingBatch: Int { ConvGeometry.pixelMajorColumnLimit / (Vector8.lanes * Vector8.lanes) }

    public static func fromEnvironment(_ environment: [String: String]) throws -> ConvolutionAlgorithm {
        guard let requested = environment[environmentVariable], !requested.isEmpty else { return .auto }
        guard let algorithm = ConvolutionAlgorithm(rawValue: requested.lowercased()) else {
            throw EngineError(environmentVariable, "unknown convolution algorithm '\(requested)'; use one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return algorithm
    }
}

/// A process-wide setting read once from the environment. A bad value stops the process with status 2 and
/// says why: silently running another path would falsify a comparison.
func processWideChoice<T>(_ read: () throws -> T) -> T {
    do {
        return try read()
    } catch {
        stopProcess(error: "\(error)", runningExitHandlers: true)
    }
}

/// Writes "NAME: error: MESSAGE" to stderr and ends the process with status 2: for failures no caller can mend
/// (a bad process-wide setting, a checksum library that refuses to hash). `runningExitHandlers: false` (_exit) is
/// for callers that may stop while another thread still uses what exit's handlers (HDF5's among them) tear down.
public func stopProcess(error message: String, runningExitHandlers: Bool) -> Never {
    FileHandle.standardError.write(Data("\(ProcessInfo.processInfo.processName): error: \(message)\n".utf8))
    if runningExitHandlers { exit(2) }
    _exit(2)
}
