@testable import Engine
import Foundation
import TestSupport
import Testing

/// The down-sampling's weight gradient kernel (docs/engine-kernels.md "Down-sampling weight gradient") forms every element
/// as one chain of multiply-adds over samples, rows and pixels in order, so it must equal that chain bit for bit on every
/// instruction set, whatever its panels, channel blocks, bands and threads split. The shapes leave partial panels (19
/// output channels per group against conv3x3_down_weight_panel_channels, 16 and 32), partial tiles of 6 rows (3 and 17
/// input channels), two channel blocks of 16 (`downsamplingWeightGradient`'s blockChannels), three bands of rows (17
/// output rows of 64 pixels against bands of conv3x3_down_weight_band_pixels, 512), groups, batches, and an empty batch
/// (whose gradient is zeros, written over the NaN the buffer starts with).
extension DirectConvolutionTests {
    /// (batch, groups, in channels, out channels, output height, output width)
    static let downsamplingShapes: [(Int, Int, Int, Int, Int, Int)] = [
        (2, 2, 6, 38, 17, 64), (1, 1, 17, 5, 3, 5), (3, 1, 2, 3, 1, 1), (0, 1, 2, 3, 2, 2),
    ]

    @Test func downsamplingWeightGradientEqualsTheSequentialChainOnEverySet() throws {
        for (n, groups, c, o, h, w) in Self.downsamplingShapes {
            let g = try strideTwoGeometry(n, groups, c, o, h, w)
            let x = G.random(g.inputShape, seed: 101), gy = G.random(g.outputShape, seed: 102)
            for set in KernelInstructionSet.supported {
                let gradient = run(count: o * (c / groups) * 9) {
                    DirectConvolution.weightGradient(g, input: x.pointer, gradOutput: gy.pointer, output: $0, instructionSet: set)
                }
                let chain = sequentialChain(x, gy, g, fused: set.kernels.fuses_products)
                let differing = zip(gradient, chain).filter { $0.bitPattern != $1.bitPattern }.count
                #expect(differing == 0, "\(set), shape \((n, groups, c, o, h, w)): \(differing) of \(chain.count) elements differ")
            }
        }
    }

    @Test func downsamplingWeightGradientKernelServesOutputsFrom32Wide() throws {
        #expect(DirectConvolution.Path(weightGradient: try strideTwoGeometry(4, 1, 64, 128, 128, 128), algorithm: .auto) == .direct)
        #expect(DirectConvolution.Path(weightGradient: try strideTwoGeometry(4, 1, 128, 256, 64, 64), algorithm: .auto) == .direct)
        #expect(DirectConvolution.Path(weightGradient: try strideTwoGeometry(4, 1, 256, 512, 32, 32), algorithm: .auto) == .direct)
        #expect(DirectConvolution.Path(weightGradient: try strideTwoGeometry(4, 1, 512, 512, 16, 16), algorithm: .auto) == nil)
        #expect(DirectConvolution.Path(weightGradient: try strideTwoGeometry(4, 1, 8, 8, 80, 31), algorithm: .auto) == nil)
        #expect(DirectConvolution.Path(weightGradient: try strideTwoGeometry(4, 1, 8, 8, 3, 32), algorithm: .auto) == .direct)
        #expect(DirectConvolution.Path(weightGradient: try strideTwoGeometry(4, 1, 64, 128, 128, 128), algorithm: .im2col) == nil)
    }

    /// Through the engine's entry point: `auto` routes a 64-wide down-sampling to the kernel, and it agrees with im2col.
    @Test func downsamplingWeightGradientThroughConvKernelsMatchesIm2col() throws {
        let g = try strideTwoGeometry(2, 2, 4, 6, 3, 64)
        let x = G.random(g.inputShape, seed: 103), gy = G.random(g.outputShape, seed: 104)
        func gradient(_ algorithm: ConvolutionAlgorithm) -> [Float] {
            run(count: g.outChannels * g.patch) { ConvKernels.weightGrad(g, input: x.pointer, gradOutput: gy.pointer, output: $0, algorithm: algorithm) }
        }
        #expect(DirectConvolution.Path(weightGradient: g, algorithm: .auto) == .direct)
        #expect(maxDifferences(gradient(.auto), gradient(.im2col)).relative < 1e-5)
    }

    /// gradient[o, c, i, j] = Σ over samples, rows y, pixels x in order of grad[o, y, x]·input[c, 2y + i, 2x + j], fused
    /// or rounded as the set's products are.
    private func sequentialChain(_ x: Tensor, _ gy: Tensor, _ g: ConvGeometry, fused: Bool) -> [Float] {
        let (xs, gys) = (x.scalars, gy.scalars)
        let (cg, og) = (g.inPerGroup, g.outPerGroup)
        var gradient = [Float](repeating: 0, count: g.outChannels * g.patch)
        for oc in 0..<g.outChannels { for ic in 0..<cg { for tap in 0..<9 {
            let (i, j) = (tap / 3, tap % 3), channel = (oc / og) * cg + ic
            var sum: Float = 0
            for b in 0..<g.batch { for y in 0..<g.outHeight { for column in 0..<g.outWidth {
                let value = xs[((b * g.inChannels + channel) * g.inHeight + 2 * y + i) * g.inWidth + 2 * column + j]
                let grad = gys[((b * g.outChannels + oc) * g.outHeight + y) * g.outWidth + column]
                sum = fused ? sum.addingProduct(value, grad) : sum + value * grad
            } } }
            gradient[oc * g.patch + ic * 9 + tap] = sum
        } } }
        return gradient
    }
}
