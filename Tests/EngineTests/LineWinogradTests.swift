@testable import Engine
import Foundation
import TestSupport
import Testing

/// Winograd F(m, r) along one axis (docs/engine-kernels.md "Winograd along one axis") against double-precision loops,
/// on Inception's 1×7, 7×1, 1×3 and 3×1 shapes and on odd, even, tiny and block-splitting ones, with both roundings.
@Suite struct LineWinogradTests {
    /// Each set of transforms computes its m outputs of a correlation exactly (in doubles), for every tap and input, with
    /// every instruction set's kernels: Bᵀ and Aᵀ are read back from them, column by column, by feeding them unit vectors.
    @Test func transformsComputeTheCorrelation() {
        for set in KernelInstructionSet.supported {
            let kernels = set.kernels, lanes = set.vectorFloats
            for t in LineWinograd.Transforms.all {
                let points = t.points, (taps, outputs) = (Int32(t.taps), Int32(t.outputs))
                #expect(t.filter.count == points * t.taps)
                /// A vector of 1 in line k of `points` lines, zeros elsewhere.
                func unit(_ k: Int) -> [Float] { (0..<(lanes * points)).map { $0 / lanes == k ? 1 : 0 } }
                /// Aᵀ's column ξ: the m outputs of the unit vector at position ξ.
                let outputColumns = (0..<points).map { position in
                    var y = [Float](repeating: .nan, count: lanes * t.outputs)
                    y.withUnsafeMutableBufferPointer { kernels.line_winograd_output(taps, outputs, 1, lanes, unit(position), 0, lanes, $0.baseAddress!, lanes) }
                    return (0..<t.outputs).map { Double(y[$0 * lanes]) }
                }
                for tap in 0..<t.taps {
                    for entry in 0..<points {
                        // Filter e_tap and data e_entry: output i is 1 exactly when entry = i + tap.
                        var transformed = [Float](repeating: .nan, count: lanes * points)
                        transformed.withUnsafeMutableBufferPointer {
                            kernels.line_winograd_input(taps, outputs, 1, lanes, unit(entry), lanes, $0.baseAddress!, 0, lanes)
                        }
                        let v = (0..<points).map { Double(transformed[$0 * lanes]) }
                        let m = (0..<points).map { t.filter[$0 * t.taps + tap] * v[$0] }
                        for i in 0..<t.outputs {
                            let y = (0..<points).reduce(0.0) { $0 + outputColumns[$1][i] * m[$1] }
                            #expect(abs(y - (entry == i + tap ? 1 : 0)) < 1e-12,
                                    "\(set), F(\(t.outputs), \(t.taps)), tap \(tap), input \(entry), output \(i): \(y)")
                        }
                    }
                }
            }
        }
    }

    /// The instruction sets' transforms form each value by the same operations in the same order. At this small shape every
    /// set's products take its skinny kernels, so sets whose products fuse alike give the same bits, and x86-64's baseline
    /// (unfused) stays within the layers' bound. (At Inception's widths 8-lane sets multiply through OpenBLAS, 16-lane sets
    /// with the skinny kernels: `blocksOfSamplesCoverTheBatch` bounds each against im2col.)
    @Test func instructionSetsAgree() throws {
        for rounding in ConvRounding.allCases {
            for kernel in [(1, 7), (7, 1), (1, 3), (3, 1)] {
                let (n, c, o, side) = (3, 5, 4, 17)
                let g = try ConvGeometry(op: "test", input: [n, c, side, side], weight: [o, c, kernel.0, kernel.1],
                                         options: ConvOptions(stride: 1, padding: (kernel.0 / 2, kernel.1 / 2)))
                let x = GradCheck.random([n, c, side, side], seed: 35), weight = GradCheck.random([o, c, kernel.0, kernel.1], scale: 0.3, seed: 36)
                let results = try KernelInstructionSet.supported.map { set in
                    let line = try #require(LineWinograd(g, rounding: rounding, instructionSet: set))
                    var values = [Float](repeating: .nan, count: n * o * side * side)
                    values.withUnsafeMutableBufferPointer { line.forward(input: x.pointer, weight: weight.pointer, output: $0.baseAddress!) }
                    return values
                }
                let sets = KernelInstructionSet.supported
                for (set, values) in zip(sets, results) {
                    let reference = results[sets.firstIndex { $0.kernels.fuses_products == set.kernels.fuses_products }!]
                    #expect(mismatch(values, reference) == nil, "\(set) against the first set that fuses alike, \(kernel), \(rounding)")
                    #expect(ForwardTests.maxDifference(values, results[0].map(Double.init)) < Self.bound(rounding), "\(set) against \(sets[0]), \(kernel), \(rounding)")
                }
            }
        }
    }

    /// Standard rounding takes F(2, r), relaxed F(4, r), for both tap counts.
    @Test func roundingChoosesTheTile() throws {
        for taps in [3, 7] {
            let g = try ConvGeometry(op: "test", input: [1, 4, 17, 17], weight: [4, 4, 1, taps], options: ConvOptions(stride: 1, padding: (0, taps / 2)))
            #expect(LineWinograd(g)?.transforms.outputs == 2)
            #expect(LineWinograd(g, rounding: .standard)?.transforms.outputs == 2)
            #expect(LineWinograd(g, rounding: .relaxed)?.transforms.outputs == 4)
        }
    }

    /// How far a layer may stray from the exact sum: F(4, 7)'s Bᵀ reaches 273 (F(2, 7)'s 160) and adds ±3/2, a few times
    /// F(2, r)'s rounding (docs/engine-kernels.md "Winograd along one axis").
    static func bound(_ rounding: ConvRounding) -> Double { rounding == .standard ? 1e-5 : 4e-5 }

    @Test(arguments: ConvRounding.allCases)
    func forwardMatchesTheDefinition(rounding: ConvRounding) throws {
        // (batch, in, out, height, width, kernel height, kernel width)
        let cases = [(2, 5, 6, 17, 17, 1, 7), (2, 5, 6, 17, 17, 7, 1), (1, 4, 3, 8, 8, 1, 3), (3, 4, 3, 8, 8, 3, 1),
                     (1, 3, 2, 6, 9, 1, 7), (1, 3, 2, 9, 6, 7, 1), (2, 2, 3, 3, 2, 7, 1), (1, 2, 3, 1, 5, 1, 3),
                     (1, 2, 2, 4, 1, 3, 1)]
        for (n, c, o, h, w, kh, kw) in cases {
            let shape = "shape \((n, c, o, h, w)), kernel \(kh)×\(kw), \(rounding) rounding"
            let options = ConvOptions(stride: 1, padding: (kh / 2, kw / 2), rounding: rounding)
            let g = try ConvGeometry(op: "test", input: [n, c, h, w], weight: [o, c, kh, kw], options: options)
            let x = GradCheck.random([n, c, h, w], seed: 31), weight = GradCheck.random([o, c, kh, kw], scale: 0.3, seed: 32)
            let reference = ForwardTests.naiveConv2d(x, weight, stride: 1, padding: kh / 2, paddingWidth: kw / 2, groups: 1)
            // Every set: 16-lane ones multiply with the skinny kernels, the others through sgemm.
            var values: [Float] = []
            for set in KernelInstructionSet.supported {
                let line = try #require(LineWinograd(g, rounding: rounding, instructionSet: set), "\(shape)")
                var result = [Float](repeating: .nan, count: n * o * h * w)
                result.withUnsafeMutableBufferPointer { line.forward(input: x.pointer, weight: weight.pointer, output: $0.baseAddress!) }
                #expect(ForwardTests.maxDifference(result, reference) < Self.bound(rounding), "\(set), \(shape)")
                if set == .active { values = result }
            }
            // The engine's conv2d takes it under auto (the same bits), and im2col when told to.
            #expect(try mismatch(ConvolutionAlgorithm.using(.auto) { try Tensor.conv2d(x, weight, options) }.scalars, values) == nil, "conv2d, \(shape)")
            var im2col = [Float](repeating: .nan, count: values.count)
            im2col.withUnsafeMutableBufferPointer { ConvKernels.forward(g, input: x.pointer, weight: weight.pointer, output: $0.baseAddress!, algorithm: .im2col) }
            for algorithm in [ConvolutionAlgorithm.im2col, .direct] {
                #expect(try mismatch(ConvolutionAlgorithm.using(algorithm) { try Tensor.conv2d(x, weight, options) }.scalars, im2col) == nil, "\(algorithm), \(shape)")
            }
        }
    }

    /// Blocks of samples (V and M near 4 MB) cover the batch: Inception's widest 1×7 layer at batch 9 takes several, with
    /// either tile.
    @Test(arguments: ConvRounding.allCases)
    func blocksOfSamplesCoverTheBatch(rounding: ConvRounding) throws {
        let (n, c, o) = (9, 192, 192)
        let g = try ConvGeometry(op: "test", input: [n, c, 17, 17], weight: [o, c, 1, 7], options: ConvOptions(stride: 1, padding: (0, 3)))
        let x = GradCheck.random([n, c, 17, 17], seed: 33), weight = GradCheck.random([o, c, 1, 7], scale: 0.05, seed: 34)
        var im2col = [Float](repeating: .nan, count: n * o * 17 * 17)
        im2col.withUnsafeMutableBufferPointer { ConvKernels.forward(g, input: x.pointer, weight: weight.pointer, output: $0.baseAddress!, algorithm: .im2col) }
        let scale = Double(im2col.map { abs($0) }.max()!)
        // Both ways of multiplying: the skinny kernels (16-lane sets) and OpenBLAS (the others, at 192 channels).
        for set in KernelInstructionSet.supported {
            let line = try #require(LineWinograd(g, rounding: rounding, instructionSet: set))
            #expect(line.samplesPerBlock < n)
            var values = [Float](repeating: .nan, count: im2col.count)
            values.withUnsafeMutableBufferPointer { line.forward(input: x.pointer, weight: weight.pointer, output: $0.baseAddress!) }
            let worst = zip(values, im2col).map { abs(Double($0) - Double($1)) }.max()!
            #expect(worst / scale < Self.bound(rounding), "\(set): relative difference \(worst / scale)")
        }
    }

    @Test func servesOnlyFactorisedSamePaddedKernels() throws {
        func geometry(_ kernel: (Int, Int), padding: (Int, Int), stride: Int = 1, groups: Int = 1) throws -> ConvGeometry {
            try ConvGeometry(op: "test", input: [1, 4, 17, 17], weight: [4, 4 / groups, kernel.0, kernel.1],
                             options: ConvOptions(stride: stride, padding: padding, groups: groups))
        }
        #expect(LineWinograd(try geometry((1, 7), padding: (0, 3)))?.alongWidth == true)
        #expect(LineWinograd(try geometry((7, 1), padding: (3, 0)))?.alongWidth == false)
        #expect(LineWinograd(try geometry((1, 5), padding: (0, 2))) == nil)
        #expect(LineWinograd(try geometry((1, 7), padding: (0, 0))) == nil)
        #expect(LineWinograd(try geometry((1, 7), padding: (1, 3))) == nil)
        #expect(LineWinograd(try geometry((3, 3), padding: (1, 1))) == nil)
        #expect(LineWinograd(try geometry((1, 3), padding: (0, 1), stride: 2)) == nil)
        #expect(LineWinograd(try geometry((1, 3), padding: (0, 1), groups: 2)) == nil)
    }
}
