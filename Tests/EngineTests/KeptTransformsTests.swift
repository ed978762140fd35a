@testable import Engine
import TestSupport
import Testing

/// Kept convolution transforms (`Tensor.keepingConvolutionTransforms`, docs/engine-kernels.md "Kept weight transforms"):
/// every kernel that packs or transforms a weight gives the same bits from the kept transform as from its own, each
/// transform is made once, and an edit of the weight drops them.
@Suite struct KeptTransformsTests {
    typealias G = GradCheck

    struct Case {
        let name: String
        let algorithm: ConvolutionAlgorithm
        let input: [Int], weight: [Int]
        /// Whether the pass is the transposed convolution (backward data) rather than conv2d.
        let transposed: Bool
        let options: ConvOptions
        /// Whether a kernel that keeps a transform serves the case on this machine's instruction set.
        let keeps: Bool

        func run(_ x: Tensor, _ w: Tensor) throws -> [Float] {
            try ConvolutionAlgorithm.using(algorithm) {
                try (transposed ? Tensor.convTranspose2d(x, w, options) : Tensor.conv2d(x, w, options)).scalars
            }
        }
    }

    static let cases: [Case] = [
        Case(name: "Winograd F(2×2)", algorithm: .auto, input: [2, 4, 16, 16], weight: [6, 4, 3, 3], transposed: false,
             options: ConvOptions(padding: 1), keeps: true),
        Case(name: "Winograd F(2×2), two groups", algorithm: .auto, input: [2, 8, 16, 16], weight: [6, 4, 3, 3], transposed: false,
             options: ConvOptions(padding: 1, groups: 2), keeps: true),
        Case(name: "Winograd F(4×4)", algorithm: .auto, input: [2, 4, 16, 16], weight: [6, 4, 3, 3], transposed: false,
             options: ConvOptions(stride: 1, padding: (1, 1), rounding: .relaxed), keeps: true),
        Case(name: "direct", algorithm: .direct, input: [2, 4, 16, 16], weight: [6, 4, 3, 3], transposed: false,
             options: ConvOptions(padding: 1), keeps: true),
        Case(name: "Winograd backward data", algorithm: .auto, input: [2, 6, 16, 16], weight: [6, 4, 3, 3], transposed: true,
             options: ConvOptions(padding: 1), keeps: true),
        // Channels enough that U exceeds half the L2 (on L2s under 8 MiB), so the passes run by samples (`winogradBySamples`,
        // `byTheSamplesCasesRunBySamples`), whose threads pack U themselves unless it is kept.
        Case(name: "Winograd by samples", algorithm: .auto, input: [2, 256, 16, 16], weight: [256, 256, 3, 3], transposed: false,
             options: ConvOptions(padding: 1), keeps: true),
        Case(name: "Winograd by samples, backward data", algorithm: .auto, input: [2, 256, 16, 16], weight: [256, 256, 3, 3], transposed: true,
             options: ConvOptions(padding: 1), keeps: true),
        Case(name: "direct backward data", algorithm: .direct, input: [2, 6, 16, 16], weight: [6, 4, 3, 3], transposed: true,
             options: ConvOptions(padding: 1), keeps: true),
        Case(name: "Winograd down-sampling", algorithm: .auto, input: [2, 4, 33, 33], weight: [6, 4, 3, 3], transposed: false,
             options: ConvOptions(stride: 2), keeps: true),
        Case(name: "direct down-sampling", algorithm: .direct, input: [2, 4, 33, 33], weight: [6, 4, 3, 3], transposed: false,
             options: ConvOptions(stride: 2), keeps: true),
        Case(name: "Winograd up-sampling", algorithm: .auto, input: [2, 6, 32, 32], weight: [6, 4, 3, 3], transposed: true,
             options: ConvOptions(stride: 2), keeps: true),
        Case(name: "direct up-sampling", algorithm: .direct, input: [2, 6, 32, 32], weight: [6, 4, 3, 3], transposed: true,
             options: ConvOptions(stride: 2), keeps: KernelInstructionSet.active.vectorFloats == 16),
        Case(name: "line Winograd F(2, 3)", algorithm: .auto, input: [2, 8, 8, 8], weight: [5, 8, 1, 3], transposed: false,
             options: ConvOptions(stride: 1, padding: (0, 1)), keeps: true),
        Case(name: "Winograd F(4×4, 5×5)", algorithm: .auto, input: [2, 8, 17, 17], weight: [5, 8, 5, 5], transposed: false,
             options: ConvOptions(padding: 2, rounding: .relaxed), keeps: true),
        Case(name: "line Winograd F(4, 7)", algorithm: .auto, input: [2, 8, 17, 17], weight: [5, 8, 7, 1], transposed: false,
             options: ConvOptions(stride: 1, padding: (3, 0), rounding: .relaxed), keeps: true),
    ]

    /// The first call makes and keeps the transform, the second takes it; both give the bits of a weight that keeps none.
    /// A kept transform altered on purpose then changes the result: the kernel reads it rather than packing again.
    @Test(arguments: cases.indices) func keptTransformsGiveTheSameBits(_ index: Int) throws {
        let test = Self.cases[index]
        let x = G.random(test.input, seed: 91), w = G.random(test.weight, scale: 0.3, seed: 92)
        let kept = w.keepingConvolutionTransforms()
        let plain = try test.run(x, w)
        #expect(mismatch(try test.run(x, kept), plain) == nil, "\(test.name), first call")
        let made = try #require(kept.keptTransforms).kept
        #expect(made.isEmpty == !test.keeps, "\(test.name): \(made.keys.sorted())")
        #expect(mismatch(try test.run(x, kept), plain) == nil, "\(test.name), second call")
        #expect(try #require(kept.keptTransforms).kept.keys.sorted() == made.keys.sorted(), "\(test.name): the second call made nothing new")
        guard test.keeps else { return }
        for storage in made.values { storage.pointer.update(repeating: 0.5, count: storage.count) }
        #expect(mismatch(try test.run(x, kept), plain) != nil, "\(test.name): the altered kept transform was not read")
    }

    /// The by-samples cases above run by samples on this machine, so they hold the threads' own packs (5 tiles at a time
    /// at 256 channels on a 1 MiB L2) to a kept U's bits.
    @Test func byTheSamplesCasesRunBySamples() {
        #expect(DirectConvolution.winogradSamplesPerBand(inChannels: 256, outChannels: 256, height: 16, width: 16, batch: 2, tilesPerBand: nil) != nil,
                "L2 budget \(DirectConvolution.bandBudgetBytes) bytes")
    }

    /// One weight through every 3×3 path in turn, twice: each layout and kernel keeps its own transform, and none takes
    /// another's.
    @Test func onePathsTransformServesNoOther() throws {
        let paths = Self.cases.filter { $0.weight == [6, 4, 3, 3] && $0.options.groups == 1 }
        let w = G.random([6, 4, 3, 3], scale: 0.3, seed: 94), kept = w.keepingConvolutionTransforms()
        let inputs = paths.map { G.random($0.input, seed: 93) }
        let plain = try zip(paths, inputs).map { try $0.run($1, w) }
        for round in 0..<2 {
            for (index, (path, x)) in zip(paths, inputs).enumerated() {
                #expect(mismatch(try path.run(x, kept), plain[index]) == nil, "\(path.name), round \(round)")
            }
        }
        // Forward F(2×2) and F(4×4), the direct taps (shared by stride-1 and down-sampling forward passes, which pack
        // alike), Winograd and direct backward data, Winograd up- and down-sampling (two packings), and the
        // direct up-sampling where it serves.
        let expected = 7 + (KernelInstructionSet.active.vectorFloats == 16 ? 1 : 0)
        let keys = try #require(kept.keptTransforms).kept.keys.sorted()
        #expect(keys.count == expected, "\(keys)")
    }

    @Test func aTransformIsMadeOnce() {
        let transforms = KeptTransforms()
        var made = 0
        for _ in 0..<3 {
            let storage = transforms.transform("test", count: 4) { pointer in
                made += 1
                pointer.update(repeating: 7, count: 4)
            }
            #expect(Array(UnsafeBufferPointer(start: storage.pointer, count: 4)) == [7, 7, 7, 7])
        }
        #expect(made == 1 && transforms.kept.mapValues(\.count) == ["test": 4])
    }

    /// An edit of the weight, in place or into a copy, leaves nothing made of its old values behind.
    @Test func anEditDropsTheKeptTransforms() throws {
        let x = G.random([1, 4, 16, 16], seed: 95)
        var weight = G.random([6, 4, 3, 3], scale: 0.3, seed: 96).keepingConvolutionTransforms()
        _ = try Tensor.conv2d(x, weight, ConvOptions(padding: 1))
        var copy = weight
        copy.withUnsafeMutableBufferPointer { $0[0] += 1 }
        #expect(!copy.keepsConvolutionTransforms && weight.keepsConvolutionTransforms)
        // Uniquely held now that the copy has its own storage: the edit is in place.
        weight.withUnsafeMutableBufferPointer { $0[0] += 1 }
        #expect(!weight.keepsConvolutionTransforms)
        #expect(mismatch(try Tensor.conv2d(x, weight.keepingConvolutionTransforms(), ConvOptions(padding: 1)).scalars,
                         try Tensor.conv2d(x, copy, ConvOptions(padding: 1)).scalars) == nil)
        var summed = G.random([6, 4, 3, 3], seed: 97).keepingConvolutionTransforms()
        #expect(summed.addInPlaceIfUnique(weight) && !summed.keepsConvolutionTransforms)
    }
}
