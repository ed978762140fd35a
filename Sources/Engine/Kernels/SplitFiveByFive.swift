/// A stride-1 5×5 convolution with padding 2 (FID Inception's Mixed_5 branch5x5_2) as one 3×3 convolution with four
/// times the input channels, computed by Winograd F(4×4, 3×3) where the caller allows its rounding
/// (`ConvRounding.relaxed`; docs/engine-kernels.md "5×5 as four 3×3"). The kernel, padded with zeros to 6×6, is four 3×3
/// blocks at tap offsets (a, b) ∈ {0, 3}²; block (a, b) reads the input shifted by (a − 2, b − 2), so stacking the four
/// shifted copies, each (H + 2) × (W + 2) with the zero border they reach into, as channels turns the sum of the four
/// into one 3×3 convolution without padding. F(4×4, 3×3) then does 36 products per 4×4 tile and block, 9 per output
/// pixel and channel pair instead of the direct 25. Forward only.
struct SplitFiveByFive {
    /// The 3×3 convolution over the stacked copies: input [N, 4C, H + 2, W + 2], weight [O, 4C, 3, 3], no padding.
    let stacked: ConvGeometry

    /// The 5×5 block offsets, in the order of the stacked copies.
    static let offsets = [(0, 0), (0, 3), (3, 0), (3, 3)]

    /// The convolutions it serves: one group, 5×5, stride 1, padding 2 (the output the input's size), on planes that
    /// F(4×4, 3×3) serves (`DirectConvolution.suitsWinograd` of the stacked convolution: from 16 wide).
    init?(_ g: ConvGeometry) {
        guard g.groups == 1, g.kernelHeight == 5, g.kernelWidth == 5, g.stride == 1, g.padHeight == 2, g.padWidth == 2 else { return nil }
        let stacked = ConvGeometry(batch: g.batch, inChannels: Self.offsets.count * g.inChannels, inHeight: g.inHeight + 2, inWidth: g.inWidth + 2,
                                   outChannels: g.outChannels, outHeight: g.outHeight, outWidth: g.outWidth, kernelHeight: 3, kernelWidth: 3,
                                   stride: 1, padHeight: 0, padWidth: 0, groups: 1)
        guard DirectConvolution.suitsWinograd(stacked) else { return nil }
        self.stacked = stacked
    }

    /// output = conv(input, weight) of the 5×5 geometry this was made from.
    func forward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let g = stacked, channels = g.inChannels / Self.offsets.count
        let (height, width) = (g.outHeight, g.outWidth)
        let copies = TensorStorage(count: g.batch * g.inChannels * g.inPlane)
        // Copy (sample, block, channel): row y and column x of the input shifted by (a − 2, b − 2), zero outside the input.
        parallelChunks(g.batch * g.inChannels, minimumPerThread: 16) { planes in
            for plane in planes {
                let (sample, block, channel) = (plane / g.inChannels, (plane % g.inChannels) / channels, plane % channels)
                let (rowShift, columnShift) = (Self.offsets[block].0 - 2, Self.offsets[block].1 - 2)
                let source = input + (sample * channels + channel) * height * width, target = copies.pointer + plane * g.inPlane
                let columns = max(0, -columnShift)..<min(g.inWidth, width - columnShift)
                for y in 0..<g.inHeight {
                    let row = target + y * g.inWidth
                    let sourceRow = y + rowShift
                    guard (0..<height).contains(sourceRow), !columns.isEmpty else {
                        row.update(repeating: 0, count: g.inWidth)
                        continue
                    }
                    row.update(repeating: 0, count: columns.lowerBound)
                    (row + columns.lowerBound).update(from: source + sourceRow * width + columns.lowerBound + columnShift, count: columns.count)
                    (row + columns.upperBound).update(repeating: 0, count: g.inWidth - columns.upperBound)
                }
            }
        }
        // Block (a, b)'s taps (a + i, b + j) of the 5×5 kernel, zero past it.
        let blocks = TensorStorage(count: g.outChannels * g.inChannels * 9)
        for o in 0..<g.outChannels {
            for (block, (a, b)) in Self.offsets.enumerated() {
                for c in 0..<channels {
                    let taps = blocks.pointer + ((o * g.inChannels + block * channels + c) * 9)
                    for i in 0..<3 {
                        for j in 0..<3 {
                            taps[i * 3 + j] = a + i < 5 && b + j < 5 ? weight[((o * channels + c) * 5 + a + i) * 5 + b + j] : 0
                        }
                    }
                }
            }
        }
        DirectConvolution.forward(g, input: copies.pointer, weight: blocks.pointer, output: output, winograd: .four)
    }
}
