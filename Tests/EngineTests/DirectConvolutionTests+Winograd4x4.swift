@testable import Engine
import Foundation
import TestSupport
import Testing

/// Winograd F(4×4, 3×3), the forward kernel of `ConvRounding.relaxed` (docs/engine-kernels.md "Winograd F(4×4, 3×3)"):
/// against double-precision loops, with its rounding compared to F(2×2, 3×3)'s on the same sums; which passes take it;
/// and the instruction sets against each other.
extension DirectConvolutionTests {

    /// Against the definition, accumulated too, on F(2×2, 3×3)'s thirteen shapes: partial channel tiles, groups, batches,
    /// padding 0, 1 and 2, widths and heights that end in partial tiles (1–3 pixels of the last tile column and row), the
    /// last vector of tile columns partial on every set, and several bands (200 → 13 channels on 147 wide: bands of one
    /// tile row, 4 rows, so 11 rows take three, the last of 3 rows); and bands of one tile row give the same bits as the
    /// default bands. The error bound is the rounding the kernel is documented to add: 13 times F(2×2, 3×3)'s on average,
    /// so each case also checks that it stays within 40 times F(2×2, 3×3)'s worst error.
    @Test func winograd4x4MatchesTheDefinition() throws {
        // (batch, groups, in, out, input height, input width, padding)
        let cases = [(1, 1, 3, 7, 4, 32, 1), (2, 2, 8, 14, 6, 64, 1), (1, 1, 40, 13, 6, 512, 1), (1, 1, 3, 7, 5, 33, 1), (2, 1, 5, 13, 9, 37, 0),
                     (1, 2, 8, 14, 12, 73, 0), (1, 1, 4, 6, 3, 40, 2), (1, 1, 200, 13, 11, 147, 1), (2, 1, 6, 5, 35, 35, 1),
                     (1, 1, 3, 5, 6, 34, 0), (2, 1, 6, 9, 16, 16, 1), (1, 1, 5, 4, 7, 19, 1), (1, 2, 4, 6, 5, 18, 0)]
        for (n, groups, c, o, h, w, padding) in cases {
            let shape = "shape \((n, groups, c, o, h, w)), padding \(padding)"
            let g = try ConvGeometry(op: "test", input: [n, c, h, w], weight: [o, c / groups, 3, 3], options: ConvOptions(padding: padding, groups: groups))
            let x = G.random([n, c, h, w], seed: 96), weight = G.random([o, c / groups, 3, 3], scale: 0.3, seed: 97)
            let count = n * o * g.outPlane
            let reference = ForwardTests.naiveConv2d(x, weight, stride: 1, padding: padding, groups: groups)
            let large = run(count: count) { winograd(g, x, weight, tile: .four, output: $0) }
            let small = run(count: count) { winograd(g, x, weight, tile: .two, output: $0) }
            let (largeError, smallError) = (ForwardTests.maxDifference(large, reference), ForwardTests.maxDifference(small, reference))
            #expect(largeError < 1e-3 && largeError < 40 * max(smallError, 1e-6), "\(shape): F(4×4) \(largeError), F(2×2) \(smallError)")
            let accumulated = run(count: count, from: 1) { winograd(g, x, weight, tile: .four, accumulate: true, output: $0) }
            #expect(ForwardTests.maxDifference(accumulated, reference.map { $0 + 1 }) < 1e-3, "accumulated, \(shape)")
            let banded = run(count: count) {
                DirectConvolution.forward(g, input: x.pointer, weight: weight.pointer, output: $0, winograd: .four, winogradTilesPerBand: 1)
            }
            #expect(banded.map(\.bitPattern) == large.map(\.bitPattern), "bands of one tile row, \(shape)")
        }
    }

    /// Only forward passes with `rounding: .relaxed`, on the planes F(2×2, 3×3) serves from 16 wide and under `auto`,
    /// take F(4×4, 3×3); backward passes, narrow planes, `direct` and `im2col` keep their paths. conv2d passes its
    /// options' rounding on.
    @Test func onlyRelaxedForwardPassesTakeWinograd4x4() throws {
        let wide = try ConvGeometry(op: "test", input: [1, 4, 35, 35], weight: [4, 4, 3, 3], options: ConvOptions(padding: 1))
        let narrow = try ConvGeometry(op: "test", input: [8, 4, 8, 8], weight: [4, 4, 3, 3], options: ConvOptions(padding: 1))
        typealias Path = DirectConvolution.Path
        #expect(Path(wide, backwardData: false, algorithm: .auto, rounding: .relaxed) == .winograd4x4)
        #expect(Path(wide, backwardData: false, algorithm: .auto) == .winograd)
        #expect(Path(wide, backwardData: true, algorithm: .auto, rounding: .relaxed) == .winograd)
        #expect(Path(wide, backwardData: false, algorithm: .direct, rounding: .relaxed) == nil)
        #expect(Path(wide, backwardData: false, algorithm: .im2col, rounding: .relaxed) == nil)
        #expect(Path(narrow, backwardData: false, algorithm: .auto, rounding: .relaxed) == .winograd)
        #expect(ConvOptions(padding: 1, rounding: .relaxed) != ConvOptions(padding: 1))

        let x = G.random([1, 4, 35, 35], seed: 85), weight = G.random([4, 4, 3, 3], scale: 0.3, seed: 86)
        let large = run(count: 4 * 35 * 35) { winograd(wide, x, weight, tile: .four, output: $0) }
        let small = run(count: 4 * 35 * 35) { winograd(wide, x, weight, tile: .two, output: $0) }
        #expect(large != small, "the two tiles round differently here, so the checks below can tell them apart")
        #expect(try mismatch(Tensor.conv2d(x, weight, ConvOptions(padding: 1, rounding: .relaxed)).scalars, large) == nil)
        #expect(try mismatch(Tensor.conv2d(x, weight, ConvOptions(padding: 1)).scalars, small) == nil)
        #expect(try ConvolutionAlgorithm.using(.im2col) { try Tensor.conv2d(x, weight, ConvOptions(padding: 1, rounding: .relaxed)).scalars }
                == run(count: 4 * 35 * 35) { ConvKernels.forward(wide, input: x.pointer, weight: weight.pointer, output: $0, algorithm: .im2col) })
    }

    /// Gradients round as `standard` whatever the forward's rounding: convTranspose2d's input gradient is a conv2d, which
    /// would take F(4×4, 3×3) with the forward's relaxed options. The input's gradient of convT(conv(x)) does not depend on
    /// the forward's values (the weight's does), so it is the same bits with either rounding.
    @Test func relaxedRoundingLeavesGradientsStandard() throws {
        let x = G.random([1, 4, 35, 35], seed: 87).requiringGrad(), weight = G.random([4, 4, 3, 3], scale: 0.3, seed: 88)
        func inputGradient(_ rounding: ConvRounding) throws -> [Float] {
            let options = ConvOptions(padding: 1, rounding: rounding)
            let y = try Tensor.convTranspose2d(try Tensor.conv2d(x, weight, options), weight, options)
            return try gradients(of: y, withRespectTo: [x])[0].scalars
        }
        #expect(try inputGradient(.relaxed) == inputGradient(.standard))
    }

    /// The transforms have no multiply-add, so sets that fuse their products alike agree bit for bit (AVX2 and AVX-512, where
    /// the CPU has both); x86-64's baseline rounds its products and may differ by the chains' error bound.
    @Test func instructionSetsAgreeOnWinograd4x4() throws {
        let cases = [(1, 2, 8, 14, 6, 64, 1), (1, 2, 8, 14, 9, 37, 0), (2, 2, 8, 14, 16, 16, 1), (1, 1, 6, 7, 11, 19, 2)]
        func results(_ set: KernelInstructionSet) throws -> [Float] {
            try cases.flatMap { (n, groups, c, o, h, w, padding) -> [Float] in
                let g = try ConvGeometry(op: "test", input: [n, c, h, w], weight: [o, c / groups, 3, 3],
                                         options: ConvOptions(padding: padding, groups: groups))
                let x = G.random([n, c, h, w], seed: 99), weight = G.random([o, c / groups, 3, 3], scale: 0.3, seed: 98)
                return run(count: n * o * g.outPlane) { winograd(g, x, weight, tile: .four, output: $0, instructionSet: set) }
            }
        }
        try expectSetsAgree(results)
    }

    /// A 5×5 convolution with padding 2 by F(4×4, 5×5) (`WinogradFiveByFive`): against the definition on planes that end
    /// in partial tiles (1–3 pixels of the last tile column and row), partial channel tiles, batches, two bands (48 → 64
    /// channels on 35²: 32 rows, then 3), the last vector of tile columns partial on every set or whole (64 wide: 16 tile
    /// columns, whose last reads the right halo's last columns), and more than one vector of them on every set (70 wide),
    /// within 1e-3 and 40 times im2col's worst error; through conv2d only with relaxed rounding; bands of one tile row give
    /// the same bits. Other 5×5 geometries keep im2col.
    @Test func winograd5x5MatchesTheDefinition() throws {
        // (batch, in, out, height, width)
        for (n, c, o, h, w) in [(2, 5, 7, 35, 35), (1, 3, 13, 17, 16), (1, 48, 6, 6, 19), (1, 48, 64, 35, 35), (3, 2, 5, 10, 33),
                                (1, 4, 5, 9, 64), (1, 4, 5, 9, 70)] {
            let shape = "shape \((n, c, o, h, w))"
            let g = try ConvGeometry(op: "test", input: [n, c, h, w], weight: [o, c, 5, 5], options: ConvOptions(padding: 2))
            let x = G.random([n, c, h, w], seed: 93), weight = G.random([o, c, 5, 5], scale: 0.2, seed: 94)
            let reference = ForwardTests.naiveConv2d(x, weight, stride: 1, padding: 2, groups: 1)
            let fiveByFive = try #require(WinogradFiveByFive(g), "\(shape)")
            let output = run(count: n * o * h * w) { fiveByFive.forward(input: x.pointer, weight: weight.pointer, output: $0) }
            let standard = try Tensor.conv2d(x, weight, ConvOptions(padding: 2)).scalars
            let (error, standardError) = (ForwardTests.maxDifference(output, reference), ForwardTests.maxDifference(standard, reference))
            #expect(standardError < 1e-4, "\(shape): im2col \(standardError)")
            #expect(error < 1e-3 && error < 40 * max(standardError, 1e-6), "\(shape): F(4×4, 5×5) \(error), im2col \(standardError)")
            #expect(try mismatch(Tensor.conv2d(x, weight, ConvOptions(padding: 2, rounding: .relaxed)).scalars, output) == nil, "\(shape)")
            #expect(standard != output, "standard rounding keeps im2col, which rounds differently")
            let banded = run(count: n * o * h * w) {
                fiveByFive.forward(input: x.pointer, weight: weight.pointer, output: $0, tilesPerBand: 1)
            }
            #expect(banded.map(\.bitPattern) == output.map(\.bitPattern), "bands of one tile row, \(shape)")
        }
        // (input, weight, options) that keep im2col: a plane under 16 wide, padding 1, groups, 3×3, stride 2.
        let refused: [([Int], [Int], ConvOptions)] = [
            ([1, 4, 8, 8], [4, 4, 5, 5], ConvOptions(padding: 2)), ([1, 4, 20, 20], [4, 4, 5, 5], ConvOptions(padding: 1)),
            ([1, 4, 20, 20], [4, 2, 5, 5], ConvOptions(padding: 2, groups: 2)), ([1, 4, 20, 20], [4, 4, 3, 3], ConvOptions(padding: 2)),
            ([1, 4, 20, 20], [4, 4, 5, 5], ConvOptions(stride: 2, padding: 2)),
        ]
        for (input, weight, options) in refused {
            #expect(WinogradFiveByFive(try ConvGeometry(op: "test", input: input, weight: weight, options: options)) == nil, "\(input), \(weight)")
        }
    }

    /// The 5×5's transforms have no multiply-add either: AVX2 and AVX-512 agree bit for bit, the baseline within the chains'
    /// error bound, as `instructionSetsAgreeOnWinograd4x4`.
    @Test func instructionSetsAgreeOnWinograd5x5() throws {
        let cases = [(1, 8, 14, 6, 64), (2, 5, 7, 35, 35), (1, 3, 13, 17, 16)]
        func results(_ set: KernelInstructionSet) throws -> [Float] {
            try cases.flatMap { (n, c, o, h, w) -> [Float] in
                let g = try ConvGeometry(op: "test", input: [n, c, h, w], weight: [o, c, 5, 5], options: ConvOptions(padding: 2))
                let x = G.random([n, c, h, w], seed: 99), weight = G.random([o, c, 5, 5], scale: 0.2, seed: 98)
                let fiveByFive = try #require(WinogradFiveByFive(g))
                return run(count: n * o * g.outPlane) {
                    fiveByFive.forward(input: x.pointer, weight: weight.pointer, output: $0, instructionSet: set)
                }
            }
        }
        try expectSetsAgree(results)
    }

    /// Sets that fuse their products alike give the same bits; the others agree within 1e-5 of the largest value.
    private func expectSetsAgree(_ results: (KernelInstructionSet) throws -> [Float]) throws {
        let reference = try results(.baseline)
        var fusedReference: [Float]?
        for set in KernelInstructionSet.supported where set != .baseline {
            let values = try results(set)
            if set.kernels.fuses_products == KernelInstructionSet.baseline.kernels.fuses_products {
                #expect(values.map(\.bitPattern) == reference.map(\.bitPattern), "\(set.rawValue)")
            } else {
                let scale = Double(reference.map { abs($0) }.max() ?? 1)
                #expect(zip(values, reference).allSatisfy { abs(Double($0) - Double($1)) <= 1e-5 * scale }, "\(set.rawValue)")
                if let fusedReference {
                    #expect(values.map(\.bitPattern) == fusedReference.map(\.bitPattern), "\(set.rawValue) against the other fused set")
                }
                fusedReference = fusedReference ?? values
            }
        }
    }

    private func winograd(_ g: ConvGeometry, _ x: Tensor, _ weight: Tensor, tile: DirectConvolution.WinogradTile, accumulate: Bool = false,
                         output: UnsafeMutablePointer<Float>, instructionSet: KernelInstructionSet = .active) {
        DirectConvolution.forward(g, input: x.pointer, weight: weight.pointer, output: output, accumulate: accumulate, winograd: tile,
                                  instructionSet: instructionSet)
    }
}
