import Engine
import TestSupport
import Foundation
import Testing

/// Forward results against direct, obviously-correct loops (in double precision), written from
/// the definitions: torch's conv2d / conv_transpose2d, NVIDIA's upfirdn2d reference (zero insertion,
/// pad, convolution with the flipped filter, decimation) and torch's grid_sample.
@Suite struct ForwardTests {
    typealias G = GradCheck

    static func maxDifference(_ a: [Float], _ b: [Double]) -> Double {
        zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
    }

    /// `paddingWidth`: the padding of the width where it differs from the height's (`padding`).
    static func naiveConv2d(_ x: Tensor, _ w: Tensor, stride: Int, padding: Int, paddingWidth: Int? = nil, groups: Int) -> [Double] {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (o, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let paddingWidth = paddingWidth ?? padding
        let oh = (h + 2 * padding - kh) / stride + 1, ow = (wd + 2 * paddingWidth - kw) / stride + 1
        let xs = x.scalars, ws = w.scalars
        var out = [Double](repeating: 0, count: n * o * oh * ow)
        let og = o / groups
        for b in 0..<n { for oc in 0..<o { for y in 0..<oh { for xx in 0..<ow {
            var total = 0.0
            let group = oc / og
            for ic in 0..<cg { for i in 0..<kh { for j in 0..<kw {
                let iy = y * stride + i - padding, ix = xx * stride + j - paddingWidth
                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                total += Double(xs[((b * c + group * cg + ic) * h + iy) * wd + ix]) * Double(ws[((oc * cg + ic) * kh + i) * kw + j])
            } } }
            out[((b * o + oc) * oh + y) * ow + xx] = total
        } } } }
        return out
    }

    @Test(arguments: [(1, 1, 1), (2, 0, 1), (2, 1, 2), (1, 0, 4)])
    func conv2dMatchesDirectLoop(stride: Int, padding: Int, groups: Int) throws {
        let x = G.random([3, 8, 9, 7], seed: 51), w = G.random([8, 8 / groups, 3, 3], seed: 52)
        let y = try Tensor.conv2d(x, w, ConvOptions(stride: stride, padding: padding, groups: groups))
        #expect(Self.maxDifference(y.scalars, Self.naiveConv2d(x, w, stride: stride, padding: padding, groups: groups)) < 1e-4)
    }

    /// 1×1 convolutions multiply every sample's plane in place in one batch of products: groups, planes that end in a partial
    /// vector, and a depth of several of the blocked kernels' blocks (300 channels) on an 8² plane.
    @Test(arguments: [([3, 12, 9, 7], [10, 6, 1, 1], 2), ([2, 300, 8, 8], [13, 300, 1, 1], 1)])
    func pointwiseConvMatchesDirectLoop(input: [Int], weight: [Int], groups: Int) throws {
        let x = G.random(input, seed: 58), w = G.random(weight, scale: 0.1, seed: 59)
        let y = try Tensor.conv2d(x, w, ConvOptions(groups: groups))
        #expect(Self.maxDifference(y.scalars, Self.naiveConv2d(x, w, stride: 1, padding: 0, groups: groups)) < 1e-4)
    }

    /// Larger planes take the banded (row-block) im2col path; check it against the direct loop too. 78 pixels
    /// wide, so the direct 3×3 kernel (whole 16-pixel vectors only) does not take it.
    @Test func conv2dBandedPath() throws {
        let x = G.random([1, 64, 78, 78], seed: 53), w = G.random([4, 64, 3, 3], scale: 0.2, seed: 54)
        let y = try Tensor.conv2d(x, w, ConvOptions(padding: 1))
        #expect(Self.maxDifference(y.scalars, Self.naiveConv2d(x, w, stride: 1, padding: 1, groups: 1)) < 1e-4)
    }

    @Test func convTransposeIsAdjointOfConv() throws {
        // ⟨conv(x), y⟩ = ⟨x, convT(y)⟩ for any x, y: the defining property of the transpose.
        let options = ConvOptions(stride: 2, padding: 1)
        let x = G.random([2, 3, 7, 7], seed: 55), w = G.random([5, 3, 3, 3], seed: 56)
        let y = G.random([2, 5, 4, 4], seed: 57)
        let left = try (Tensor.conv2d(x, w, options) * y).sum().item()
        let right = try (x * Tensor.convTranspose2d(y, w, options, outputSize: (7, 7))).sum().item()
        #expect(abs(left - right) < 1e-3 * max(1, abs(left)))
    }

    static func naiveUpfirdn(_ x: Tensor, taps: [Float], fh: Int, fw: Int, up: Int, down: Int, pad: (Int, Int, Int, Int), gain: Float, flip: Bool) -> ([Double], [Int]) {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let uh = h * up + pad.2 + pad.3, uw = w * up + pad.0 + pad.1
        let oh = (uh - fh) / down + 1, ow = (uw - fw) / down + 1
        let xs = x.scalars
        var out: [Double] = []
        for plane in 0..<(n * c) { for y in 0..<oh { for xx in 0..<ow {
            var total = 0.0
            for i in 0..<fh { for j in 0..<fw {
                // Correlation with the flipped filter (= convolution) unless flip.
                let tap = flip ? taps[i * fw + j] : taps[(fh - 1 - i) * fw + (fw - 1 - j)]
                let uy = y * down + i - pad.2, ux = xx * down + j - pad.0
                guard uy >= 0, ux >= 0, uy % up == 0, ux % up == 0, uy / up < h, ux / up < w else { continue }
                total += Double(tap * gain) * Double(xs[(plane * h + uy / up) * w + ux / up])
            } }
            out.append(total)
        } } }
        return (out, [n, c, oh, ow])
    }

    @Test func upfirdn2dMatchesReference() throws {
        let x = G.random([2, 3, 6, 5], seed: 58)
        let taps: [Float] = [1, 2, 0.5, 3, 1.5, 4, 2, 1, 0.25, 0.75, 1, 2]
        let filter = try FIRFilter(taps: taps, height: 3, width: 4)
        for (up, down, pad, flip) in [(1, 1, (0, 0, 0, 0), false), (2, 1, (2, 1, 1, 2), false), (1, 2, (1, 1, 1, 1), true), (3, 2, (-1, 2, 2, -1), false)] {
            let y = try Tensor.upfirdn2d(x, filter: filter, up: up, down: down,
                                          padding: FIRPadding(left: pad.0, right: pad.1, top: pad.2, bottom: pad.3), gain: 2, flip: flip)
            let (expected, shape) = Self.naiveUpfirdn(x, taps: taps, fh: 3, fw: 4, up: up, down: down, pad: pad, gain: 2, flip: flip)
            #expect(y.shape == shape)
            #expect(Self.maxDifference(y.scalars, expected) < 1e-4)
        }
    }

    /// The separable path (horizontally each output's taps at once at up = 1, tap-major runs at up > 1, or per-pixel
    /// lists when up and down are both > 1; vertically each output row's taps summed at once, or tap by tap past 4 taps)
    /// against the 2-D path with the outer-product filter, for up-sampling, down-sampling, both, and cropping.
    @Test(arguments: [(2, 1, FIRPadding(left: 2, right: 1, top: 2, bottom: 1)), (1, 2, FIRPadding(all: 1)), (3, 1, FIRPadding(left: -1, right: 2, top: 0, bottom: 3)),
                      (1, 3, FIRPadding(left: 4, right: -2, top: 1, bottom: 1)), (2, 2, FIRPadding(all: 2)), (1, 1, FIRPadding(all: 0))])
    func separableFilterEqualsOuterProduct(up: Int, down: Int, padding: FIRPadding) throws {
        // 133 columns: the separable pass's runs are long enough to take whole vectors, with a remainder.
        // Five taps and StyleGAN2's four: rows of one to five taps in the vertical pass.
        let x = G.random([1, 2, 7, 133], seed: 59)
        for k: [Float] in [[1, 3, 2, 5, 1].map { $0 / 12 }, [1, 3, 3, 1].map { $0 / 8 }] {
            let outer = try FIRFilter(taps: k.flatMap { a in k.map { a * $0 } }, height: k.count, width: k.count)
            let separable = try Tensor.upfirdn2d(x, filter: FIRFilter(separable: k), up: up, down: down, padding: padding, gain: 4)
            let full = try Tensor.upfirdn2d(x, filter: outer, up: up, down: down, padding: padding, gain: 4)
            #expect(separable.shape == full.shape)
            #expect(Self.maxDifference(separable.scalars, full.scalars.map(Double.init)) < 1e-5, "\(k.count) taps")
        }
    }

    /// The separable path at up = 1 bit for bit against its formula: each output sums its taps onto zero in ascending
    /// order, each product and sum rounded apart, horizontally and then vertically. Padding on both sides, a crop on the
    /// left, down-sampling by 2 and 3, a flip, and a plane narrower than the filter (no output every tap reaches).
    @Test(arguments: [(1, FIRPadding(all: 2), false), (2, FIRPadding(left: -1, right: 3, top: 1, bottom: 2), false),
                      (3, FIRPadding(left: 2, right: -1, top: 0, bottom: 1), true), (1, FIRPadding(left: 4, right: 4, top: 1, bottom: 1), false)])
    func separableFilterAtUpOneSumsEachOutputsTapsInOrder(down: Int, padding: FIRPadding, flip: Bool) throws {
        let k: [Float] = [1, 3, 3, 1].map { $0 / 8 }, gain: Float = 4
        let f = (flip ? k : k.reversed()).map { $0 * gain.squareRoot() }
        // 37 columns: runs of whole vectors with a remainder; 3 columns: narrower than the filter.
        for (height, width) in [(9, 37), (6, 3)] {
            let x = G.random([1, 2, height, width], seed: 63).scalars
            let y = try Tensor.upfirdn2d(try Tensor(shape: [1, 2, height, width], values: x), filter: .init(separable: k), down: down,
                                         padding: padding, gain: gain, flip: flip)
            let (outHeight, outWidth) = (y.shape[2], y.shape[3])
            /// Σ over the taps t in order whose position o·down + t − before lies in 0..<size of f[t]·value(position).
            func sum(_ o: Int, before: Int, size: Int, _ value: (Int) -> Float) -> Float {
                var total: Float = 0
                for t in 0..<f.count where (0..<size).contains(o * down + t - before) { total = total + f[t] * value(o * down + t - before) }
                return total
            }
            var expected = [Float]()
            for plane in 0..<2 {
                let horizontal = (0..<height).map { iy in
                    (0..<outWidth).map { ox in sum(ox, before: padding.left, size: width) { x[(plane * height + iy) * width + $0] } }
                }
                for oy in 0..<outHeight {
                    for ox in 0..<outWidth { expected.append(sum(oy, before: padding.top, size: height) { horizontal[$0][ox] }) }
                }
            }
            #expect(mismatch(y.scalars.map(\.bitPattern), expected.map(\.bitPattern)) == nil, "\(height)×\(width), down \(down), \(padding)")
        }
    }

    @Test func gridSampleIdentityAndShift() throws {
        let x = G.random([1, 2, 4, 5], seed: 60)
        // Pixel centres with align_corners=false: x = (2·i + 1)/W − 1.
        var identity: [Float] = []
        for i in 0..<4 { for j in 0..<5 { identity += [Float(2 * j + 1) / 5 - 1, Float(2 * i + 1) / 4 - 1] } }
        let same = try Tensor.gridSample(x, grid: Tensor(shape: [1, 4, 5, 2], values: identity))
        #expect(Self.maxDifference(same.scalars, x.scalars.map(Double.init)) < 1e-6)
        // Half a pixel to the right: the average of neighbours, and zero padding past the edge.
        let shifted = identity.enumerated().map { $0.offset % 2 == 0 ? $0.element + 1 / 5 : $0.element }
        let half = try Tensor.gridSample(x, grid: Tensor(shape: [1, 4, 5, 2], values: shifted)).scalars
        let xs = x.scalars
        for plane in 0..<2 { for i in 0..<4 { for j in 0..<5 {
            let right = j + 1 < 5 ? xs[(plane * 4 + i) * 5 + j + 1] : 0
            #expect(abs(half[(plane * 4 + i) * 5 + j] - (xs[(plane * 4 + i) * 5 + j] + right) / 2) < 1e-6)
        } } }
    }

    @Test func biasActMatchesDefinition() throws {
        let x = G.random([2, 3, 2, 2], scale: 200, seed: 61), b = G.random([3], seed: 62)
        let y = try Tensor.biasAct(x, bias: b, activation: .lrelu, clamp: 256).scalars
        let gain = Float(2.0.squareRoot())
        for (i, v) in x.scalars.enumerated() {
            let t = v + b.scalars[(i / 4) % 3]
            #expect(y[i] == min(max((t > 0 ? t : t * 0.2) * gain, -256), 256))
        }
    }

    /// Broadcasts whose innermost runs are short (a weight against per-channel scales: runs of 9) or strided, large
    /// enough to be split across threads: every element against the product its coordinates name.
    @Test(arguments: [([1, 64, 64, 3, 3], [2, 64, 64, 1, 1]), ([2, 1, 5, 1], [1, 7, 1, 3000]), ([3, 70000], [1])])
    func broadcastingMatchesTheDefinition(_ shapeA: [Int], _ shapeB: [Int]) throws {
        let a = G.random(shapeA, seed: 64), b = G.random(shapeB, seed: 65)
        let product = try a * b
        let shape = product.shape, rank = shape.count
        func offset(of index: Int, in operand: [Int]) -> Int {
            let padded = Array(repeating: 1, count: rank - operand.count) + operand
            var rest = index, position = 0, step = 1
            var coordinates = [Int](repeating: 0, count: rank)
            for axis in stride(from: rank - 1, through: 0, by: -1) { coordinates[axis] = rest % shape[axis]; rest /= shape[axis] }
            for axis in stride(from: rank - 1, through: 0, by: -1) {
                position += (padded[axis] == 1 ? 0 : coordinates[axis]) * step
                step *= padded[axis]
            }
            return position
        }
        let (pa, pb, values) = (a.scalars, b.scalars, product.scalars)
        #expect(values.count >= 65536)
        let wrong = (0..<values.count).first { values[$0] != pa[offset(of: $0, in: shapeA)] * pb[offset(of: $0, in: shapeB)] }
        #expect(wrong == nil, "first wrong element: \(wrong ?? -1)")
    }

    /// Permutations with size-1 axes, merged runs (the up-sampling layers' [1, O, C, 3, 3] → [1, C, O, 3, 3]),
    /// strided innermost axes and sizes split across threads: every element against the one its coordinates name.
    @Test(arguments: [([1, 96, 80, 3, 3], [0, 2, 1, 3, 4]), ([96, 80, 3, 3], [1, 0, 2, 3]), ([5, 1, 7, 3000], [3, 1, 0, 2]),
                      ([2, 3, 4, 5, 6], [4, 2, 0, 3, 1]), ([300, 257], [1, 0]), ([1, 1], [1, 0]), ([4, 0, 3], [2, 0, 1]),
                      ([97, 89, 3, 3], [1, 0, 2, 3]), ([7, 61, 5, 43], [3, 1, 0, 2])])
    func permutationMatchesTheDefinition(_ shape: [Int], _ order: [Int]) throws {
        let x = G.random(shape, seed: 66)
        let y = try x.permuted(order)
        #expect(y.shape == order.map { shape[$0] })
        let (values, expected) = (y.scalars, PermutationTests.permutedByDefinition(x.scalars, shape: shape, order: order))
        #expect(values.count == expected.count)
        let wrong = values.indices.first { values[$0] != expected[$0] }
        #expect(wrong == nil, "first wrong element: \(wrong ?? -1)")
    }

    @Test func reductionsMatchDefinition() throws {
        let x = G.random([2, 3, 4], seed: 63)
        let s = try x.sum(axes: [0, 2]).scalars
        let xs = x.scalars
        for c in 0..<3 {
            var expected = 0.0
            for n in 0..<2 { for k in 0..<4 { expected += Double(xs[(n * 3 + c) * 4 + k]) } }
            #expect(abs(Double(s[c]) - expected) < 1e-5)
        }
        let mean = xs.map(Double.init).reduce(0, +) / 24
        #expect(abs(Double(try x.mean().item()) - mean) < 1e-6)
    }

    @Test func randomStateMatchesNumpy() {
        // np.random.RandomState(0).randn(3) and RandomState(42).randn(2) (numpy 1.x/2.x legacy).
        var zero = RandomState(seed: 0)
        let expected0 = [1.764052345967664, 0.4001572083672233, 0.9787379841057392]
        for e in expected0 { #expect(zero.nextGaussian() == e) }
        var answer = RandomState(seed: 42)
        for e in [0.4967141530112327, -0.13826430117118466] { #expect(answer.nextGaussian() == e) }
    }

    /// Concatenation, cropping and padding against their index formulas, along every axis: the box copies run over whole
    /// trailing axes at once where both layouts allow, and line by line where they do not.
    @Test func boxCopiesMatchTheirIndices() throws {
        let x = G.random([2, 3, 4, 5], seed: 3), y = G.random([2, 3, 4, 5], seed: 4)
        func value(_ t: Tensor, _ i: [Int]) -> Float { t.scalars[((i[0] * t.shape[1] + i[1]) * t.shape[2] + i[2]) * t.shape[3] + i[3]] }
        func indices(_ shape: [Int]) -> [[Int]] {
            shape.reduce([[]]) { prefixes, size in prefixes.flatMap { p in (0..<size).map { p + [$0] } } }
        }
        for axis in 0..<4 {
            let joined = try Tensor.concatenate([x, y], axis: axis)
            for i in indices(joined.shape) {
                var j = i
                let fromY = i[axis] >= x.shape[axis]
                if fromY { j[axis] -= x.shape[axis] }
                #expect(value(joined, i) == value(fromY ? y : x, j), "concatenate along \(axis) at \(i)")
            }
        }
        for margins in [[(0, 0), (1, 1), (0, 0), (0, 0)], [(1, 0), (0, 0), (0, 0), (0, 0)], [(0, 0), (0, 0), (1, 2), (0, 0)], [(0, 1), (1, 0), (0, 0), (2, 1)]] {
            let cropped = try x.cropped(margins), padded = try x.zeroPadded(margins)
            for i in indices(cropped.shape) {
                #expect(value(cropped, i) == value(x, zip(i, margins).map { $0 + $1.0 }), "crop \(margins) at \(i)")
            }
            for i in indices(padded.shape) {
                let j = zip(i, margins).map { $0 - $1.0 }
                let inside = zip(j, x.shape).allSatisfy { $0 >= 0 && $0 < $1 }
                #expect(value(padded, i) == (inside ? value(x, j) : 0), "pad \(margins) at \(i)")
            }
        }
    }

    @Test func shapeErrorsAreThrownNotTrapped() throws {
        let a = try Tensor.zeros([2, 3]), b = try Tensor.zeros([4, 5])
        #expect(throws: EngineError.self) { try a + b }
        #expect(throws: EngineError.self) { try Tensor.matmul(a, b) }
        #expect(throws: EngineError.self) { try a.reshaped([7]) }
        #expect(throws: EngineError.self) { try Tensor.zeros([2, -1]) }
        #expect(throws: EngineError.self) { try Tensor.conv2d(try Tensor.zeros([1, 3, 4, 4]), try Tensor.zeros([2, 2, 3, 3])) }
        #expect(throws: EngineError.self) { try Tensor.conv2d(try Tensor.zeros([1, 3, 2, 2]), try Tensor.zeros([2, 3, 3, 3])) }
        #expect(throws: EngineError.self) { try a.permuted([0, 0]) }
        #expect(throws: EngineError.self) { try a.sum(axes: [2]) }
        #expect(throws: EngineError.self) { try Tensor.upfirdn2d(try Tensor.zeros([1, 1, 2, 2]), filter: .normalizedSeparable([1, 3, 3, 1]), padding: FIRPadding(all: -2)) }
        #expect(throws: EngineError.self) { try Tensor.gridSample(try Tensor.zeros([1, 1, 2, 2]), grid: try Tensor.zeros([1, 2, 2, 3])) }
        #expect(throws: EngineError.self) { try a.reflectPadded(top: 2, bottom: 0, left: 0, right: 0) }
        let bad = try Tensor(shape: [2], values: [1, .nan])
        #expect(throws: EngineError.self) { try bad.checkFinite("test value") }
    }

    @Test func gradientsOfIntermediatesAndUnusedInputs() throws {
        let x = G.random([3], seed: 64).requiringGrad(), unused = G.random([2], seed: 65).requiringGrad()
        let middle = try x * x
        let y = try (middle * 3).sum()
        let grads = try gradients(of: y, withRespectTo: [middle, x, unused])
        #expect(grads[0].scalars == [3, 3, 3])
        #expect(zip(grads[1].scalars, x.scalars).allSatisfy { abs($0 - 6 * $1) < 1e-6 })
        #expect(grads[2].scalars == [0, 0])
    }
}
