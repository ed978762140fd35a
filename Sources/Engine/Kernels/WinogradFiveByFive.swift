import CKernels

/// A stride-1 5×5 convolution with padding 2 (FID Inception's Mixed_5 branch5x5_2) by Winograd F(4×4, 5×5), where the
/// caller allows its rounding (`ConvRounding.relaxed`; docs/engine-kernels.md "Winograd F(4×4, 5×5)"): 64 products per
/// 4×4 tile and channel pair, 4 per output pixel instead of the direct 25, over bands of whole tile rows as F(4×4, 3×3)'s
/// (`DirectConvolution.BandPlan`), its transformed weights kept where the weight keeps them. Forward only.
struct WinogradFiveByFive {
    let geometry: ConvGeometry

    /// Transformed weights per channel pair, and products per tile: the 8×8 patch's.
    static let positions = 64

    /// The convolutions it serves: one group, 5×5, stride 1, padding 2 (the output the input's size), on the planes
    /// F(4×4, 3×3) serves (`DirectConvolution.servesWinogradPlanes`); narrower ones keep im2col, as FID's 5×5 layers never
    /// are.
    init?(_ g: ConvGeometry) {
        guard g.groups == 1, g.kernelHeight == 5, g.kernelWidth == 5, g.stride == 1, g.padHeight == 2, g.padWidth == 2,
              DirectConvolution.servesWinogradPlanes(g) else { return nil }
        geometry = g
    }

    /// output = conv(input, weight). `tilesPerBand` overrides the bands' size, for tests of many bands on small planes.
    func forward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                 tilesPerBand: Int? = nil, instructionSet: KernelInstructionSet = .active, kept: KeptTransforms? = nil) {
        let g = geometry, kernels = instructionSet.kernels
        let layout = DirectConvolution.WeightLayout(g, weight, transposed: false)
        let (height, width) = (g.outHeight, g.outWidth)
        let rows = DirectConvolution.winogradForwardBandRows(positions: Self.positions, side: 4, inChannels: g.inChannels,
                                                             outChannels: g.outChannels, height: height, width: width, tilesPerBand: tilesPerBand)
        let plan = DirectConvolution.BandPlan(g, outChannels: g.outChannels, inChannels: g.inChannels, tileChannels: kernels.conv3x3_tile_channels,
                                              packedTaps: Self.positions, bandCount: height, rowsPerBand: rows,
                                              scratchCount: kernels.winograd4_5x5_scratch(g.outChannels, g.inChannels, rows, width),
                                              inPlane: g.inPlane, outPlane: g.outPlane)
        plan.run(input: input, output: output, kept: kept, packing: layout.packing("winograd F(4x4, 5x5)", instructionSet),
                 pack: { layout.packWinograd(kernels.winograd4_5x5_pack, group: $0, tiles: $1, into: $2) }) {
            x, packed, y0, y1, y, scratch in
            kernels.conv5x5_winograd4_rows(g.outChannels, g.inChannels, g.inHeight, g.inWidth, g.padHeight, height, width, x, packed, y0, y1,
                                           false, y, scratch)
        }
    }
}
