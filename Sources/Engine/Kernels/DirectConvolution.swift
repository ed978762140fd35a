import CKernels

/// The 3×3 convolutions of StyleGAN2's planes from 16² up (stride 1 with padding 1, and the stride-2 down- and
/// up-sampling), of FID Inception's stride-1 planes (padding 0 or 1), and every pass on planes from 8² at large enough
/// batches (`suitsNarrowWinograd`), computed in place of im2col + GEMM by register-tiled C kernels, Winograd F(2×2, 3×3)
/// where it suits, or F(4×4, 3×3) for forward passes that allow its rounding (Sources/CKernels,
/// docs/engine-kernels.md "Direct convolution", "Winograd", "Winograd F(4×4, 3×3)"). im2col writes nine copies of the
/// input and hands OpenBLAS a product only 64–128 rows tall, which ran at 0.4–0.7 of sgemm on the 128² and 256² planes
/// (`toonkit bench kernels`); these kernels read a padded band of the input from cache instead.
/// Their sums run in the same order on every instruction set of one vector width family (see the docs).
enum DirectConvolution {
    /// Which kernel computes a forward or backward-data pass, named as the profile shows it; nil for im2col + GEMM.
    enum Path: String {
        case direct = "conv3x3 direct", winograd = "conv3x3 winograd", winograd4x4 = "conv3x3 winograd F(4x4)"

        /// `rounding: .relaxed` lets a forward pass that Winograd serves on planes from 16 wide take F(4×4, 3×3).
        init?(_ g: ConvGeometry, backwardData: Bool, algorithm: ConvolutionAlgorithm, rounding: ConvRounding = .standard) {
            guard algorithm.usesDirectKernels else { return nil }
            if algorithm.usesWinograd && !backwardData && rounding == .relaxed && DirectConvolution.suitsWinograd(g) {
                self = .winograd4x4
            } else if algorithm.usesWinograd && (DirectConvolution.suitsWinograd(g)
                || DirectConvolution.suitsNarrowWinograd(g, backwardData: backwardData)
                || (backwardData ? DirectConvolution.suitsWinogradUpsampling(g) : DirectConvolution.suitsWinogradDownsampling(g))) {
                self = .winograd
            } else if DirectConvolution.suits(g) || (backwardData ? DirectConvolution.suitsUpsampling(g) : DirectConvolution.suitsStrideTwo(g)) {
                self = .direct
            } else {
                return nil
            }
        }

        /// The Winograd tile this path computes with; nil for the direct kernels.
        var winogradTile: WinogradTile? {
            switch self {
            case .direct: nil
            case .winograd: .two
            case .winograd4x4: .four
            }
        }

        /// The weight gradient's kernel: Winograd where it suits, else the direct one (`suitsWeightGradient`, or the
        /// down-sampling's, `suitsDownsamplingWeightGradient`).
        init?(weightGradient g: ConvGeometry, algorithm: ConvolutionAlgorithm) {
            guard algorithm.usesDirectKernels else { return nil }
            if algorithm.usesWinograd && (DirectConvolution.suitsWinograd(g) || DirectConvolution.suitsNarrowWinogradWeightGradient(g)) {
                self = .winograd
            } else if DirectConvolution.suitsWeightGradient(g) || DirectConvolution.suitsDownsamplingWeightGradient(g) {
                self = .direct
            } else {
                return nil
            }
        }
    }

    /// Whether the direct kernel serves this convolution: 3×3, stride 1, padding 1, planes a multiple of 16
    /// wide (whole vectors on every set, so every set takes the same path and rounds alike). Measured with
    /// `toonkit bench kernels`: from 16² up it beats im2col + OpenBLAS on every paper256 shape (512 channels at
    /// 32²: 1.0–1.2 of sgemm against 0.65–0.7).
    static func suits(_ g: ConvGeometry) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.stride == 1 && g.padHeight == 1 && g.padWidth == 1
            && g.inHeight == g.outHeight && g.inWidth == g.outWidth && g.outWidth % 16 == 0
    }

    /// Whether the direct weight gradient serves: as `suits`, on planes from 128² up, with 16-float vectors. Each
    /// tile ends in 27 horizontal sums, which smaller bands do not amortise (`toonkit bench kernels`, AVX-512: 256
    /// channels at 64² 0.68 of sgemm against im2col's 0.84–1.0; 128² 0.88–0.90 against 0.61–0.92; 256² 0.96 against
    /// 0.44–0.72). With 8-float vectors the tile holds one output channel and loses to OpenBLAS (AVX2 kernels with
    /// OpenBLAS's Haswell core: 128² 162 ms against 121 ms, 256² 161 against 145).
    static func suitsWeightGradient(_ g: ConvGeometry, _ set: KernelInstructionSet = .active) -> Bool {
        suits(g) && g.outPlane >= 128 * 128 && set.vectorFloats == 16
    }

    /// 3×3, stride 2, no padding, the large side 2n + 1 (the default output size of the transpose): col2im's
    /// `isUnpaddedThreeByThreeStrideTwo`, which needs only the width, with the height as well. Forward, this is the
    /// discriminator's down-sampling convolution (after its FIR); backward data, the generator's up-sampling one.
    static func isStrideTwoWithoutPadding(_ g: ConvGeometry) -> Bool {
        g.isUnpaddedThreeByThreeStrideTwo && g.inHeight == 2 * g.outHeight + 1
    }

    /// Whether the stride-2 direct kernels serve: `isStrideTwoWithoutPadding`, the small side a multiple of 16 wide.
    static func suitsStrideTwo(_ g: ConvGeometry) -> Bool {
        isStrideTwoWithoutPadding(g) && g.outWidth % 16 == 0
    }

    /// Whether Winograd serves the up-sampling (backward data of `isStrideTwoWithoutPadding`), on inputs from 32 wide, of
    /// any size, on every set (so they round alike). From 16-wide inputs (512 channels into 32²) im2col took 0.80–0.97
    /// times as long at batch 4 (`toonkit bench kernels --only "up 3x3 512->512 @32" --against im2col`, AVX2, three runs
    /// of a build that let the F(3×3) kernel serve them): each call transforms all 512² weights for 36 tiles per sample.
    static func suitsWinogradUpsampling(_ g: ConvGeometry) -> Bool {
        isStrideTwoWithoutPadding(g) && g.outWidth >= 32
    }

    /// Whether Winograd serves the down-sampling (forward of `isStrideTwoWithoutPadding`), on outputs from 16 wide, of any
    /// size, on every set (so they round alike): on AVX2 the direct kernel took 1.12–1.23× as long on paper256's four
    /// (`toonkit bench kernels --only down --against direct`, docs/engine-kernels.md "Winograd down-sampling"); AVX-512 was
    /// not measured. Narrower outputs (8² and 4² in a 256² discriminator) keep im2col: at 8² (512 channels, batch 4) the
    /// two drew level, im2col 1.03–1.04× as long.
    static func suitsWinogradDownsampling(_ g: ConvGeometry) -> Bool {
        isStrideTwoWithoutPadding(g) && g.outWidth >= 16
    }

    /// Whether the up-sampling kernel serves this geometry's backward data: as `suitsStrideTwo`, on inputs from 32
    /// wide, with 16-float vectors. On 16-wide inputs a tile holds one vector per parity, each weight broadcast feeds
    /// a single multiply-add, and im2col is faster (`toonkit bench kernels`, AVX-512, 512 channels into 32²: 0.62 of
    /// sgemm against 0.84); with 8-float vectors (one output channel per tile) it loses on most planes (AVX2 with
    /// OpenBLAS's Haswell core: into 64² 105 ms against 62, 128² 101 against 80, 256² 113 against 112).
    static func suitsUpsampling(_ g: ConvGeometry, _ set: KernelInstructionSet = .active) -> Bool {
        suitsStrideTwo(g) && g.outWidth >= 32 && set.vectorFloats == 16
    }

    /// Output pixels per Winograd tile along each axis: F(2×2, 3×3), or F(4×4, 3×3) (forward passes only, where the
    /// caller allows its rounding: `ConvRounding.relaxed`).
    enum WinogradTile: Int {
        case two = 2, four = 4

        /// Transformed weights per channel pair, and products per tile.
        var positions: Int { (rawValue + 2) * (rawValue + 2) }

        /// This tile's forward kernels in `table`: the weights' transform, a band's scratch, a band's rows.
        func kernels(_ table: ck_kernel_table) -> (pack: ck_winograd_pack, scratch: ck_winograd_scratch, rows: ck_winograd_rows) {
            self == .two ? (table.winograd_pack, table.winograd_scratch, table.conv3x3_winograd_rows)
                : (table.winograd4_pack, table.winograd4_scratch, table.conv3x3_winograd4_rows)
        }
    }

    /// conv2d: output = conv(input, weight) for every sample and group, with stride 1 (`suits`, or Winograd with the given
    /// tile) or 2 (`suitsStrideTwo`, or Winograd F(2×2) by parity, `isStrideTwoWithoutPadding`). `winogradTilesPerBand`
    /// overrides the Winograd bands' size, for tests of many bands.
    /// `kept`: the weight's kept transforms (`Tensor.keepingConvolutionTransforms`), taken instead of packing the weight.
    static func forward(_ g: ConvGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        output: UnsafeMutablePointer<Float>, accumulate: Bool = false, winograd: WinogradTile? = nil,
                        winogradTilesPerBand: Int? = nil, instructionSet: KernelInstructionSet = .active, kept: KeptTransforms? = nil) {
        let layout = WeightLayout(g, weight, transposed: false)
        guard g.stride == 2 else {
            return strideOne(g, layout, StrideOnePlanes(g, backwardData: false), instructionSet, input: input, output: output,
                             accumulate: accumulate, winograd: winograd, tilesPerBand: winogradTilesPerBand, kept: kept)
        }
        let kernels = instructionSet.kernels
        if let winograd {
            precondition(winograd == .two, "the down-sampling's Winograd is F(2×2) by parity")
            return parityWinograd(g, .down, instructionSet, input: input, weight: weight, output: output, accumulate: accumulate,
                                  tilesPerBand: winogradTilesPerBand, kept: kept)
        }
        precondition(suitsStrideTwo(g), "no direct kernel for this geometry")
        let plan = BandPlan(g, outChannels: layout.outChannels, inChannels: layout.inChannels, tileChannels: kernels.conv3x3_tile_channels,
                            bandCount: g.outHeight, scratchRows: .split, paddedWidth: g.inWidth, inPlane: g.inPlane, outPlane: g.outPlane)
        plan.run(input: input, output: output, kept: kept, packing: layout.packing("taps", instructionSet),
                 pack: { layout.pack(kernels, tileChannels: plan.tileChannels, group: $0, tiles: $1, into: $2) }) {
            x, packed, y0, y1, y, scratch in
            kernels.conv3x3_down_rows(layout.outChannels, layout.inChannels, g.outHeight, g.outWidth, x, packed, y0, y1, accumulate, y, scratch)
        }
    }

    /// conv_transpose2d (the adjoint of `forward`), overwriting `output` unless `accumulate`. With stride 1 and
    /// padding p it is the convolution of the output-space gradient, with padding 2 − p, by the weight transposed in
    /// its channels and turned by 180°; with stride 2 the up-sampling kernels compute it by output parity (Winograd, or
    /// the direct kernel where `suitsStrideTwo`).
    /// `winogradTilesPerBand` overrides the Winograd bands' size (stride 1, and the up-sampling), for tests of many bands on
    /// small planes.
    /// `kept` as in `forward`.
    static func backwardData(_ g: ConvGeometry, gradOutput: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                             output: UnsafeMutablePointer<Float>, accumulate: Bool = false, winograd: Bool = false,
                             winogradTilesPerBand: Int? = nil, instructionSet: KernelInstructionSet = .active, kept: KeptTransforms? = nil) {
        guard g.stride == 2 else {
            return strideOne(g, WeightLayout(g, weight, transposed: true), StrideOnePlanes(g, backwardData: true), instructionSet,
                             input: gradOutput, output: output, accumulate: accumulate, winograd: winograd ? .two : nil,
                             tilesPerBand: winogradTilesPerBand, kept: kept)
        }
        precondition(!accumulate, "the up-sampling kernels overwrite a stride-2 geometry's output")
        let kernels = instructionSet.kernels
        if winograd {
            return parityWinograd(g, .up, instructionSet, input: gradOutput, weight: weight, output: output, accumulate: false,
                                  tilesPerBand: winogradTilesPerBand, kept: kept)
        }
        precondition(suitsStrideTwo(g), "no direct up-sampling kernel for this geometry")
        // Transposed channels, taps as stored: the kernel's output parities place each tap.
        let layout = WeightLayout(g, weight, transposed: true, turned: false)
        let plan = BandPlan(g, outChannels: layout.outChannels, inChannels: layout.inChannels, tileChannels: kernels.conv3x3_up_tile_channels,
                            bandCount: g.outHeight + 1, scratchRows: .padded, paddedWidth: g.outWidth + 2, inPlane: g.outPlane, outPlane: g.inPlane)
        plan.run(input: gradOutput, output: output, kept: kept, packing: layout.packing("up taps", instructionSet),
                 pack: { layout.pack(kernels, tileChannels: plan.tileChannels, group: $0, tiles: $1, into: $2) }) {
            x, packed, m0, m1, y, scratch in
            kernels.conv3x3_up_rows(layout.outChannels, layout.inChannels, g.outHeight, g.outWidth, x, packed, m0, m1, y, scratch)
        }
    }

    /// How a pass reads the stored weight [O, C/groups, k, k] (3×3, or F(4×4, 5×5)'s 5×5) as the [out, in, k, k] weight of
    /// the convolution its kernel computes: as stored (forward), or with the channels transposed and the taps turned by
    /// 180° (backward data).
    struct WeightLayout {
        let weight: UnsafePointer<Float>
        let groupStride: Int
        let outChannels: Int, inChannels: Int
        let outStride: Int, inStride: Int
        let turned: Bool

        init(_ g: ConvGeometry, _ weight: UnsafePointer<Float>, transposed: Bool, turned: Bool? = nil) {
            (self.weight, groupStride) = (weight, g.outPerGroup * g.patch)
            (outChannels, inChannels) = transposed ? (g.inPerGroup, g.outPerGroup) : (g.outPerGroup, g.inPerGroup)
            let taps = g.kernelHeight * g.kernelWidth
            (outStride, inStride) = transposed ? (taps, g.patch) : (g.patch, taps)
            self.turned = turned ?? transposed
        }

        /// How a kept transform of this layout is named (`KeptTransforms`): the kernel family's packing, the set whose kernels
        /// pack, and the order the weight is read in.
        func packing(_ kind: String, _ set: KernelInstructionSet) -> String {
            "\(kind) \(set.rawValue) read \(outChannels)x\(inChannels) strides \(outStride),\(inStride)\(turned ? " turned" : "")"
        }

        func pack(_ kernels: ck_kernel_table, tileChannels: Int, group: Int, tiles: Range<Int>, into packed: UnsafeMutablePointer<Float>) {
            kernels.conv3x3_pack(tileChannels, outChannels, inChannels, weight + group * groupStride, outStride, inStride, turned, packed,
                                 tiles.lowerBound, tiles.upperBound)
        }

        /// Winograd's transformed weights of the channel tiles `tiles` of the output channels `outputChannels`, laid out as
        /// a whole pack of those channels: the weight read from the first of them on, as though there were no others (all
        /// of them for one pack of the layer; a thread's own channels for `winogradBySamples`' packs by thread).
        func packWinograd(_ pack: ck_winograd_pack, group: Int, outputChannels: Range<Int>? = nil, tiles: Range<Int> = 0..<Int.max,
                          into packed: UnsafeMutablePointer<Float>) {
            let channels = outputChannels ?? 0..<outChannels
            pack(channels.count, inChannels, weight + group * groupStride + channels.lowerBound * outStride, outStride, inStride, turned, packed,
                 tiles.lowerBound, tiles.upperBound)
        }

        /// The parity kernels' transformed taps (`ParityWinograd`), which place each tap by its parity (so never turned).
        func packParityWinograd(_ pack: ck_parity_pack, group: Int, tiles: Range<Int>, into packed: UnsafeMutablePointer<Float>) {
            precondition(!turned, "the parity kernels place the taps by parity, as stored")
            pack(outChannels, inChannels, weight + group * groupStride, outStride, inStride, packed, tiles.lowerBound, tiles.upperBound)
        }
    }

    /// The planes and padding of the stride-1 convolution a pass computes: forward as stored; backward data from the
    /// output space to the input space, with padding 2 − p (the adjoint of a 3×3 convolution with padding p).
    struct StrideOnePlanes {
        let inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int, pad: Int

        init(_ g: ConvGeometry, backwardData: Bool) {
            (inHeight, inWidth, outHeight, outWidth) = backwardData
                ? (g.outHeight, g.outWidth, g.inHeight, g.inWidth) : (g.inHeight, g.inWidth, g.outHeight, g.outWidth)
            pad = backwardData ? 2 - g.padHeight : g.padHeight
        }
    }

    /// Stride 1: Winograd bands of whole tile rows (the last band, or a plane whose height is not a multiple of the
    /// tile's, may end in a partial one), sized so that the transformed inputs and products of their tiles
    /// (positions·(in + out) floats per tile, before the band copy and the rounding up to whole vectors) come near
    /// `winogradBandBytes` (`winogradForwardBandRows`), or F(2×2)'s bands of whole planes of several samples where a
    /// sample's fit (`winogradBySamples`); or the direct kernel's bands (padding 1).
    private static func strideOne(_ g: ConvGeometry, _ layout: WeightLayout, _ planes: StrideOnePlanes, _ instructionSet: KernelInstructionSet,
                                  input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, accumulate: Bool, winograd tile: WinogradTile?,
                                  tilesPerBand: Int?, kept: KeptTransforms?) {
        precondition(tile != nil ? fitsWinogradKernel(g) : suits(g), "no direct kernel for this geometry")
        let kernels = instructionSet.kernels
        let (height, width) = (planes.outHeight, planes.outWidth)
        let (outChannels, inChannels) = (layout.outChannels, layout.inChannels)
        let (inPlane, outPlane) = (planes.inHeight * planes.inWidth, height * width)
        if let tile {
            let rows = winogradForwardBandRows(positions: tile.positions, side: tile.rawValue, inChannels: inChannels, outChannels: outChannels,
                                               height: height, width: width, tilesPerBand: tilesPerBand)
            let winograd = tile.kernels(kernels)
            let plan = BandPlan(g, outChannels: outChannels, inChannels: inChannels, tileChannels: kernels.conv3x3_tile_channels,
                                packedTaps: tile.positions, bandCount: height, rowsPerBand: rows,
                                scratchCount: winograd.scratch(outChannels, inChannels, rows, width), inPlane: inPlane, outPlane: outPlane)
            let packing = layout.packing("winograd F(\(tile.rawValue)x\(tile.rawValue))", instructionSet)
            let pack: @Sendable (Int, Range<Int>, UnsafeMutablePointer<Float>) -> Void = {
                layout.packWinograd(winograd.pack, group: $0, tiles: $1, into: $2)
            }
            if tile == .two, let samplesPerBand = winogradSamplesPerBand(inChannels: inChannels, outChannels: outChannels, height: height,
                                                                         width: width, batch: g.batch, tilesPerBand: tilesPerBand) {
                // A kept transform is made once, then serves every call; otherwise each thread packs its own tiles as it goes.
                let weights: SamplesWeights = kept != nil
                    ? .packed(plan.packedWeights(kept: kept, packing: packing, pack: pack))
                    : .packedByThreads(tilesPerPack: tilesPerPackForTests ?? winogradTilesPerPack(inChannels: inChannels, tileChannels: plan.tileChannels),
                                       pack: { layout.packWinograd(winograd.pack, group: $0, outputChannels: $1, into: $2) })
                return winogradBySamples(plan, planes, kernels, samplesPerBand: samplesPerBand, input: input, weights: weights, output: output,
                                         accumulate: accumulate)
            }
            plan.run(input: input, output: output, kept: kept, packing: packing, pack: pack) {
                x, packed, y0, y1, y, scratch in
                winograd.rows(outChannels, inChannels, planes.inHeight, planes.inWidth, planes.pad, height, width, x, packed, y0, y1, accumulate,
                              y, scratch)
            }
            return
        }
        let plan = BandPlan(g, outChannels: outChannels, inChannels: inChannels, tileChannels: kernels.conv3x3_tile_channels,
                            bandCount: height, scratchRows: .padded, paddedWidth: width + 2, inPlane: inPlane, outPlane: outPlane)
        plan.run(input: input, output: output, kept: kept, packing: layout.packing("taps", instructionSet),
                 pack: { layout.pack(kernels, tileChannels: plan.tileChannels, group: $0, tiles: $1, into: $2) }) {
            x, packed, y0, y1, y, scratch in
            kernels.conv3x3_rows(outChannels, inChannels, height, width, x, packed, y0, y1, accumulate, y, scratch)
        }
    }

    /// Whether Winograd F(2×2, 3×3) serves: 3×3, stride 1, the same padding p ≤ 2 on both axes (backward data is
    /// the convolution with padding 2 − p), input and output planes from 16 wide, of any size: odd widths and heights
    /// end in a partial tile column and row (FID's Inception: 147², 71², 35²). Every set takes this path for the same
    /// geometries, so they round alike. At StyleGAN2's 16² it beats the direct kernel (forward, backward data) and
    /// im2col (weight gradient) at batch 1 and 2 (`toonkit bench kernels --only "512->512 @"`, AVX2, docs/engine-kernels.md
    /// "Narrow planes"). Narrower planes keep im2col, except at batches that give them enough tiles (`suitsNarrowWinograd`,
    /// `suitsNarrowWinogradWeightGradient`). Measured on AVX2 only: on AVX-512 a 16-wide plane fills half a vector.
    static func suitsWinograd(_ g: ConvGeometry) -> Bool {
        fitsWinogradKernel(g) && servesWinogradPlanes(g)
    }

    /// Input and output planes from 16 wide: where Winograd serves a stride-1 convolution at any batch (`suitsWinograd`;
    /// F(4×4, 5×5), `WinogradFiveByFive`, takes the same bound).
    static func servesWinogradPlanes(_ g: ConvGeometry) -> Bool {
        min(g.inWidth, g.outWidth) >= 16
    }

    /// Whether Winograd serves a forward or backward-data pass on planes 8 to 15 wide, which `suitsWinograd` leaves to
    /// im2col: when the batch gives the plane the pass writes at least `narrowPlaneMinimumTiles` tiles, so the weights'
    /// transform, made once per call, serves enough of them.
    static func suitsNarrowWinograd(_ g: ConvGeometry, backwardData: Bool) -> Bool {
        let (height, width) = backwardData ? (g.inHeight, g.inWidth) : (g.outHeight, g.outWidth)
        return fitsWinogradKernel(g) && g.batch * winogradPlaneTiles(height, width) >= narrowPlaneMinimumTiles
    }

    /// Tiles of the written plane from which Winograd takes a narrow plane's forward and backward-data passes. StyleGAN2's
    /// 512 channels at 8² (16 tiles per sample), `toonkit bench kernels --only "512->512 @8x8" --against im2col` on a Zen 3
    /// (AVX2): im2col took 1.16–1.27 times as long at batch 4 (64 tiles), 1.42–1.61 at 8 and 16, but 0.88–0.96 at batch 3
    /// and 0.97–1.00 at batch 2, and 0.60–0.69 at batch 1 (docs/engine-kernels.md "Narrow planes").
    static let narrowPlaneMinimumTiles = 64

    /// Whether Winograd serves the weight gradient on planes 8 to 15 wide: from `narrowPlaneMinimumWeightGradientTiles`
    /// tiles of the output plane over the batch, which its bands of whole planes of several samples sum in each product.
    static func suitsNarrowWinogradWeightGradient(_ g: ConvGeometry) -> Bool {
        fitsWinogradKernel(g) && g.batch * winogradPlaneTiles(g.outHeight, g.outWidth) >= narrowPlaneMinimumWeightGradientTiles
    }

    /// The same measurement of the weight gradient: im2col took 1.06–1.11 times as long at batch 6 (96 tiles), 1.19–1.22 at
    /// 8 and 1.48–1.49 at 16, but 0.88 at batch 4.
    static let narrowPlaneMinimumWeightGradientTiles = 96

    /// F(2×2, 3×3)'s tiles on a plane of `height` × `width` output pixels.
    static func winogradPlaneTiles(_ height: Int, _ width: Int) -> Int { ((height + 1) / 2) * ((width + 1) / 2) }

    /// What the stride-1 Winograd kernels (F(2×2, 3×3) and F(4×4, 3×3)) compute: 3×3, stride 1, the same padding p ≤ 2 on
    /// both axes, planes from 8 wide; which of these take them is `Path`'s choice, with `suitsWinograd` and
    /// `suitsNarrowWinograd`.
    private static func fitsWinogradKernel(_ g: ConvGeometry) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.stride == 1 && g.padHeight == g.padWidth && (0...2).contains(g.padHeight)
            && min(g.inWidth, g.outWidth) >= 8
    }

    /// The weight gradient, overwriting `output`: the down-sampling's (`isStrideTwoWithoutPadding`) by its own kernel
    /// (`downsamplingWeightGradient`), stride 1 by Winograd or the direct kernel. Workers split each group's output
    /// channels, so every element's sum runs over samples, then bands, in one order whatever the number of threads.
    /// `winogradTilesPerBand` overrides the Winograd bands' size, for tests of many bands on small planes.
    static func weightGradient(_ g: ConvGeometry, input: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
                               output: UnsafeMutablePointer<Float>, winograd: Bool = false, winogradTilesPerBand: Int? = nil,
                               instructionSet: KernelInstructionSet = .active) {
        let kernels = instructionSet.kernels
        if isStrideTwoWithoutPadding(g) {
            precondition(!winograd, "no Winograd weight gradient for the down-sampling")
            return downsamplingWeightGradient(g, kernels, input: input, gradOutput: gradOutput, output: output)
        }
        if winograd {
            return winogradWeightGradient(g, kernels, input: input, gradOutput: gradOutput, output: output, tilesPerBand: winogradTilesPerBand)
        }
        output.update(repeating: 0, count: g.outChannels * g.patch)
        let (height, width, plane) = (g.outHeight, g.outWidth, g.outPlane)
        let rows = bandRows(inChannels: g.inPerGroup, paddedWidth: width + 2, rows: height, scratchRows: .padded)
        let tile = kernels.conv3x3_weight_tile_channels
        let tiles = (g.outPerGroup + tile - 1) / tile
        parallelChunks(g.groups * tiles) { range in
            let scratch = TensorStorage(count: g.inPerGroup * ScratchRows.padded.count(rows) * (width + 2))
            forEachPart(of: range, itemsPerPart: tiles) { group, groupTiles in
                let outFirst = groupTiles.lowerBound * tile, outCount = min(g.outPerGroup, groupTiles.upperBound * tile) - outFirst
                for sample in 0..<g.batch {
                    let x = input + (sample * g.inChannels + group * g.inPerGroup) * plane
                    let gy = gradOutput + (sample * g.outChannels + group * g.outPerGroup) * plane
                    for y0 in stride(from: 0, to: height, by: rows) {
                        kernels.conv3x3_weight_rows(outFirst, outCount, g.inPerGroup, height, width, x, gy, y0, min(height, y0 + rows),
                                                    output + group * g.outPerGroup * g.patch, scratch.pointer)
                    }
                }
            }
        }
    }

    /// The weight gradient by Winograd F(2×2, 3×3) (`suitsWinograd`, `suitsNarrowWinogradWeightGradient`;
    /// docs/engine-kernels.md "Winograd weight gradient"), overwriting `output`. For each band of samples, group and band
    /// of output rows the C kernels transform the band's input and output gradient (threads split the channels) and the
    /// engine's GEMM adds the 16 products M̂[ξ]·V[ξ]ᵀ over the band's tiles to dU[ξ]; dU becomes 3×3 taps once at the end.
    /// Every element's sum runs over the bands in order, each band's product over its tiles, so in one order whatever the
    /// number of threads. Bands hold about 256 tiles or more so each product is deep enough to amortise the GEMM's packing
    /// and start-up, and otherwise keep V and M̂ near 8 MB: whole rows of tiles of one sample, or on planes under 16 wide
    /// (8² has 16 tiles) whole planes of as many samples as that takes. Planes from 16 wide keep bands of one sample even
    /// where a plane has fewer tiles (16² has 64): bands of samples measured there within the host's noise, and there one
    /// sample per band keeps a batch split over ranks rounding as the whole batch does (docs/engine-kernels.md "Winograd
    /// weight gradient").
    private static func winogradWeightGradient(_ g: ConvGeometry, _ kernels: ck_kernel_table, input: UnsafePointer<Float>,
                                               gradOutput: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, tilesPerBand: Int?) {
        precondition(fitsWinogradKernel(g), "no Winograd kernel for this geometry")
        let planes = StrideOnePlanes(g, backwardData: false)
        let (outChannels, inChannels, height, width) = (g.outPerGroup, g.inPerGroup, g.outHeight, g.outWidth)
        let tiles = tilesPerBand ?? max(256, winogradTiles(fitting: 8 << 20, positions: 16, inChannels: inChannels, outChannels: outChannels))
        let rows = winogradBandRows(tiles: tiles, height: height, width: width)
        let samplesPerBand = rows < height || suitsWinograd(g) ? 1 : min(g.batch, max(1, tiles / winogradPlaneTiles(height, width)))
        let scratch = TensorStorage(count: kernels.winograd_band(outChannels, inChannels, rows, width, samplesPerBand).scratch)
        let perPosition = outChannels * inChannels
        let transformed = TensorStorage(count: g.groups * 16 * perPosition)
        transformed.pointer.update(repeating: 0, count: transformed.count)
        for firstSample in stride(from: 0, to: g.batch, by: samplesPerBand) {
            let samples = min(samplesPerBand, g.batch - firstSample)
            for group in 0..<g.groups {
                let x = input + (firstSample * g.inChannels + group * inChannels) * g.inPlane
                let gy = gradOutput + (firstSample * g.outChannels + group * outChannels) * g.outPlane
                let du = transformed.pointer + group * 16 * perPosition
                for y0 in stride(from: 0, to: height, by: rows) {
                    let y1 = min(height, y0 + rows), band = kernels.winograd_band(outChannels, inChannels, y1 - y0, width, samples)
                    parallelChunks(inChannels + outChannels) { items in
                        kernels.winograd_band_transforms(outChannels, inChannels, planes.inHeight, planes.inWidth, planes.pad, height, width,
                                                             x, gy, y0, y1, samples, g.inChannels * g.inPlane, g.outChannels * g.outPlane,
                                                             items.lowerBound, items.upperBound, scratch.pointer)
                    }
                    sgemm(transposeA: false, transposeB: true, m: outChannels, n: inChannels, k: band.tiles,
                          a: scratch.pointer + band.transformed_gradient, lda: band.stride,
                          b: scratch.pointer + band.transformed_input, ldb: band.stride, beta: 1, c: du, ldc: inChannels,
                          batch: ProductBatch(count: 16, aStride: band.gradient_positions, bStride: band.input_positions, cStride: perPosition))
                }
            }
        }
        parallelChunks(g.groups * outChannels) { range in
            forEachPart(of: range, itemsPerPart: outChannels) { group, channels in
                kernels.winograd_unpack_gradient(outChannels, inChannels, transformed.pointer + group * 16 * perPosition, g.patch, 9,
                                                 output + group * outChannels * g.patch, channels.lowerBound, channels.upperBound)
            }
        }
    }

    /// The stride-2 3×3 convolutions without padding by Winograd over their four parities, each a direction's C kernels.
    private enum ParityWinograd {
        /// The up-sampling (conv_transpose2d, output 2H + 1; docs/engine-kernels.md "Winograd up-sampling"), by its output's
        /// parities, in tiles of 3×3 parity pixels; the down-sampling (conv2d; "Winograd down-sampling"), by its input's
        /// parities, in tiles of 2×2 output pixels.
        case up, down

        /// Tile rows and columns: parity pixels (up) or output pixels (down) per tile along each axis.
        var side: Int { self == .up ? 3 : 2 }
        /// Products per tile and channel pair, each a position of the transformed inputs and products.
        var positions: Int { self == .up ? 49 : 25 }
        /// Distinct transformed weights per channel pair.
        var packedTaps: Int { self == .up ? 25 : 16 }
        /// The packing's name in a kept transform's (`WeightLayout.packing`).
        var packing: String { self == .up ? "winograd up F(3x3)" : "winograd down F(2x2)" }

        func pack(_ kernels: ck_kernel_table) -> ck_parity_pack {
            self == .up ? kernels.winograd_up_pack : kernels.winograd_down_pack
        }

        func scratch(_ kernels: ck_kernel_table) -> ck_winograd_scratch {
            self == .up ? kernels.winograd_up_scratch : kernels.winograd_down_scratch
        }
    }

    /// The up- or down-sampling by Winograd over its four parities (`suitsWinogradUpsampling`, `suitsWinogradDownsampling`),
    /// overwriting `output` (the down-sampling adds to it with `accumulate`), in (sample, group, band) tasks across the
    /// threads. Bands are whole rows of tiles, about 128 tiles or more, or as many as keep the transforms (`positions` per
    /// tile) near 2 MB: with fewer, each band re-reads all transformed weights for few products (the F(2×2) up-sampling
    /// into 64², 512 → 256 channels, batch 4, AVX2: 17-tile bands took about 1.4 times as long as 119-tile ones, timed in
    /// one process, alternating).
    private static func parityWinograd(_ g: ConvGeometry, _ direction: ParityWinograd, _ instructionSet: KernelInstructionSet,
                                       input: UnsafePointer<Float>, weight: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                       accumulate: Bool, tilesPerBand: Int?, kept: KeptTransforms?) {
        precondition(isStrideTwoWithoutPadding(g), "no Winograd up- or down-sampling for this geometry")
        precondition(direction == .down || !accumulate, "the up-sampling overwrites its output")
        let kernels = instructionSet.kernels
        let layout = WeightLayout(g, weight, transposed: direction == .up, turned: false)
        let (outChannels, inChannels) = (layout.outChannels, layout.inChannels)
        // The tiles' rows and columns: the up-sampling's parity rows and columns (the even output rows and columns, one more
        // than the input's), the down-sampling's output rows and columns.
        let (tileRowsOf, tileColumnsOf) = direction == .up ? (g.outHeight + 1, g.outWidth + 1) : (g.outHeight, g.outWidth)
        let side = direction.side
        let tiles = tilesPerBand
            ?? max(128, winogradTiles(fitting: winogradBandBytes, positions: direction.positions, inChannels: inChannels, outChannels: outChannels))
        let tileRowsForTiles = (winogradBandRows(tiles: tiles, height: tileRowsOf, width: tileColumnsOf, side: side) + side - 1) / side
        let rows = side * balancedTileRows((tileRowsOf + side - 1) / side, atMost: tileRowsForTiles, bandsPerRow: g.batch * g.groups,
                                           threads: EngineThreads.count)
        let (inPlane, outPlane) = direction == .up ? (g.outPlane, g.inPlane) : (g.inPlane, g.outPlane)
        let plan = BandPlan(g, outChannels: outChannels, inChannels: inChannels, tileChannels: kernels.conv3x3_tile_channels,
                            packedTaps: direction.packedTaps, bandCount: tileRowsOf, rowsPerBand: rows,
                            scratchCount: direction.scratch(kernels)(outChannels, inChannels, rows, g.outWidth), inPlane: inPlane, outPlane: outPlane)
        plan.run(input: input, output: output, kept: kept, packing: layout.packing(direction.packing, instructionSet),
                 pack: { layout.packParityWinograd(direction.pack(kernels), group: $0, tiles: $1, into: $2) }) {
            x, packed, r0, r1, y, scratch in
            if direction == .up {
                kernels.winograd_up_rows(outChannels, inChannels, g.outHeight, g.outWidth, x, packed, r0, r1, y, scratch)
            } else {
                kernels.winograd_down_rows(outChannels, inChannels, g.outHeight, g.outWidth, x, packed, r0, r1, accumulate, y, scratch)
            }
        }
    }

    /// Bytes of the transformed inputs and products of a band of the Winograd forward and parity kernels' tiles.
    static let winogradBandBytes = 2 << 20

    /// Output rows per band of the stride-1 Winograd forward kernels (F(2×2, 3×3), F(4×4, 3×3), F(4×4, 5×5)): whole rows
    /// of tiles whose transformed inputs and products come near `winogradBandBytes`, or `tilesPerBand` tiles (tests).
    static func winogradForwardBandRows(positions: Int, side: Int, inChannels: Int, outChannels: Int, height: Int, width: Int,
                                        tilesPerBand: Int?) -> Int {
        let tiles = tilesPerBand ?? winogradTiles(fitting: winogradBandBytes, positions: positions, inChannels: inChannels, outChannels: outChannels)
        return winogradBandRows(tiles: tiles, height: height, width: width, side: side)
    }

    /// Tiles whose transformed inputs and products (positions·(in + out) floats per tile: 16 positions for F(2×2, 3×3),
    /// 36 for F(4×4, 3×3), 64 for F(4×4, 5×5), 25 for the down-sampling's parities, 49 for the up-sampling's) come near
    /// `bytes`, at least one.
    static func winogradTiles(fitting bytes: Int, positions: Int, inChannels: Int, outChannels: Int) -> Int {
        max(1, bytes / (4 * positions * (inChannels + outChannels)))
    }

    /// Output rows of a Winograd band of about `tiles` tiles: whole rows of ⌈width / side⌉ tiles (`side` output rows
    /// each), at least one, at most the plane.
    static func winogradBandRows(tiles: Int, height: Int, width: Int, side: Int = 2) -> Int {
        min(height, side * max(1, tiles / ((width + side - 1) / side)))
    }

    /// Tile rows per band, at most `limit`: the largest count whose (sample, group, band) tasks, `bandsPerRow` per band
    /// of the plane, `parallelChunks` hands out within 15 % of evenly over `threads` (counting each task's tile rows),
    /// else the most even. With one sample, 17 tile rows (the down-sampling to 33² outputs) in bands of at most 7 would
    /// make bands of 7, 7 and 3 tile rows, and `parallelChunks` would give one of two threads 14 of them.
    static func balancedTileRows(_ tileRows: Int, atMost limit: Int, bandsPerRow: Int, threads: Int) -> Int {
        var best = (rows: max(1, limit), evenness: 0.0)
        for rows in stride(from: max(1, limit), through: 1, by: -1) {
            let bands = (tileRows + rows - 1) / rows, tasks = bandsPerRow * bands
            let chunk = (tasks + min(threads, tasks) - 1) / min(threads, tasks)
            let busiest = stride(from: 0, to: tasks, by: chunk).map { start in
                (start..<min(tasks, start + chunk)).reduce(0) { sum, task in sum + min(rows, tileRows - (task % bands) * rows) }
            }.max() ?? 0
            let evenness = Double(bandsPerRow * tileRows) / Double(threads * busiest)
            if evenness >= 0.85 { return rows }
            if evenness > best.evenness { best = (rows, evenness) }
        }
        return best.rows
    }

    /// How many input rows a band of output rows copies: its rows and a zero row above and below (stride 1, and
    /// the up-sampling kernel's input rows), or two per output row and one more (stride 2).
    enum ScratchRows {
        case padded, split
        func count(_ rows: Int) -> Int { self == .padded ? rows + 2 : 2 * rows + 1 }
    }

    /// Bytes a band's copy may take: half of a core's L2, so that the copy and the packed weights of the tile sweeping it
    /// stay there together (docs/engine-kernels.md "Bands and the L2"). That is the 512 KiB tuned on Zen 4's 1 MiB L2; on
    /// Zen 3's 512 KiB a band of 512 KiB made the down-sampling take 1.14–1.48× as long as one of 256 KiB. 512 KiB where
    /// the L2's size is not reported.
    static let bandBudgetBytes = (CPUCache.level2Bytes ?? (1 << 20)) / 2

    /// Rows per band: the band's copy (inChannels × scratch rows × paddedWidth floats) stays near `budgetBytes`, while the
    /// output tiles sweep it once per group of output channels.
    static func bandRows(inChannels: Int, paddedWidth: Int, rows: Int, scratchRows: ScratchRows, budgetBytes: Int = bandBudgetBytes) -> Int {
        let budget = budgetBytes / (4 * inChannels * paddedWidth)
        let fitting = scratchRows == .padded ? budget - 2 : (budget - 1) / 2
        return max(1, min(rows, fitting))
    }
}
