@testable import Engine
import Foundation
import TestSupport
import Testing

/// im2col (ConvKernels.im2col) against its definition; im2col + GEMM's backward data (conv_transpose2d) and its col2im,
/// which sums each input pixel's kernel taps apart from the image (ConvKernels.col2im), against double-precision loops
/// written from the definition and against a tap-by-tap scatter: strides 1–3, uneven padding and kernels, padding wider
/// than the kernel, a strided 1×1, blocks of several samples, bands of rows, groups, uneven bands of channels, and at
/// stride 1 on planes as wide as the output (taps copied and summed as shifted runs of the plane) kernels 5×5, 1×3 and
/// 3×1 and planes narrower than the kernel's reach, 3×3 on planes 8 wide (a row summed per vector), and StyleGAN2's
/// stride-2 3×3 geometry (rows summed from straight lines; into 17² also from pixel-major columns, the transposed product).
@Suite struct Im2colTests {
    typealias G = GradCheck

    struct Case: CustomStringConvertible {
        let batch: Int, groups: Int, channels: Int, outChannels: Int, height: Int, width: Int
        let kernel: (Int, Int), stride: Int, padding: (Int, Int)
        var description: String { "\(batch)×\(channels)×\(height)×\(width) ← \(outChannels), groups \(groups), kernel \(kernel), stride \(stride), padding \(padding)" }

        func geometry() throws -> ConvGeometry {
            try ConvGeometry(op: "test", input: [batch, channels, height, width], weight: [outChannels, channels / groups, kernel.0, kernel.1],
                             options: ConvOptions(stride: stride, padding: padding, groups: groups))
        }
    }

    static let cases: [Case] = [
        Case(batch: 3, groups: 1, channels: 5, outChannels: 4, height: 9, width: 9, kernel: (3, 3), stride: 1, padding: (1, 1)),
        Case(batch: 2, groups: 2, channels: 6, outChannels: 4, height: 17, width: 17, kernel: (3, 3), stride: 2, padding: (0, 0)),
        Case(batch: 2, groups: 1, channels: 4, outChannels: 3, height: 11, width: 10, kernel: (3, 2), stride: 3, padding: (1, 0)),
        // Planes past backward data's column budget: two bands of rows.
        Case(batch: 1, groups: 1, channels: 64, outChannels: 4, height: 78, width: 78, kernel: (3, 3), stride: 1, padding: (1, 1)),
        Case(batch: 1, groups: 1, channels: 64, outChannels: 4, height: 129, width: 129, kernel: (3, 3), stride: 2, padding: (0, 0)),
        // 5.5 MB of columns: two bands of channels, 151 and 150.
        Case(batch: 2, groups: 1, channels: 301, outChannels: 8, height: 33, width: 33, kernel: (3, 3), stride: 2, padding: (0, 0)),
        // A 1×1 kernel with stride 3 (rows and columns no tap reaches; the plane narrower than the stride), and padding
        // wider than the kernel (output rows and columns that reach no pixel).
        Case(batch: 1, groups: 1, channels: 3, outChannels: 2, height: 7, width: 2, kernel: (1, 1), stride: 3, padding: (0, 0)),
        Case(batch: 2, groups: 1, channels: 4, outChannels: 3, height: 6, width: 5, kernel: (2, 2), stride: 2, padding: (3, 3)),
        // Stride 1 on planes as wide as the output: shifts of two columns, one-sided kernels, a plane one pixel wide and
        // one two pixels tall (shifts as wide as the plane).
        Case(batch: 2, groups: 1, channels: 3, outChannels: 2, height: 6, width: 7, kernel: (5, 5), stride: 1, padding: (2, 2)),
        Case(batch: 3, groups: 1, channels: 4, outChannels: 3, height: 5, width: 8, kernel: (1, 3), stride: 1, padding: (0, 1)),
        Case(batch: 3, groups: 1, channels: 4, outChannels: 3, height: 8, width: 5, kernel: (3, 1), stride: 1, padding: (1, 0)),
        Case(batch: 2, groups: 2, channels: 4, outChannels: 2, height: 6, width: 1, kernel: (3, 3), stride: 1, padding: (1, 1)),
        Case(batch: 2, groups: 1, channels: 3, outChannels: 2, height: 2, width: 9, kernel: (5, 5), stride: 1, padding: (2, 2)),
        // Vertical padding past the kernel (output rows no tap's row reaches), and a 1×1 of one sample (backward data
        // writes the product straight into the image).
        Case(batch: 2, groups: 1, channels: 3, outChannels: 2, height: 2, width: 6, kernel: (1, 3), stride: 1, padding: (3, 1)),
        Case(batch: 1, groups: 1, channels: 3, outChannels: 2, height: 5, width: 4, kernel: (1, 1), stride: 1, padding: (0, 0)),
        // Strides past 1 without padding: a 5×5 kernel at stride 2 (three taps per row in one phase), and a 2×2 kernel at
        // stride 3 (pixels no tap reaches).
        Case(batch: 2, groups: 1, channels: 3, outChannels: 2, height: 13, width: 15, kernel: (5, 5), stride: 2, padding: (0, 0)),
        Case(batch: 2, groups: 1, channels: 3, outChannels: 2, height: 11, width: 14, kernel: (2, 2), stride: 3, padding: (0, 0)),
        // StyleGAN2's up- and down-sampling geometry (3×3, stride 2, no padding, 2·W + 1 wide), summed from straight
        // rows like cases 1, 4 and 5 (whose 8, 64 and 16 output columns are summed 8 at a time): an image a row taller
        // than the taps reach, and one output pixel.
        Case(batch: 2, groups: 1, channels: 3, outChannels: 2, height: 8, width: 7, kernel: (3, 3), stride: 2, padding: (0, 0)),
        Case(batch: 1, groups: 1, channels: 2, outChannels: 2, height: 3, width: 3, kernel: (3, 3), stride: 2, padding: (0, 0)),
        // 3×3 with padding 1 on planes 8 wide, summed a row per vector: the 8² layers (with groups), and a plane 5 rows tall.
        Case(batch: 3, groups: 2, channels: 6, outChannels: 4, height: 8, width: 8, kernel: (3, 3), stride: 1, padding: (1, 1)),
        Case(batch: 2, groups: 1, channels: 3, outChannels: 2, height: 5, width: 8, kernel: (3, 3), stride: 1, padding: (1, 1)),
        // The up-sampling into 17² at the widest block backward data takes pixel-major (4 samples, 256 columns), in two
        // bands of channels, 229 and 228.
        Case(batch: 4, groups: 1, channels: 457, outChannels: 2, height: 17, width: 17, kernel: (3, 3), stride: 2, padding: (0, 0)),
        // Pixel-major products with 72 output channels: two samples packed, deep enough for OpenBLAS (the skinny GEMM takes
        // up to 64), and one sample read in place from an image a row taller than the taps reach.
        Case(batch: 2, groups: 1, channels: 4, outChannels: 72, height: 17, width: 17, kernel: (3, 3), stride: 2, padding: (0, 0)),
        Case(batch: 1, groups: 1, channels: 3, outChannels: 72, height: 18, width: 17, kernel: (3, 3), stride: 2, padding: (0, 0)),
    ]

    /// Pixel-major columns from a block of some of a sample's rows, whose gradient the product reads in place with the
    /// plane's leading dimension rather than the block's columns: 14,600 channels into 17² leave 63 columns of backward
    /// data's 32 MB to a block (blocks of 7 rows and of 1).
    @Test func pixelMajorColumnsOfPartOfASample() throws {
        let g = try ConvGeometry(op: "test", input: [1, 14_600, 17, 17], weight: [2, 14_600, 3, 3], options: ConvOptions(stride: 2))
        #expect(g.backwardDataBlocks.map(\.rows) == [7, 1] && g.backwardDataColumnLayout(columns: 56) == .pixelMajor)
        let gy = G.random(g.outputShape, seed: 180), weight = G.random(g.weightShape, scale: 0.3, seed: 181)
        let output = Tensor(uninitializedShape: g.inputShape)
        ConvKernels.backwardData(g, gradOutput: gy.pointer, weight: weight.pointer, output: output.pointer, algorithm: .im2col)
        #expect(ForwardTests.maxDifference(output.scalars, convTransposeDefinition(gy, weight, g)) < 1e-4)
    }

    /// Every entry of every block's columns, from NaN-filled buffers, bit for bit against the definition.
    @Test func im2colMatchesTheDefinition() throws {
        for (index, c) in Self.cases.enumerated() {
            let g = try c.geometry()
            let x = G.random(g.inputShape, seed: UInt32(130 + index)).scalars
            for block in g.blocks { for group in 0..<g.groups {
                let expected = im2colDefinition(g, block, group, x)
                #expect(mismatch(im2col(g, block, group, x).map(\.bitPattern), expected.map(\.bitPattern)) == nil,
                        "\(c), block from sample \(block.sample) row \(block.rowStart)")
            } }
        }
    }

    /// ConvKernels.im2col of one block and group into NaN-filled columns.
    private func im2col(_ g: ConvGeometry, _ block: ConvGeometry.Block, _ group: Int, _ x: [Float]) -> [Float] {
        var cols = [Float](repeating: .nan, count: g.patch * block.columns(g))
        x.withUnsafeBufferPointer { input in
            cols.withUnsafeMutableBufferPointer { ConvKernels.im2col(g, block, group, input: input.baseAddress!, into: $0.baseAddress!) }
        }
        return cols
    }

    private func im2colDefinition(_ g: ConvGeometry, _ block: ConvGeometry.Block, _ group: Int, _ x: [Float]) -> [Float] {
        let columns = block.columns(g)
        var cols = [Float](repeating: 0, count: g.patch * columns)
        for c in 0..<g.inPerGroup { for i in 0..<g.kernelHeight { for j in 0..<g.kernelWidth {
            let row = (c * g.kernelHeight + i) * g.kernelWidth + j
            for s in 0..<block.samples { for r in 0..<block.rows { for ox in 0..<g.outWidth {
                let iy = (block.rowStart + r) * g.stride + i - g.padHeight, ix = ox * g.stride + j - g.padWidth
                guard iy >= 0, iy < g.inHeight, ix >= 0, ix < g.inWidth else { continue }
                let channel = (block.sample + s) * g.inChannels + group * g.inPerGroup + c
                cols[row * columns + (s * block.rows + r) * g.outWidth + ox] = x[(channel * g.inHeight + iy) * g.inWidth + ix]
            } } }
        } } }
        return cols
    }

    @Test func theCasesCoverEveryKindOfBlockAndBand() throws {
        let blocks = try Self.cases.map { try $0.geometry().backwardDataBlocks }
        #expect(blocks[0].count == 1 && blocks[0][0].samples == 3)
        #expect(blocks[3].count == 2 && blocks[4].count == 2 && blocks[3].allSatisfy { $0.samples == 1 })
        let wide = try Self.cases[5].geometry()
        #expect(ConvKernels.col2imBandChannels(wide, columns: wide.backwardDataBlocks[0].columns(wide)) == 151)
        #expect(ConvKernels.col2imBandChannels(try Self.cases[0].geometry(), columns: 243) == 5)
        #expect(!(try Self.cases[6].geometry()).isPointwise)
        // The up-sampling into 32² (512 channels, batch 4): a sample per block for im2col's 8 MB; one block of four for
        // backward data, whose product writes its 18.9 MB of columns in 4 bands.
        let up = try ConvGeometry(op: "test", input: [4, 512, 33, 33], weight: [512, 512, 3, 3], options: ConvOptions(stride: 2))
        #expect(up.blocks.count == 4 && up.backwardDataBlocks.count == 1 && up.backwardDataBlocks[0].samples == 4)
        #expect(ConvKernels.col2imBandChannels(up, columns: 1024) == 128)
        // The forward pass's and the weight gradient's blocks: bands of rows at 78², and the shifted runs of stride 1 on
        // planes as wide as the output in both kinds of block.
        let geometries = try Self.cases.map { try $0.geometry() }
        #expect(geometries[3].blocks.count > 1 && geometries[0].blocks.count == 1 && geometries[0].blocks[0].samples == 3)
        #expect(geometries.filter(\.tapsAreShiftedPlanes).count == 11)
        #expect(geometries.indices.filter { geometries[$0].isThreeByThreeOnEightWidePlanes } == [19, 20])
        #expect(geometries.indices.filter { geometries[$0].isUnpaddedThreeByThreeStrideTwo } == [1, 4, 5, 17, 18, 21, 22, 23])
        #expect(geometries[1].outWidth == Vector8.lanes && geometries[5].outWidth != Vector8.lanes)
        // Backward data's product writes pixel-major columns into 17² up to 256 columns (cases 1, 21–23), channel-major wider;
        // case 22 through OpenBLAS, the others through the skinny GEMM.
        #expect(geometries.indices.filter { geometries[$0].readsPixelMajorColumns } == [1, 21, 22, 23])
        for index in [1, 21, 22, 23] {
            let g = geometries[index], columns = g.backwardDataBlocks[0].columns(g)
            #expect(SkinnyGemm.suits(transposeA: true, transposeB: false, m: columns, n: g.patch, k: g.outPerGroup) == (index != 22))
        }
        let widest = geometries[21], block = widest.backwardDataBlocks[0]
        #expect(widest.backwardDataBlocks.count == 1 && block.columns(widest) == 256)
        #expect(widest.backwardDataColumnLayout(columns: 256) == .pixelMajor && widest.backwardDataColumnLayout(columns: 320) == .channelMajor)
        #expect(ConvolutionAlgorithm.largestPixelMajorUpsamplingBatch == 4)
        #expect(ConvKernels.col2imBandChannels(widest, columns: 256) == 229)
        #expect(geometries[14].isPointwise && geometries[14].backwardDataBlocks.count == 1)
        let empty = try ConvGeometry(op: "test", input: [1, 0, 4, 4], weight: [2, 0, 3, 3], options: ConvOptions(padding: 1))
        #expect(ConvKernels.col2imBandChannels(empty, columns: 16) == 1)
    }

    @Test func backwardDataMatchesTheDefinition() throws {
        for (index, c) in Self.cases.enumerated() {
            let g = try c.geometry()
            let gy = G.random(g.outputShape, seed: UInt32(90 + index)), weight = G.random(g.weightShape, scale: 0.3, seed: UInt32(100 + index))
            let output = Tensor(uninitializedShape: g.inputShape)
            ConvKernels.backwardData(g, gradOutput: gy.pointer, weight: weight.pointer, output: output.pointer, algorithm: .im2col)
            #expect(ForwardTests.maxDifference(output.scalars, convTransposeDefinition(gy, weight, g)) < 1e-4, "\(c)")
        }
    }

    /// The weight gradient from a NaN-filled output: the first block's products overwrite it, the others add onto it.
    @Test func weightGradientMatchesTheDefinition() throws {
        for (index, c) in Self.cases.enumerated() {
            let g = try c.geometry()
            let x = G.random(g.inputShape, seed: UInt32(140 + index)), gy = G.random(g.outputShape, seed: UInt32(150 + index))
            let output = Tensor(uninitializedShape: g.weightShape)
            output.pointer.update(repeating: .nan, count: g.outChannels * g.patch)
            ConvKernels.weightGrad(g, input: x.pointer, gradOutput: gy.pointer, output: output.pointer, algorithm: .im2col)
            let expected = weightGradientDefinition(g, x.scalars, gy.scalars)
            let scale = max(1, expected.map(abs).max() ?? 0)
            #expect(ForwardTests.maxDifference(output.scalars, expected) / scale < 1e-5, "\(c)")
        }
    }

    private func weightGradientDefinition(_ g: ConvGeometry, _ x: [Float], _ gy: [Float]) -> [Double] {
        var out = [Double](repeating: 0, count: g.outChannels * g.patch)
        for n in 0..<g.batch { for o in 0..<g.outChannels { for oy in 0..<g.outHeight { for ox in 0..<g.outWidth {
            let group = o / g.outPerGroup
            let value = Double(gy[((n * g.outChannels + o) * g.outHeight + oy) * g.outWidth + ox])
            for ic in 0..<g.inPerGroup { for i in 0..<g.kernelHeight { for j in 0..<g.kernelWidth {
                let iy = oy * g.stride + i - g.padHeight, ix = ox * g.stride + j - g.padWidth
                guard iy >= 0, iy < g.inHeight, ix >= 0, ix < g.inWidth else { continue }
                let channel = n * g.inChannels + group * g.inPerGroup + ic
                out[((o * g.inPerGroup + ic) * g.kernelHeight + i) * g.kernelWidth + j] += value * Double(x[(channel * g.inHeight + iy) * g.inWidth + ix])
            } } }
        } } } }
        return out
    }

    /// The gather adds a pixel's taps in the scatter's order: bit for bit onto zeros where one block covers the image,
    /// within a rounding where bands of rows add onto each other or the image held values already. Called in bands of
    /// channels as backwardData calls it.
    @Test func col2imAddsAsTheTapByTapScatter() throws {
        for (index, c) in Self.cases.enumerated() {
            let g = try c.geometry()
            let count = g.batch * g.inChannels * g.inPlane
            for initial in [[Float](repeating: 0, count: count), G.random([count], seed: UInt32(120 + index)).scalars] {
                var gathered = initial, scattered = initial, pixelMajor = initial
                for block in g.backwardDataBlocks {
                    let columns = block.columns(g), band = ConvKernels.col2imBandChannels(g, columns: columns)
                    for group in 0..<g.groups {
                        let cols = G.random([g.patch, columns], seed: UInt32(110 + index)).scalars
                        gather(g, block, group, cols, into: &gathered, band: band)
                        scatter(g, block, group, cols, into: &scattered)
                        if g.readsPixelMajorColumns { gather(g, block, group, cols, into: &pixelMajor, band: band, layout: .pixelMajor) }
                    }
                }
                // The same columns transposed: the same sums in the same order.
                if g.readsPixelMajorColumns {
                    #expect(mismatch(pixelMajor.map(\.bitPattern), gathered.map(\.bitPattern)) == nil, "\(c), pixel-major")
                }
                if g.backwardDataBlocks.count == 1 && initial.allSatisfy({ $0 == 0 }) {
                    #expect(mismatch(gathered.map(\.bitPattern), scattered.map(\.bitPattern)) == nil, "\(c)")
                    #expect(mismatch(overwritten(g, seed: UInt32(110 + index)).map(\.bitPattern), scattered.map(\.bitPattern)) == nil, "\(c), overwriting")
                } else {
                    #expect(maxDifferences(gathered, scattered).relative < 1e-6, "\(c), \(initial[0] == 0 ? "onto zeros" : "onto values")")
                }
            }
        }
    }

    /// The paths written for whole samples (8-wide planes, stride 2 with and without vectors) on a block of the last
    /// sample's rows that leaves output rows out above and below: im2col bit for bit against its definition, col2im onto
    /// zeros bit for bit against the scatter.
    @Test func partialBlocksOfTheStyleGANGeometries() throws {
        for index in [1, 17, 19, 20, 21] {
            let g = try Self.cases[index].geometry()
            let block = ConvGeometry.Block(sample: g.batch - 1, samples: 1, rowStart: 1, rows: g.outHeight - 2)
            let columns = block.columns(g)
            let x = G.random(g.inputShape, seed: UInt32(160 + index)).scalars
            for group in 0..<g.groups {
                #expect(mismatch(im2col(g, block, group, x).map(\.bitPattern), im2colDefinition(g, block, group, x).map(\.bitPattern)) == nil,
                        "\(Self.cases[index])")
                let source = G.random([g.patch, columns], seed: UInt32(170 + index)).scalars
                var gathered = [Float](repeating: 0, count: g.batch * g.inChannels * g.inPlane), scattered = gathered
                gather(g, block, group, source, into: &gathered, band: g.inPerGroup)
                scatter(g, block, group, source, into: &scattered)
                #expect(mismatch(gathered.map(\.bitPattern), scattered.map(\.bitPattern)) == nil, "\(Self.cases[index])")
                if g.readsPixelMajorColumns {
                    var pixelMajor = [Float](repeating: 0, count: gathered.count)
                    gather(g, block, group, source, into: &pixelMajor, band: 2, layout: .pixelMajor)
                    #expect(mismatch(pixelMajor.map(\.bitPattern), scattered.map(\.bitPattern)) == nil, "\(Self.cases[index]), pixel-major")
                }
            }
        }
    }

    /// col2im overwriting a NaN-filled image with the one block's columns (of `seed`), as backwardData calls it.
    private func overwritten(_ g: ConvGeometry, seed: UInt32) -> [Float] {
        var image = [Float](repeating: .nan, count: g.batch * g.inChannels * g.inPlane)
        let block = g.backwardDataBlocks[0], columns = block.columns(g)
        for group in 0..<g.groups {
            let cols = G.random([g.patch, columns], seed: seed).scalars
            gather(g, block, group, cols, into: &image, band: ConvKernels.col2imBandChannels(g, columns: columns), overwriting: true)
        }
        return image
    }

    /// ConvKernels.col2im of one block and group, `cols` holding every channel's rows (channel-major), called in bands of
    /// `band` channels, each band's rows handed over in `layout` (transposed for `.pixelMajor`, as backwardData's product
    /// writes them).
    private func gather(_ g: ConvGeometry, _ block: ConvGeometry.Block, _ group: Int, _ cols: [Float], into image: inout [Float],
                        band: Int, overwriting: Bool = false, layout: ColumnLayout = .channelMajor) {
        let columns = block.columns(g)
        for first in stride(from: 0, to: g.inPerGroup, by: band) {
            let channels = first..<min(g.inPerGroup, first + band), rows = channels.count * g.kernelArea
            let bandRows = Array(cols[(first * g.kernelArea * columns)..<((first * g.kernelArea + rows) * columns)])
            let handed = layout == .channelMajor ? bandRows : (0..<(rows * columns)).map { bandRows[($0 % rows) * columns + $0 / rows] }
            handed.withUnsafeBufferPointer { source in
                image.withUnsafeMutableBufferPointer {
                    ConvKernels.col2im(g, block, group, channels: channels, columns: source.baseAddress!, layout: layout,
                                       into: $0.baseAddress!, overwriting: overwriting)
                }
            }
        }
    }

    /// The scatter col2im replaced: tap by tap, each column entry added to its pixel.
    private func scatter(_ g: ConvGeometry, _ block: ConvGeometry.Block, _ group: Int, _ cols: [Float], into image: inout [Float]) {
        let columns = block.columns(g)
        for s in 0..<block.samples { for ic in 0..<g.inPerGroup { for k in 0..<g.kernelArea {
            let (i, j) = (k / g.kernelWidth, k % g.kernelWidth)
            for row in 0..<block.rows { for ox in 0..<g.outWidth {
                let iy: Int = (block.rowStart + row) * g.stride + i - g.padHeight
                let ix: Int = ox * g.stride + j - g.padWidth
                guard iy >= 0, iy < g.inHeight, ix >= 0, ix < g.inWidth else { continue }
                let channel: Int = (block.sample + s) * g.inChannels + group * g.inPerGroup + ic
                let column: Int = (s * block.rows + row) * g.outWidth + ox
                image[channel * g.inPlane + iy * g.inWidth + ix] += cols[(ic * g.kernelArea + k) * columns + column]
            } }
        } } }
    }
}

/// conv_transpose2d from its definition, in doubles: every value of gy (the geometry's output space) times every tap,
/// added at the input-space pixel it came from.
func convTransposeDefinition(_ gy: Tensor, _ weight: Tensor, _ g: ConvGeometry) -> [Double] {
    let ys = gy.scalars, ws = weight.scalars
    var out = [Double](repeating: 0, count: g.batch * g.inChannels * g.inPlane)
    for n in 0..<g.batch { for o in 0..<g.outChannels { for oy in 0..<g.outHeight { for ox in 0..<g.outWidth {
        let group = o / g.outPerGroup
        let value = Double(ys[((n * g.outChannels + o) * g.outHeight + oy) * g.outWidth + ox])
        for ic in 0..<g.inPerGroup { for i in 0..<g.kernelHeight { for j in 0..<g.kernelWidth {
            let iy: Int = oy * g.stride + i - g.padHeight
            let ix: Int = ox * g.stride + j - g.padWidth
            guard iy >= 0, iy < g.inHeight, ix >= 0, ix < g.inWidth else { continue }
            let tap: Int = ((o * g.inPerGroup + ic) * g.kernelHeight + i) * g.kernelWidth + j
            let channel: Int = n * g.inChannels + group * g.inPerGroup + ic
            out[(channel * g.inHeight + iy) * g.inWidth + ix] += value * Double(ws[tap])
        } } }
    } } } }
    return out
}
