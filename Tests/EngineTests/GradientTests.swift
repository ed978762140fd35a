@testable import Engine
import TestSupport
import Testing

/// First-order finite-difference checks, one per op (see GradCheck for the tolerances).
@Suite struct GradientTests {
    typealias G = GradCheck

    @Test func elementwiseWithBroadcasting() throws {
        let a = G.random([2, 3, 4], seed: 1), b = G.random([3, 1], seed: 2)
        let positive = G.random([3, 1], scale: 0.3, seed: 3)
        let denominator = try Tensor(shape: [3, 1], values: positive.scalars.map { abs($0) + 1 })
        try G.check("add", [a, b]) { try G.weightedSum($0[0] + $0[1]) }
        try G.check("subtract", [a, b]) { try G.weightedSum($0[0] - $0[1]) }
        try G.check("multiply", [a, b]) { try G.weightedSum($0[0] * $0[1]) }
        try G.check("divide", [a, denominator]) { try G.weightedSum($0[0] / $0[1]) }
        try G.check("scalar ops", [a]) { try G.weightedSum(2.5 - ($0[0] * 3 + 1)) }
    }

    /// A tensor used several times gets the sum of its gradients; without a graph autograd adds them in place into a
    /// buffer nothing else holds, so a gradient another input or the caller still holds (the seed, add's backward
    /// handing `g` to both inputs) must come out unchanged, and the sums must be the same bits as the recorded ones.
    @Test func gradientsOfAReusedTensorAccumulate() throws {
        let x = G.random([3, 70_000], seed: 7).requiringGrad(), seed = G.random([3, 70_000], seed: 8)
        let seedBefore = seed.scalars
        // y = x·x + x + x + (x + x): four paths into x, one of which (x + x) hands the same gradient to both inputs.
        let y = try x * x + x + x + (x + x)
        let plain = try gradients(of: y, withRespectTo: [x], seed: seed)[0]
        let recorded = try gradients(of: y, withRespectTo: [x], seed: seed, createGraph: true)[0]
        // Compared first, so that a failure reports one line rather than 210 000 elements.
        let seedUnchanged = seed.scalars == seedBefore
        let sameBits = plain.scalars.map(\.bitPattern) == recorded.scalars.map(\.bitPattern)
        #expect(seedUnchanged, "the seed was changed")
        #expect(sameBits, "in-place sums differ from the recorded ones")
        let expected = zip(x.scalars, seed.scalars).map { Double($1) * (2 * Double($0) + 4) }
        let worst = zip(plain.scalars, expected).map { abs(Double($0) - $1) / max(1, abs($1)) }.max()!
        #expect(worst < 1e-6)
    }

    /// The in-place sum runs only on a buffer nothing else holds, outside a graph.
    @Test func addInPlaceOnlyIntoAnUnsharedBuffer() throws {
        let other = G.random([4, 5], seed: 9)
        var sum = G.random([4, 5], seed: 10)
        let expected = try (sum + other).scalars
        let addedUnshared = sum.addInPlaceIfUnique(other)
        #expect(addedUnshared && sum.scalars == expected, "unshared")
        let held = sum
        let addedHeld = sum.addInPlaceIfUnique(other)
        #expect(!addedHeld && held.scalars == expected, "held by another tensor")
        var tracked = G.random([4, 5], seed: 11).requiringGrad()
        let addedTracked = tracked.addInPlaceIfUnique(other)
        #expect(!addedTracked, "in a graph")
        let addedOtherShape = sum.addInPlaceIfUnique(G.random([5, 4], seed: 12))
        #expect(!addedOtherShape, "another shape")
    }

    @Test func unaryMaths() throws {
        let x = G.random([3, 5], seed: 4)
        let positive = try Tensor(shape: [3, 5], values: x.scalars.map { abs($0) + 0.5 })
        try G.check("square", [x]) { try G.weightedSum($0[0].square()) }
        try G.check("sqrt", [positive]) { try G.weightedSum($0[0].sqrt()) }
        try G.check("rsqrt", [positive]) { try G.weightedSum($0[0].rsqrt()) }
        try G.check("exp", [x]) { try G.weightedSum($0[0].exp()) }
        try G.check("log", [positive]) { try G.weightedSum($0[0].log()) }
        try G.check("softplus", [x]) { try G.weightedSum($0[0].softplus()) }
        try G.check("sigmoid", [x]) { try G.weightedSum($0[0].sigmoid()) }
    }

    @Test func reductionsAndExpand() throws {
        let x = G.random([2, 3, 4, 5], seed: 5)
        try G.check("sum axes", [x]) { try G.weightedSum($0[0].sum(axes: [0, 2, 3])) }
        try G.check("sum keepDims", [x]) { try G.weightedSum($0[0].sum(axes: [1], keepDims: true)) }
        try G.check("mean", [x]) { try G.weightedSum($0[0].mean(axes: [-1, 1])) }
        try G.check("expand", [G.random([3, 1], seed: 6)]) { try G.weightedSum($0[0].expand(to: [2, 3, 4])) }
        try G.check("sumOfSquares", [x]) { try G.weightedSum($0[0].sumOfSquares(lastAxes: 2)) }
        let squares = try x.sumOfSquares(lastAxes: 2), reference = try x.square().sum(axes: [2, 3])
        #expect(squares.shape == [2, 3])
        #expect(zip(squares.scalars, reference.scalars).allSatisfy { abs($0 - $1) <= 1e-6 * abs($1) })
        #expect(throws: EngineError.self) { try x.sumOfSquares(lastAxes: 5) }
    }

    @Test func shapeOps() throws {
        let x = G.random([2, 3, 4, 5], seed: 7)
        try G.check("reshape", [x]) { try G.weightedSum($0[0].reshaped([6, -1])) }
        try G.check("permute", [x]) { try G.weightedSum($0[0].permuted([2, 0, 3, 1])) }
        try G.check("slice", [x]) { try G.weightedSum($0[0].slice(axis: 2, start: 1, length: 2)) }
        try G.check("zero pad", [x]) { try G.weightedSum($0[0].zeroPadded([(0, 0), (1, 0), (2, 1), (0, 3)])) }
        try G.check("reflect pad", [x]) { try G.weightedSum($0[0].reflectPadded(top: 2, bottom: 1, left: 3, right: 4)) }
        try G.check("concatenate", [x, G.random([2, 1, 4, 5], seed: 8)]) { try G.weightedSum(Tensor.concatenate([$0[0], $0[1]], axis: 1)) }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmul(transposeA: Bool, transposeB: Bool) throws {
        let a = G.random(transposeA ? [4, 3] : [3, 4], seed: 9), b = G.random(transposeB ? [5, 4] : [4, 5], seed: 10)
        try G.check("matmul tA=\(transposeA) tB=\(transposeB)", [a, b]) {
            try G.weightedSum(Tensor.matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB))
        }
    }

    @Test(arguments: [ConvOptions(stride: 1, padding: 1), ConvOptions(stride: 2, padding: 0), ConvOptions(stride: 2, padding: 2, groups: 2),
                      ConvOptions(stride: 1, padding: (0, 1), groups: 1)])
    func conv2d(options: ConvOptions) throws {
        let x = G.random([2, 4, 6, 5], seed: 11), w = G.random([6, 4 / options.groups, 3, 3], scale: 0.5, seed: 12)
        try G.check("conv2d \(options)", [x, w]) { try G.weightedSum(Tensor.conv2d($0[0], $0[1], options)) }
    }

    @Test func pointwiseConv() throws {
        let x = G.random([3, 4, 5, 5], seed: 13), w = G.random([2, 4, 1, 1], seed: 14)
        try G.check("conv2d 1x1", [x, w]) { try G.weightedSum(Tensor.conv2d($0[0], $0[1])) }
    }

    @Test(arguments: [ConvOptions(stride: 2, padding: 0), ConvOptions(stride: 1, padding: 1), ConvOptions(stride: 2, padding: 1, groups: 2)])
    func convTranspose2d(options: ConvOptions) throws {
        let x = G.random([2, 4, 3, 4], seed: 15), w = G.random([4, 3, 3, 3], scale: 0.5, seed: 16)
        try G.check("convTranspose2d \(options)", [x, w]) { try G.weightedSum(Tensor.convTranspose2d($0[0], $0[1], options)) }
    }

    @Test func conv2dWeightGradient() throws {
        let x = G.random([2, 3, 5, 5], seed: 17), gy = G.random([2, 4, 3, 3], seed: 18)
        try G.check("conv2dWeightGradient", [x, gy]) {
            try G.weightedSum(Tensor.conv2dWeightGradient(input: $0[0], gradOutput: $0[1], kernelSize: (3, 3), ConvOptions(stride: 2, padding: 1)))
        }
    }

    @Test func upfirdn2d() throws {
        let x = G.random([2, 2, 5, 6], seed: 19)
        let taps2d = try FIRFilter(taps: [1, 2, 3, 4, 5, 6].map { Float($0) / 21 }, height: 2, width: 3)
        let binomial = FIRFilter.normalizedSeparable([1, 3, 3, 1])
        try G.check("upfirdn2d up2 pad", [x]) { try G.weightedSum(Tensor.upfirdn2d($0[0], filter: binomial, up: 2, padding: FIRPadding(left: 2, right: 1, top: 2, bottom: 1), gain: 4)) }
        try G.check("upfirdn2d down2", [x]) { try G.weightedSum(Tensor.upfirdn2d($0[0], filter: binomial, down: 2, padding: FIRPadding(all: 1))) }
        try G.check("upfirdn2d 2-D flip crop", [x]) {
            try G.weightedSum(Tensor.upfirdn2d($0[0], filter: taps2d, up: 3, down: 2, padding: FIRPadding(left: -1, right: 2, top: 1, bottom: -2), gain: 2, flip: true))
        }
    }

    @Test func biasAct() throws {
        let x = G.random([2, 3, 4, 4], awayFromZero: 0.1, seed: 20), b = G.random([3], scale: 0.01, seed: 21)
        try G.check("biasAct lrelu", [x, b]) { try G.weightedSum(Tensor.biasAct($0[0], bias: $0[1], activation: .lrelu)) }
        try G.check("biasAct linear clamp", [x, b]) { try G.weightedSum(Tensor.biasAct($0[0], bias: $0[1], activation: .linear, gain: 1, clamp: 100)) }
        // Elements beyond the clamp get no gradient; keep the test points away from the clamp edge.
        let big = try Tensor(shape: [2, 3], values: [-3, -0.5, 0.4, 2.5, 0.6, -2.2])
        try G.check("biasAct clamp saturation", [big]) { try G.weightedSum(Tensor.biasAct($0[0], activation: .lrelu, clamp: 1)) }
    }

    @Test func gridSample() throws {
        let x = G.random([2, 2, 5, 4], seed: 22)
        // Grid points kept off the pixel lattice so finite differences do not cross a bilinear cell edge.
        let grid = try Tensor(shape: [2, 3, 3, 2], values: (0..<36).map { i in Float(((i * 37) % 23)) / 13 - 0.83 + 0.013 })
        try G.check("gridSample input", [x, grid], checked: [0]) { try G.weightedSum(Tensor.gridSample($0[0], grid: $0[1])) }
        try G.check("gridSample grid", [x, grid], checked: [1], step: 1e-3) { try G.weightedSum(Tensor.gridSample($0[0], grid: $0[1])) }
    }
}

extension ConvOptions: CustomTestStringConvertible {
    public var testDescription: String { "stride \(stride) padding \(padding) groups \(groups)" }
}

extension GradientTests {
    @Test func biasActWithScaleAndAddend() throws {
        let x = G.random([2, 3, 4, 4], awayFromZero: 0.3, seed: 23), b = G.random([3], scale: 0.01, seed: 24)
        let scale = try Tensor(shape: [2, 3], values: G.random([2, 3], seed: 25).scalars.map { abs($0) + 0.5 })
        let addend = G.random([1, 1, 4, 4], scale: 0.01, seed: 26), perSample = G.random([2, 1, 4, 4], scale: 0.01, seed: 27)
        try G.check("biasAct scale+addend", [x, b, scale, addend], step: 1e-3) {
            try G.weightedSum(Tensor.biasAct($0[0], bias: $0[1], activation: .lrelu, clamp: 256, scale: $0[2], addend: $0[3]))
        }
        try G.check("biasAct per-sample addend", [x, perSample], step: 1e-3) {
            try G.weightedSum(Tensor.biasAct($0[0], activation: .lrelu, addend: $0[1]))
        }
    }
}
