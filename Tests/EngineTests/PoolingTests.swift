import Engine
import TestSupport
import Foundation
import Testing

/// Pooling and bilinear resizing against values printed by torch 2.15 (CPU, float32) for the 4×5
/// input below, produced by:
///
///     x = ((torch.arange(20.).reshape(1, 1, 4, 5) * 7) % 11) - 5
///     F.avg_pool2d(x, 3, 1, 1, count_include_pad=False), F.avg_pool2d(x, 3, 1, 1),
///     F.avg_pool2d(x, 3, 2, 1), F.max_pool2d(x, 3, 2), F.max_pool2d(x, 3, 1, 1),
///     F.interpolate(x, size=(3, 7) or (6, 3), mode='bilinear', align_corners=False)
///
/// plus gradient checks and adjoint identities.
@Suite struct PoolingTests {
    typealias G = GradCheck

    static let input = try! Tensor(shape: [1, 1, 4, 5], values: [-5, 2, -2, 5, 1, -3, 4, 0, -4, 3, -1, -5, 2, -2, 5, 1, -3, 4, 0, -4])

    static func expectClose(_ actual: Tensor, _ expected: [Float], shape: [Int], tolerance: Float = 1e-5,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.shape == shape, sourceLocation: sourceLocation)
        let worst = zip(actual.scalars, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= tolerance, "largest difference \(worst)", sourceLocation: sourceLocation)
    }

    @Test func averageWithoutPaddedPositionsMatchesTorch() throws {
        let y = try Tensor.avgPool2d(Self.input, PoolOptions(kernel: 3, stride: 1, padding: 1, countIncludePad: false))
        Self.expectClose(y, [-0.5, -0.6666667, 0.8333333, 0.5, 1.25, -1.3333334, -0.8888889, 0, 0.8888889, 1.3333334,
                             -1.1666666, -0.11111111, -0.44444445, 0.44444445, -0.33333334, -2, -0.33333334, -0.6666667, 0.8333333, -0.25],
                         shape: [1, 1, 4, 5])
    }

    @Test func averageWithPaddedPositionsMatchesTorch() throws {
        let y = try Tensor.avgPool2d(Self.input, PoolOptions(kernel: 3, stride: 1, padding: 1))
        Self.expectClose(y, [-0.22222222, -0.44444445, 0.5555556, 0.33333334, 0.5555556, -0.8888889, -0.8888889, 0, 0.8888889, 0.8888889,
                             -0.7777778, -0.11111111, -0.44444445, 0.44444445, -0.22222222, -0.8888889, -0.22222222, -0.44444445, 0.5555556, -0.11111111],
                         shape: [1, 1, 4, 5])
        let strided = try Tensor.avgPool2d(Self.input, PoolOptions(kernel: 3, stride: 2, padding: 1))
        Self.expectClose(strided, [-0.22222222, 0.5555556, 0.5555556, -0.7777778, -0.44444445, -0.22222222], shape: [1, 1, 2, 3])
    }

    @Test func maxPoolingMatchesTorch() throws {
        Self.expectClose(try Tensor.maxPool2d(Self.input, PoolOptions(kernel: 3, stride: 2)), [4, 5], shape: [1, 1, 1, 2])
        let padded = try Tensor.maxPool2d(Self.input, PoolOptions(kernel: 3, stride: 1, padding: 1))
        Self.expectClose(padded, [4, 4, 5, 5, 5, 4, 4, 5, 5, 5, 4, 4, 4, 5, 5, 1, 4, 4, 5, 5], shape: [1, 1, 4, 5])
    }

    /// Padding must act as −∞ for max pooling: an all-negative image keeps its negative maxima.
    @Test func maxPoolingPaddingNeverWins() throws {
        let negative = Self.input - 10
        let y = try Tensor.maxPool2d(negative, PoolOptions(kernel: 3, stride: 1, padding: 1))
        #expect(y.scalars.allSatisfy { $0 < -4 })
    }

    @Test func bilinearResizeMatchesTorch() throws {
        let wide = try Tensor.resizeBilinear(Self.input, height: 3, width: 7)
        Self.expectClose(wide, [-4.6666665, -0.6666665, 1.1904758, -1.6666666, 2.0238101, 2.5714285, 1.3333334,
                                -2, -1.1428571, -0.07142842, 1, -1.8571434, 2.3841858e-07, 4,
                                0.666667, -1.6190474, -1.3333324, 3.666667, 0.8095236, -1.2619053, -2.5000014],
                         shape: [1, 1, 3, 7])
        let tall = try Tensor.resizeBilinear(Self.input, height: 6, width: 3)
        Self.expectClose(tall, [-2.6666667, -2, 2.333334, -1.6666669, -1, 1.4999998, -0.9444447, 0.3333335, 0.999999,
                                -2.0555556, 1.6666667, 2.3333325, -1.3333333, 3, -2.3841858e-07, -0.33333325, 4, -2.666666],
                         shape: [1, 1, 6, 3])
    }

    @Test func resizeToTheSameSizeIsTheIdentity() throws {
        let x = G.random([2, 3, 5, 6], seed: 301)
        #expect(try Tensor.resizeBilinear(x, height: 5, width: 6).scalars == x.scalars)
    }

    /// A ramp along x stays a ramp inside the image (bilinear interpolation is exact on linear functions
    /// away from the clamped borders).
    @Test func upscalingAnAffineRampIsExactInside() throws {
        let size = 8, target = 29
        let ramp = try Tensor(shape: [1, 1, 1, size], values: (0..<size).map { Float($0) })
        let y = try Tensor.resizeBilinear(ramp, height: 1, width: target).scalars
        let scale = Float(size) / Float(target)
        for x in 0..<target {
            let source = scale * (Float(x) + 0.5) - 0.5
            guard source >= 0, source <= Float(size - 1) else { continue }
            #expect(abs(y[x] - source) < 1e-5)
        }
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        let x = G.random([2, 2, 6, 7], seed: 302)
        try G.check("avgPool2d count_include_pad=false", [x]) {
            try G.weightedSum(Tensor.avgPool2d($0[0], PoolOptions(kernel: 3, stride: 1, padding: 1, countIncludePad: false)))
        }
        try G.check("avgPool2d strided", [x]) { try G.weightedSum(Tensor.avgPool2d($0[0], PoolOptions(kernel: 3, stride: 2, padding: 1))) }
        // Random values have no ties, so the step of the finite difference does not change the winners.
        try G.check("maxPool2d", [x], step: 1e-3) { try G.weightedSum(Tensor.maxPool2d($0[0], PoolOptions(kernel: 3, stride: 2))) }
        try G.check("resizeBilinear up", [x]) { try G.weightedSum(Tensor.resizeBilinear($0[0], height: 11, width: 9)) }
        try G.check("resizeBilinear down", [x]) { try G.weightedSum(Tensor.resizeBilinear($0[0], height: 4, width: 3)) }
    }

    /// The recorded backward ops are themselves differentiable: Σ(∂f/∂x)² is checked against
    /// finite differences with respect to a weight that multiplies the input.
    @Test func secondOrderGradients() throws {
        let x = G.random([1, 2, 5, 6], seed: 303), scale = G.random([1, 2, 1, 1], seed: 304)
        try G.checkSecondOrder("avgPool2d", [x, scale], differentiate: 0, checked: [1]) {
            try G.weightedSum(Tensor.avgPool2d(($0[0] * $0[1]).square(), PoolOptions(kernel: 3, stride: 1, padding: 1, countIncludePad: false)))
        }
        try G.checkSecondOrder("resizeBilinear", [x, scale], differentiate: 0, checked: [1]) {
            try G.weightedSum(Tensor.resizeBilinear(($0[0] * $0[1]).square(), height: 7, width: 4))
        }
    }

    /// The row-at-a-time kernels against a per-output loop in torch's order (rows, then columns of each
    /// window; first maximum wins; NaN wins), bit for bit, on planes with interior and edge columns, ties
    /// (values on a coarse grid) and a NaN. Max pooling's chosen positions are read back through its gradient;
    /// without a gradient to route it takes the kernels that keep no winners, which must give the same values.
    /// Planes 43 wide have interiors of 8 or more columns for every stride below, up to 3; 8 wide (Inception's
    /// Mixed_7 blocks) and 5 wide have fewer, and 5 wide fewer than eight output columns.
    @Test(arguments: [[2, 3, 11, 43], [2, 3, 9, 8], [1, 2, 6, 5]])
    func rowKernelsEqualThePerOutputDefinitionBitForBit(shape: [Int]) throws {
        // A NaN, and a block of −∞ wider than a window so that some windows hold nothing else (their first position
        // must stay the winner).
        let (height, width) = (shape[2], shape[3])
        var values = G.random(shape, seed: 305).scalars.map { ($0 * 2).rounded() / 2 }
        values[width + 2] = .nan
        for y in 1..<(height - 1) { for x in 1..<(width - 1) { values[width * height + y * width + x] = -.infinity } }
        let x = try Tensor(shape: shape, values: values).requiringGrad()
        for (kernel, stride, padding) in [(3, 1, 1), (3, 2, 0), (3, 2, 1), (2, 2, 0), (5, 3, 2), (3, 3, 1), (3, 1, 0)] where kernel <= min(height, width) {
            for countIncludePad in [false, true] {
                let options = PoolOptions(kernel: kernel, stride: stride, padding: padding, countIncludePad: countIncludePad)
                let reference = Self.poolByDefinition(values, shape: x.shape, options)
                let average = try Tensor.avgPool2d(x, options)
                #expect(average.scalars.map(\.bitPattern) == reference.average.map(\.bitPattern), "avgPool2d \(options)")
                let unrouted = try GradMode.withoutGrad { try Tensor.maxPool2d(x, options) }
                #expect(unrouted.scalars.map(\.bitPattern) == reference.maximum.map(\.bitPattern), "maxPool2d without routes \(options)")
                let maximum = try Tensor.maxPool2d(x, options)
                #expect(maximum.scalars.map(\.bitPattern) == reference.maximum.map(\.bitPattern), "maxPool2d \(options)")
                let seed = try Tensor(shape: maximum.shape, values: (0..<maximum.count).map { Float($0 + 1) })
                let routed = try gradients(of: maximum, withRespectTo: [x], seed: seed)[0].scalars
                var expected = [Float](repeating: 0, count: values.count)
                for (o, position) in reference.winners.enumerated() { expected[position] += Float(o + 1) }
                let mismatch = routed.indices.first { routed[$0] != expected[$0] }
                #expect(mismatch == nil, "maxPool2d winners \(options): gradient differs first at input \(mismatch ?? -1)")
            }
        }
    }

    static func poolByDefinition(_ values: [Float], shape: [Int], _ o: PoolOptions) -> (average: [Float], maximum: [Float], winners: [Int]) {
        let (planes, height, width) = (shape[0] * shape[1], shape[2], shape[3])
        let outHeight = (height + 2 * o.padding - o.kernel) / o.stride + 1, outWidth = (width + 2 * o.padding - o.kernel) / o.stride + 1
        var average: [Float] = [], maximum: [Float] = [], winners: [Int] = []
        for plane in 0..<planes {
            for oy in 0..<outHeight {
                for ox in 0..<outWidth {
                    let y0 = oy * o.stride - o.padding, x0 = ox * o.stride - o.padding
                    let y1 = min(y0 + o.kernel, height + o.padding), x1 = min(x0 + o.kernel, width + o.padding)
                    let rows = max(y0, 0)..<min(y1, height), columns = max(x0, 0)..<min(x1, width)
                    var total: Float = 0, best = -Float.infinity
                    var chosen = plane * height * width + rows.lowerBound * width + columns.lowerBound
                    for y in rows {
                        for x in columns {
                            let index = plane * height * width + y * width + x
                            total += values[index]
                            if values[index] > best || values[index].isNaN { best = values[index]; chosen = index }
                        }
                    }
                    let divisor = o.countIncludePad ? (y1 - y0) * (x1 - x0) : rows.count * columns.count
                    average.append(total / Float(divisor))
                    maximum.append(best)
                    winners.append(chosen)
                }
            }
        }
        return (average, maximum, winners)
    }

    @Test func rejectsWindowsLargerThanTheInput() throws {
        #expect(throws: EngineError.self) { try Tensor.maxPool2d(Self.input, PoolOptions(kernel: 5, stride: 1)) }
        #expect(throws: EngineError.self) { try Tensor.avgPool2d(Self.input, PoolOptions(kernel: 3, stride: 1, padding: 2)) }
        #expect(throws: EngineError.self) { try Tensor.resizeBilinear(Self.input, height: 0, width: 3) }
    }
}
