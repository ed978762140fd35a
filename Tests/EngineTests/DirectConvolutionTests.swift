@testable import Engine
import Foundation
import TestSupport
import Testing

/// The direct 3×3 kernels (docs/engine-kernels.md "Direct convolution") against double-precision loops and
/// against the im2col path they replace, on shapes that leave partial channel tiles (6 output channels per
/// tile, 3 for the weight gradient), partial pixel tiles (widths 16, 48, 80 against 64-pixel AVX-512 tiles),
/// several bands of rows, groups and batches.
@Suite struct DirectConvolutionTests {
    typealias G = GradCheck

    /// (batch, groups, in channels, out channels, height, width)
    static let shapes: [(Int, Int, Int, Int, Int, Int)] = [
        (1, 1, 3, 7, 5, 16), (2, 1, 5, 13, 9, 48), (2, 2, 8, 14, 7, 80), (1, 1, 32, 7, 12, 512),
    ]

    @Test func everyShapeTakesTheDirectPathAndSplitsAsIntended() throws {
        for (n, groups, c, o, h, w) in Self.shapes {
            #expect(DirectConvolution.suits(try geometry(n, groups, c, o, h, w)))
        }
        // 32 channels of 512 pixels in 512 KiB: bands of 5 rows, so 12 rows take three bands; in 256 KiB, of 1 row.
        #expect(DirectConvolution.bandRows(inChannels: 32, paddedWidth: 514, rows: 12, scratchRows: .padded, budgetBytes: 512 << 10) == 5)
        #expect(DirectConvolution.bandRows(inChannels: 32, paddedWidth: 514, rows: 12, scratchRows: .padded, budgetBytes: 256 << 10) == 1)
        #expect(DirectConvolution.bandRows(inChannels: 32, paddedWidth: 514, rows: 12, scratchRows: .split, budgetBytes: 512 << 10) == 3)
        #expect(DirectConvolution.bandBudgetBytes == (CPUCache.level2Bytes ?? 1 << 20) / 2)
        #expect(!DirectConvolution.suits(try ConvGeometry(op: "test", input: [1, 4, 8, 8], weight: [4, 4, 3, 3], options: ConvOptions(padding: 1))))
        #expect(!DirectConvolution.suits(try ConvGeometry(op: "test", input: [1, 4, 16, 16], weight: [4, 4, 3, 3], options: ConvOptions(stride: 2, padding: 1))))
    }

    @Test func forwardMatchesTheDefinition() throws {
        for (n, groups, c, o, h, w) in Self.shapes {
            let x = G.random([n, c, h, w], seed: 81), weight = G.random([o, c / groups, 3, 3], scale: 0.3, seed: 82)
            let g = try geometry(n, groups, c, o, h, w)
            let direct = run(count: n * o * h * w) { DirectConvolution.forward(g, input: x.pointer, weight: weight.pointer, output: $0) }
            let reference = ForwardTests.naiveConv2d(x, weight, stride: 1, padding: 1, groups: groups)
            #expect(ForwardTests.maxDifference(direct, reference) < 1e-4, "shape \((n, groups, c, o, h, w))")
            let accumulated = run(count: n * o * h * w, from: 1) {
                DirectConvolution.forward(g, input: x.pointer, weight: weight.pointer, output: $0, accumulate: true)
            }
            #expect(ForwardTests.maxDifference(accumulated, reference.map { $0 + 1 }) < 1e-4, "accumulated, shape \((n, groups, c, o, h, w))")
        }
    }

    @Test func backwardDataIsTheAdjointAndMatchesIm2col() throws {
        for (n, groups, c, o, h, w) in Self.shapes {
            let gy = G.random([n, o, h, w], seed: 83), weight = G.random([o, c / groups, 3, 3], scale: 0.3, seed: 84)
            let g = try geometry(n, groups, c, o, h, w)
            let direct = run(count: n * c * h * w) { DirectConvolution.backwardData(g, gradOutput: gy.pointer, weight: weight.pointer, output: $0) }
            let im2col = run(count: n * c * h * w) {
                ConvKernels.backwardData(g, gradOutput: gy.pointer, weight: weight.pointer, output: $0, algorithm: .im2col)
            }
            #expect(maxDifferences(direct, im2col).relative < 1e-5, "shape \((n, groups, c, o, h, w))")
            // ⟨conv(x), gy⟩ = ⟨x, convT(gy)⟩ in doubles.
            let x = G.random([n, c, h, w], seed: 85)
            let forward = ForwardTests.naiveConv2d(x, weight, stride: 1, padding: 1, groups: groups)
            let left = zip(forward, gy.scalars).reduce(0.0) { $0 + $1.0 * Double($1.1) }
            let right = zip(x.scalars, direct).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            #expect(abs(left - right) < 1e-4 * max(1, abs(left)))
        }
    }

    /// The generator's up-sampling: conv_transpose2d with stride 2, no padding, output 2H + 1, against the
    /// definition (every input pixel spreads its 3×3 weights onto the output at 2y + i, 2x + j): the direct kernel on
    /// widths a multiple of 16, Winograd over the output parities on every shape (odd sizes, a single pixel, partial
    /// last tiles and vectors), in its own bands and in bands of 3 parity rows (one row of tiles, so parity heights that
    /// are not a multiple of 3 end in a band of 1 or 2 rows; the shapes have both).
    @Test func upsamplingMatchesTheDefinition() throws {
        // 4 and 5 output channels leave the last 3-channel tile with 1 and 2 (the packing repeats the last weights).
        let cases = [(1, 1, 3, 7, 4, 16), (2, 2, 6, 10, 3, 48), (1, 1, 9, 5, 11, 80), (1, 1, 4, 7, 4, 16), (1, 1, 5, 6, 3, 32),
                     (1, 1, 3, 5, 1, 1), (2, 1, 4, 7, 5, 7), (1, 2, 6, 8, 6, 9), (1, 1, 13, 20, 4, 33), (1, 1, 40, 7, 2, 35)]
        for (n, groups, c, o, h, w) in cases {
            let shape = "shape \((n, groups, c, o, h, w))"
            // In the transposed convolution's terms: o input channels at h × w, c output channels at (2h+1) × (2w+1).
            let x = G.random([n, o, h, w], seed: 91), weight = G.random([o, c / groups, 3, 3], scale: 0.3, seed: 92)
            let g = try strideTwoGeometry(n, groups, c, o, h, w)
            #expect(DirectConvolution.isStrideTwoWithoutPadding(g), "\(shape)")
            #expect(DirectConvolution.suitsWinogradUpsampling(g) == (w >= 32), "\(shape)")
            #expect((DirectConvolution.Path(g, backwardData: true, algorithm: .auto) == .winograd) == (w >= 32), "\(shape)")
            let reference = convTransposeDefinition(x, weight, g)
            let count = n * c * (2 * h + 1) * (2 * w + 1)
            if DirectConvolution.suitsStrideTwo(g) {
                let direct = run(count: count) { DirectConvolution.backwardData(g, gradOutput: x.pointer, weight: weight.pointer, output: $0) }
                #expect(ForwardTests.maxDifference(direct, reference) < 1e-4, "direct, \(shape)")
            }
            for tilesPerBand in [nil, 1] {
                let winograd = run(count: count) {
                    DirectConvolution.backwardData(g, gradOutput: x.pointer, weight: weight.pointer, output: $0, winograd: true,
                                                   winogradTilesPerBand: tilesPerBand)
                }
                #expect(ForwardTests.maxDifference(winograd, reference) < 1e-4, "Winograd, \(tilesPerBand.map { "\($0) tile per band" } ?? "own bands"), \(shape)")
            }
        }
    }

    /// Band sizes: the largest that spreads the tasks' tile rows within 15 % of evenly over the threads.
    @Test func upsamplingBandsKeepEveryThreadBusy() {
        // One sample, 17 tile rows, at most 7 per band: 7, 7, 3 would give one thread 14; 5, 5, 5, 2 gives 10 and 7.
        #expect(DirectConvolution.balancedTileRows(17, atMost: 7, bandsPerRow: 1, threads: 2) == 5)
        // Four samples: whole planes split evenly already.
        #expect(DirectConvolution.balancedTileRows(9, atMost: 9, bandsPerRow: 4, threads: 2) == 9)
        // One tile row cannot be split; the limit is kept.
        #expect(DirectConvolution.balancedTileRows(1, atMost: 1, bandsPerRow: 1, threads: 8) == 1)
        #expect(DirectConvolution.balancedTileRows(9, atMost: 9, bandsPerRow: 1, threads: 1) == 9)
    }

    /// The three passes on planes 8 to 15 wide (StyleGAN2's 8² layers from batch 4, Inception's Mixed_7 3×3 at 8², batch 8),
    /// where each row of tiles fills part of a vector: against the definition and the adjoint, with padding 0, 1 and 2
    /// (backward data writes the larger plane), odd sizes, partial channel tiles and groups, the weight gradient in bands of
    /// several samples' planes; and which batches take the path.
    @Test func winogradServesNarrowPlanes() throws {
        // (batch, groups, in, out, input height, input width, padding)
        for (n, groups, c, o, h, w, padding) in [(8, 1, 12, 10, 8, 8, 1), (2, 2, 8, 6, 9, 11, 0), (4, 1, 5, 9, 15, 15, 1), (3, 1, 6, 7, 8, 9, 2)] {
            let shape = "shape \((n, groups, c, o, h, w)), padding \(padding)"
            let g = try ConvGeometry(op: "test", input: [n, c, h, w], weight: [o, c / groups, 3, 3], options: ConvOptions(padding: padding, groups: groups))
            let x = G.random([n, c, h, w], seed: 91), weight = G.random([o, c / groups, 3, 3], scale: 0.3, seed: 92)
            let forward = run(count: n * o * g.outPlane) { DirectConvolution.forward(g, input: x.pointer, weight: weight.pointer, output: $0, winograd: .two) }
            let reference = ForwardTests.naiveConv2d(x, weight, stride: 1, padding: padding, groups: groups)
            #expect(ForwardTests.maxDifference(forward, reference) < 1e-4, "forward, \(shape)")
            let gy = G.random([n, o, g.outHeight, g.outWidth], seed: 93)
            let data = run(count: n * c * g.inPlane) { DirectConvolution.backwardData(g, gradOutput: gy.pointer, weight: weight.pointer, output: $0, winograd: true) }
            let im2col = run(count: n * c * g.inPlane) { ConvKernels.backwardData(g, gradOutput: gy.pointer, weight: weight.pointer, output: $0, algorithm: .im2col) }
            #expect(maxDifferences(data, im2col).relative < 1e-5, "backward data, \(shape)")
            // ⟨conv(x), gy⟩ = ⟨x, convT(gy)⟩ in doubles.
            let left = zip(reference, gy.scalars).reduce(0.0) { $0 + $1.0 * Double($1.1) }
            let right = zip(x.scalars, data).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            #expect(abs(left - right) < 1e-4 * max(1, abs(left)), "adjoint, \(shape)")
            // The weight gradient's bands: whole planes of as many samples as its default tiles take (all of them here), of
            // 3 samples (the last band fewer where the batch is not a multiple of 3), and of one tile row.
            let planeTiles = DirectConvolution.winogradPlaneTiles(g.outHeight, g.outWidth)
            for tilesPerBand in [nil, 3 * planeTiles, 1] {
                let weightGradient = run(count: o * (c / groups) * 9, from: 5) {
                    DirectConvolution.weightGradient(g, input: x.pointer, gradOutput: gy.pointer, output: $0, winograd: true,
                                                     winogradTilesPerBand: tilesPerBand)
                }
                #expect(worstWeightGradientError(weightGradient, x, gy, g) < 1e-5, "weight gradient, \(shape), tiles per band \(String(describing: tilesPerBand))")
            }
        }
        // 8²: 16 tiles per sample, so Winograd from batch 4 (64 tiles) forward and in backward data, from batch 6 (96) in the
        // weight gradient.
        #expect(ConvolutionAlgorithm.smallestWinogradBatch(onPlanesOf: 8) == 4)
        typealias Path = DirectConvolution.Path
        for batch in [1, 3, 4, 5, 6, 8] {
            let g = try ConvGeometry(op: "test", input: [batch, 4, 8, 8], weight: [4, 4, 3, 3], options: ConvOptions(padding: 1))
            let expected: Path? = batch >= 4 ? .winograd : nil
            #expect(Path(g, backwardData: false, algorithm: .auto) == expected, "forward, batch \(batch)")
            #expect(Path(g, backwardData: true, algorithm: .auto) == expected, "backward data, batch \(batch)")
            #expect(Path(weightGradient: g, algorithm: .auto) == (batch >= 6 ? .winograd : nil), "weight gradient, batch \(batch)")
            #expect(Path(weightGradient: g, algorithm: .direct) == nil, "weight gradient, direct, batch \(batch)")
            for (algorithm, backwardData) in [(ConvolutionAlgorithm.direct, false), (.direct, true), (.im2col, false), (.im2col, true)] {
                #expect(Path(g, backwardData: backwardData, algorithm: algorithm) == nil, "\(algorithm), batch \(batch)")
            }
        }
        // Tile counts just under each threshold: 9 samples of 2 × 14 (7 tiles each, 63) and 19 of 2 × 10 (5 each, 95).
        let under64 = try ConvGeometry(op: "test", input: [9, 4, 2, 14], weight: [4, 4, 3, 3], options: ConvOptions(padding: 1))
        let under96 = try ConvGeometry(op: "test", input: [19, 4, 2, 10], weight: [4, 4, 3, 3], options: ConvOptions(padding: 1))
        #expect(Path(under64, backwardData: false, algorithm: .auto) == nil && Path(under64, backwardData: true, algorithm: .auto) == nil)
        #expect(Path(under96, backwardData: false, algorithm: .auto) == .winograd && Path(weightGradient: under96, algorithm: .auto) == nil)
        // Each pass counts the tiles of the plane it writes: without padding, 3 samples' 8² outputs are 48 tiles, and their
        // 10² inputs, which backward data writes, 75.
        let unpadded = try ConvGeometry(op: "test", input: [3, 4, 10, 10], weight: [4, 4, 3, 3], options: ConvOptions(padding: 0))
        #expect(DirectConvolution.suitsNarrowWinograd(unpadded, backwardData: true))
        #expect(!DirectConvolution.suitsNarrowWinograd(unpadded, backwardData: false))
    }

    /// Bands of several samples' whole planes, the threads splitting the output channels (`winogradBySamples`), give the
    /// bits of bands of rows of one sample: forward (overwriting and adding) and backward data, in bands of every sample
    /// and of about 3 and about 1 (the tiles of 3 and 1 planes of the larger of the two passes' planes, so with padding 0
    /// or 2 the smaller pass's bands hold more), against bands of one tile row; with groups, padding 0, 1 and 2, odd sizes
    /// and partial channel tiles; on every instruction set this CPU runs. There the threads pack U themselves
    /// (`SamplesWeights.packedByThreads`), here 1, 2 or 3 channel tiles at a time, so that with 30 and 31 channels each
    /// thread packs several times, pairs tiles within a pack, and packs a partial last tile. Which layers take them is
    /// `winogradSamplesPerBand`'s choice; `KeptTransformsTests` holds kept U, packed once, to the same bits.
    @Test func winogradBySamplesGivesTheBitsOfBandsOfRows() throws {
        // (batch, groups, in, out, input height, input width, padding)
        for (n, groups, c, o, h, w, padding) in [(8, 1, 12, 10, 8, 8, 1), (5, 2, 8, 14, 9, 11, 0), (4, 1, 5, 9, 15, 15, 1), (3, 1, 6, 7, 8, 9, 2),
                                                  (2, 1, 7, 19, 16, 16, 1), (2, 1, 30, 31, 8, 8, 1)] {
            let shape = "shape \((n, groups, c, o, h, w)), padding \(padding)"
            let g = try ConvGeometry(op: "test", input: [n, c, h, w], weight: [o, c / groups, 3, 3], options: ConvOptions(padding: padding, groups: groups))
            let x = G.random([n, c, h, w], seed: 94), weight = G.random([o, c / groups, 3, 3], scale: 0.3, seed: 95)
            let gy = G.random([n, o, g.outHeight, g.outWidth], seed: 96)
            func passes(tilesPerBand: Int?, _ set: KernelInstructionSet) -> [[Float]] {
                [run(count: n * o * g.outPlane) {
                    DirectConvolution.forward(g, input: x.pointer, weight: weight.pointer, output: $0, winograd: .two, winogradTilesPerBand: tilesPerBand,
                                              instructionSet: set)
                 },
                 run(count: n * o * g.outPlane, from: 0.5) {
                    DirectConvolution.forward(g, input: x.pointer, weight: weight.pointer, output: $0, accumulate: true, winograd: .two,
                                              winogradTilesPerBand: tilesPerBand, instructionSet: set)
                 },
                 run(count: n * c * g.inPlane) {
                    DirectConvolution.backwardData(g, gradOutput: gy.pointer, weight: weight.pointer, output: $0, winograd: true,
                                                   winogradTilesPerBand: tilesPerBand, instructionSet: set)
                 }]
            }
            let (forwardTiles, dataTiles) = (DirectConvolution.winogradPlaneTiles(g.outHeight, g.outWidth), DirectConvolution.winogradPlaneTiles(h, w))
            #expect(DirectConvolution.winogradSamplesPerBand(inChannels: c / groups, outChannels: o / groups, height: g.outHeight,
                                                             width: g.outWidth, batch: n, tilesPerBand: 2 * n * forwardTiles) == n, "\(shape)")
            #expect(DirectConvolution.winogradSamplesPerBand(inChannels: c, outChannels: o, height: g.outHeight, width: g.outWidth, batch: n,
                                                             tilesPerBand: forwardTiles - 1) == nil, "\(shape)")
            for set in KernelInstructionSet.supported {
                let rows = passes(tilesPerBand: 1, set)
                for tilesPerBand in [n * max(forwardTiles, dataTiles), 3 * max(forwardTiles, dataTiles), max(forwardTiles, dataTiles)] {
                    for tilesPerPack in 1...3 {
                        let bySamples = DirectConvolution.$tilesPerPackForTests.withValue(tilesPerPack) { passes(tilesPerBand: tilesPerBand, set) }
                        for (pass, (samples, byRows)) in zip(["forward", "accumulated forward", "backward data"], zip(bySamples, rows)) {
                            #expect(mismatch(samples.map(\.bitPattern), byRows.map(\.bitPattern)) == nil,
                                    "\(pass), \(shape), \(set), tiles per band \(tilesPerBand), per pack \(tilesPerPack)")
                        }
                    }
                }
            }
        }
        // One position of a sample's V against half the L2, at most the 512 KiB measured: 512 channels at 8² (32 KiB) take
        // bands of all 4 samples on every L2 from 256 KiB, 256 channels at 64² (1 MiB) bands of rows on every L2; and
        // only where U (16 floats per channel pair) does not fit the budget: tiny64's 64 channels (256 KiB) keep bands
        // of rows on L2s from 512 KiB.
        #expect(DirectConvolution.winogradSamplesPerBand(inChannels: 512, outChannels: 512, height: 8, width: 8, batch: 4, tilesPerBand: nil) == 4)
        #expect(DirectConvolution.winogradSamplesPerBand(inChannels: 256, outChannels: 256, height: 64, width: 64, batch: 4, tilesPerBand: nil) == nil)
        #expect(DirectConvolution.winogradSamplesPerBand(inChannels: 512, outChannels: 512, height: 32, width: 32, batch: 4, tilesPerBand: nil)
                == (DirectConvolution.bandBudgetBytes >= 512 << 10 ? 1 : nil))
        #expect(DirectConvolution.winogradSamplesPerBand(inChannels: 64, outChannels: 64, height: 16, width: 16, batch: 4, tilesPerBand: nil)
                == (DirectConvolution.bandBudgetBytes >= 256 << 10 ? nil : 4))
        // The threads' packs keep within the same budget, or hold one tile: 2 tiles of 6 channels at 512 (384 KiB) on a 1 MiB L2.
        for (inChannels, tileChannels) in [(512, 6), (64, 6), (1 << 20, 6)] {
            let tiles = DirectConvolution.winogradTilesPerPack(inChannels: inChannels, tileChannels: tileChannels)
            #expect(tiles == 1 || tiles * 4 * 16 * tileChannels * inChannels <= DirectConvolution.bandBudgetBytes, "\(inChannels) channels")
            #expect(tiles >= 1 && (tiles + 1) * 4 * 16 * tileChannels * inChannels > DirectConvolution.bandBudgetBytes, "\(inChannels) channels")
        }
    }

    /// Winograd F(2×2, 3×3): forward, accumulated forward, backward data and the weight gradient against the definition
    /// and the other paths, with partial channel tiles, groups, several bands (forward and backward data in one band of
    /// every sample's plane, and in bands of rows one tile fewer than the plane, so several tile rows and a shorter last
    /// band; the weight gradient with its own bands, one here, and with bands of 2 rows, so odd
    /// heights end in a 1-row band), odd widths and heights (a partial last tile column and row, the last vector of tile
    /// columns partial on every set) and padding 0, 1 and 2 (FID's Inception: 147², 71² without padding, 35²), down to the
    /// narrowest planes it serves (StyleGAN2's 16², 19 wide, and 18 → 16 wide without padding).
    @Test func winogradMatchesTheDefinition() throws {
        // (batch, groups, in, out, input height, input width, padding)
        let cases = [(1, 1, 3, 7, 4, 32, 1), (2, 2, 8, 14, 6, 64, 1), (1, 1, 40, 13, 6, 512, 1), (1, 1, 3, 7, 5, 33, 1),
                     (2, 1, 5, 13, 9, 37, 0), (1, 2, 8, 14, 12, 73, 0), (1, 1, 4, 6, 3, 40, 2), (1, 1, 200, 13, 11, 147, 1),
                     (2, 1, 6, 5, 35, 35, 1), (1, 1, 3, 5, 6, 34, 0), (2, 1, 6, 9, 16, 16, 1), (1, 1, 5, 4, 7, 19, 1),
                     (1, 2, 4, 6, 5, 18, 0)]
        for (n, groups, c, o, h, w, padding) in cases {
            let shape = "shape \((n, groups, c, o, h, w)), padding \(padding)"
            let g = try ConvGeometry(op: "test", input: [n, c, h, w], weight: [o, c / groups, 3, 3], options: ConvOptions(padding: padding, groups: groups))
            #expect(DirectConvolution.suitsWinograd(g), "\(shape)")
            #expect(DirectConvolution.Path(g, backwardData: false, algorithm: .auto) == .winograd, "\(shape)")
            #expect(DirectConvolution.Path(g, backwardData: true, algorithm: .auto) == .winograd, "\(shape)")
            let (outCount, inCount) = (n * o * g.outPlane, n * c * g.inPlane)
            let x = G.random([n, c, h, w], seed: 96), weight = G.random([o, c / groups, 3, 3], scale: 0.3, seed: 97)
            let reference = ForwardTests.naiveConv2d(x, weight, stride: 1, padding: padding, groups: groups)
            let gy = G.random([n, o, g.outHeight, g.outWidth], seed: 98)
            let im2col = run(count: inCount) { ConvKernels.backwardData(g, gradOutput: gy.pointer, weight: weight.pointer, output: $0, algorithm: .im2col) }
            // Each pass in one band of every sample's plane (`winogradBySamples`) and in bands of rows one tile fewer than the
            // plane it writes (several tile rows per band, the last band shorter).
            let rowsOf = { (height: Int, width: Int) in max(1, DirectConvolution.winogradPlaneTiles(height, width) - 1) }
            let samplesOf = { (height: Int, width: Int) in n * DirectConvolution.winogradPlaneTiles(height, width) }
            for bands in ["samples", "rows"] {
                let (forwardTiles, dataTiles) = bands == "rows" ? (rowsOf(g.outHeight, g.outWidth), rowsOf(h, w))
                    : (samplesOf(g.outHeight, g.outWidth), samplesOf(h, w))
                let forward = run(count: outCount) {
                    DirectConvolution.forward(g, input: x.pointer, weight: weight.pointer, output: $0, winograd: .two, winogradTilesPerBand: forwardTiles)
                }
                #expect(ForwardTests.maxDifference(forward, reference) < 1e-4, "forward, \(shape), \(bands) bands")
                let accumulated = run(count: outCount, from: 1) {
                    DirectConvolution.forward(g, input: x.pointer, weight: weight.pointer, output: $0, accumulate: true, winograd: .two,
                                              winogradTilesPerBand: forwardTiles)
                }
                #expect(ForwardTests.maxDifference(accumulated, reference.map { $0 + 1 }) < 1e-4, "accumulated, \(shape), \(bands) bands")
                let data = run(count: inCount) {
                    DirectConvolution.backwardData(g, gradOutput: gy.pointer, weight: weight.pointer, output: $0, winograd: true,
                                                   winogradTilesPerBand: dataTiles)
                }
                #expect(maxDifferences(data, im2col).relative < 1e-5, "backward data, \(shape), \(bands) bands")
                // ⟨conv(x), gy⟩ = ⟨x, convT(gy)⟩ in doubles.
                let left = zip(reference, gy.scalars).reduce(0.0) { $0 + $1.0 * Double($1.1) }
                let right = zip(x.scalars, data).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                #expect(abs(left - right) < 1e-4 * max(1, abs(left)), "adjoint, \(shape), \(bands) bands")
            }
            #expect(DirectConvolution.Path(weightGradient: g, algorithm: .auto) == .winograd, "\(shape)")
            for tilesPerBand in [nil, 1] {
                let weightGradient = run(count: o * (c / groups) * 9, from: 5) {
                    DirectConvolution.weightGradient(g, input: x.pointer, gradOutput: gy.pointer, output: $0, winograd: true,
                                                     winogradTilesPerBand: tilesPerBand)
                }
                #expect(worstWeightGradientError(weightGradient, x, gy, g) < 1e-5, "weight gradient, \(shape), tiles per band \(String(describing: tilesPerBand))")
            }
        }
        // Planes under 16 wide keep im2col but at large enough batches (`winogradServesNarrowPlanes`), planes under 8 wide
        // always; unequal paddings and other strides never take Winograd.
        #expect(!DirectConvolution.suitsWinograd(try geometry(1, 1, 4, 4, 8, 8)))
        #expect(DirectConvolution.Path(try geometry(64, 1, 4, 4, 7, 7), backwardData: false, algorithm: .auto) == nil)
        #expect(DirectConvolution.Path(try geometry(1, 1, 4, 4, 16, 16), backwardData: false, algorithm: .direct) == .direct)
        #expect(!DirectConvolution.suitsWinograd(try ConvGeometry(op: "test", input: [1, 4, 40, 40], weight: [4, 4, 3, 3],
                                                                   options: ConvOptions(stride: 1, padding: (1, 0)))))
        #expect(!DirectConvolution.suitsWinograd(try ConvGeometry(op: "test", input: [1, 4, 40, 40], weight: [4, 4, 3, 3],
                                                                   options: ConvOptions(stride: 2, padding: 1))))
        #expect(DirectConvolution.Path(try geometry(1, 1, 4, 4, 12, 64), backwardData: false, algorithm: .direct) == .direct)
        #expect(DirectConvolution.Path(try ConvGeometry(op: "test", input: [1, 4, 35, 35], weight: [4, 4, 3, 3], options: ConvOptions(padding: 1)),
                                       backwardData: false, algorithm: .direct) == nil)
    }

    /// The discriminator's down-sampling: conv2d with stride 2, no padding, from (2H + 1)² to H² (the same geometry forward),
    /// against the definition: the direct kernel on widths a multiple of 16, Winograd over the input's parities on every
    /// shape (odd sizes, a single pixel, partial last tiles and vectors), in its own bands and in bands of 2 output rows
    /// (one row of tiles per band, so odd heights end in a 1-row band), overwriting and adding.
    @Test func downsamplingMatchesTheDefinition() throws {
        // The up-sampling test's shapes; 7 output channels leave the last 6-channel tile with 1.
        let cases = [(1, 1, 3, 7, 4, 16), (2, 2, 6, 10, 3, 48), (1, 1, 9, 5, 11, 80), (1, 1, 4, 7, 4, 16), (1, 1, 5, 6, 3, 32),
                     (1, 1, 3, 5, 1, 1), (2, 1, 4, 7, 5, 7), (1, 2, 6, 8, 6, 9), (1, 1, 13, 20, 4, 33), (1, 1, 40, 7, 2, 35)]
        for (n, groups, c, o, h, w) in cases {
            let shape = "shape \((n, groups, c, o, h, w))"
            let x = G.random([n, c, 2 * h + 1, 2 * w + 1], seed: 93), weight = G.random([o, c / groups, 3, 3], scale: 0.3, seed: 94)
            let g = try strideTwoGeometry(n, groups, c, o, h, w)
            #expect(g.outputShape == [n, o, h, w] && DirectConvolution.suitsStrideTwo(g) == (w % 16 == 0), "\(shape)")
            #expect(DirectConvolution.suitsWinogradDownsampling(g) == (w >= 16), "\(shape)")
            #expect((DirectConvolution.Path(g, backwardData: false, algorithm: .auto) == .winograd) == (w >= 16), "\(shape)")
            let reference = ForwardTests.naiveConv2d(x, weight, stride: 2, padding: 0, groups: groups)
            if DirectConvolution.suitsStrideTwo(g) {
                let direct = run(count: n * o * h * w) { DirectConvolution.forward(g, input: x.pointer, weight: weight.pointer, output: $0) }
                #expect(ForwardTests.maxDifference(direct, reference) < 1e-4, "direct, \(shape)")
            }
            for tilesPerBand in [nil, 1] {
                let bands = tilesPerBand.map { "\($0) tile per band" } ?? "own bands"
                let winograd = run(count: n * o * h * w) {
                    DirectConvolution.forward(g, input: x.pointer, weight: weight.pointer, output: $0, winograd: .two, winogradTilesPerBand: tilesPerBand)
                }
                #expect(ForwardTests.maxDifference(winograd, reference) < 1e-4, "Winograd, \(bands), \(shape)")
                let accumulated = run(count: n * o * h * w, from: 1) {
                    DirectConvolution.forward(g, input: x.pointer, weight: weight.pointer, output: $0, accumulate: true, winograd: .two,
                                              winogradTilesPerBand: tilesPerBand)
                }
                #expect(ForwardTests.maxDifference(accumulated, reference.map { $0 + 1 }) < 1e-4, "Winograd accumulated, \(bands), \(shape)")
            }
        }
    }

    @Test func weightGradientMatchesTheDefinition() throws {
        for (n, groups, c, o, h, w) in Self.shapes {
            let x = G.random([n, c, h, w], seed: 86), gy = G.random([n, o, h, w], seed: 87)
            let g = try geometry(n, groups, c, o, h, w)
            let direct = run(count: o * (c / groups) * 9, from: 5) {
                DirectConvolution.weightGradient(g, input: x.pointer, gradOutput: gy.pointer, output: $0)
            }
            #expect(worstWeightGradientError(direct, x, gy, g) < 1e-5, "shape \((n, groups, c, o, h, w))")
        }
    }

    /// The largest error of a weight gradient against its double-precision definition, relative to the sum of the
    /// magnitudes of each element's terms.
    private func worstWeightGradientError(_ gradient: [Float], _ x: Tensor, _ gy: Tensor, _ g: ConvGeometry) -> Double {
        let (xs, gys) = (x.scalars, gy.scalars)
        let (cg, og) = (g.inPerGroup, g.outPerGroup)
        var worst = 0.0
        for oc in 0..<g.outChannels { for ic in 0..<cg { for i in 0..<3 { for j in 0..<3 {
            var total = 0.0, magnitude = 0.0
            let group = oc / og
            for b in 0..<g.batch { for y in 0..<g.outHeight { for xx in 0..<g.outWidth {
                let iy = y + i - g.padHeight, ix = xx + j - g.padWidth
                guard iy >= 0, iy < g.inHeight, ix >= 0, ix < g.inWidth else { continue }
                let term = Double(gys[((b * g.outChannels + oc) * g.outHeight + y) * g.outWidth + xx])
                    * Double(xs[((b * g.inChannels + group * cg + ic) * g.inHeight + iy) * g.inWidth + ix])
                total += term
                magnitude += abs(term)
            } } }
            worst = max(worst, abs(Double(gradient[((oc * cg + ic) * 3 + i) * 3 + j]) - total) / max(1, magnitude))
        } } } }
        return worst
    }

    /// Forward and backward data form every element as one chain of multiply-adds in (c, i, j) order, so sets that
    /// fuse alike agree bit for bit; x86-64's baseline rounds its products and may differ by the chains' error bound.
    @Test func instructionSetsAgree() throws {
        let (n, groups, c, o, h, w) = (2, 2, 8, 14, 7, 80)
        let x = G.random([n, c, h, w], seed: 88), weight = G.random([o, c / groups, 3, 3], scale: 0.3, seed: 89)
        let gy = G.random([n, o, h, w], seed: 90)
        let g = try geometry(n, groups, c, o, h, w)
        func results(_ set: KernelInstructionSet) -> (forward: [Float], data: [Float], weight: [Float]) {
            (run(count: n * o * h * w) { DirectConvolution.forward(g, input: x.pointer, weight: weight.pointer, output: $0, instructionSet: set) },
             run(count: n * c * h * w) { DirectConvolution.backwardData(g, gradOutput: gy.pointer, weight: weight.pointer, output: $0, instructionSet: set) },
             run(count: o * (c / groups) * 9) { DirectConvolution.weightGradient(g, input: x.pointer, gradOutput: gy.pointer, output: $0, instructionSet: set) })
        }
        let up = try strideTwoGeometry(n, groups, c, o, h, w)
        func upsampled(_ set: KernelInstructionSet, winograd: Bool = false) -> [Float] {
            run(count: n * c * (2 * h + 1) * (2 * w + 1)) {
                DirectConvolution.backwardData(up, gradOutput: gy.pointer, weight: weight.pointer, output: $0, winograd: winograd, instructionSet: set)
            }
        }
        let large = G.random([n, c, 2 * h + 1, 2 * w + 1], seed: 95)
        func downsampled(_ set: KernelInstructionSet, winograd: DirectConvolution.WinogradTile? = nil) -> [Float] {
            run(count: n * o * h * w) {
                DirectConvolution.forward(up, input: large.pointer, weight: weight.pointer, output: $0, winograd: winograd, instructionSet: set)
            }
        }
        // Whole vectors of tile columns, (no padding, 9 × 37 → 7 × 35) partial ones, and the narrowest plane Winograd
        // serves (16 wide: half a 16-lane vector of tile columns).
        let wide = try geometry(1, 2, 8, 14, 6, 64), wideInput = G.random([1, 8, 6, 64], seed: 99)
        let narrow = try geometry(2, 2, 8, 14, 16, 16), narrowInput = G.random([2, 8, 16, 16], seed: 102)
        let odd = try ConvGeometry(op: "test", input: [1, 8, 9, 37], weight: [14, 4, 3, 3], options: ConvOptions(padding: 0, groups: 2))
        let oddInput = G.random([1, 8, 9, 37], seed: 100)
        let oddGradient = G.random([1, 14, 7, 35], seed: 101)
        // Each in bands of every sample's plane and in bands of one tile row.
        func winograd(_ set: KernelInstructionSet) -> [Float] {
            [1 << 20, 1].flatMap { (tiles: Int) in
                run(count: 14 * 6 * 64) {
                    DirectConvolution.forward(wide, input: wideInput.pointer, weight: weight.pointer, output: $0, winograd: .two,
                                              winogradTilesPerBand: tiles, instructionSet: set)
                } + run(count: 14 * 7 * 35) {
                    DirectConvolution.forward(odd, input: oddInput.pointer, weight: weight.pointer, output: $0, winograd: .two,
                                              winogradTilesPerBand: tiles, instructionSet: set)
                } + run(count: 2 * 14 * 16 * 16) {
                    DirectConvolution.forward(narrow, input: narrowInput.pointer, weight: weight.pointer, output: $0, winograd: .two,
                                              winogradTilesPerBand: tiles, instructionSet: set)
                }
            }
        }
        // The Winograd weight gradient's transforms have no multiply-add, so every set's transforms round alike (its
        // products are the engine's GEMM, the same whichever set the transforms use); on a narrow plane in one band of 5
        // samples, each sample's last tile row a partial vector that spills onto the next sample's tiles.
        let samples = try ConvGeometry(op: "test", input: [5, 8, 9, 11], weight: [14, 4, 3, 3], options: ConvOptions(padding: 1, groups: 2))
        let samplesInput = G.random([5, 8, 9, 11], seed: 103), samplesGradient = G.random([5, 14, 9, 11], seed: 104)
        func winogradWeightGradient(_ set: KernelInstructionSet) -> [Float] {
            run(count: 14 * 4 * 9) {
                DirectConvolution.weightGradient(odd, input: oddInput.pointer, gradOutput: oddGradient.pointer, output: $0, winograd: true, instructionSet: set)
            } + run(count: 14 * 4 * 9) {
                DirectConvolution.weightGradient(samples, input: samplesInput.pointer, gradOutput: samplesGradient.pointer, output: $0, winograd: true,
                                                 instructionSet: set)
            }
        }
        let names = ["forward", "backward data", "up-sampling", "down-sampling", "Winograd", "Winograd up-sampling", "Winograd down-sampling"]
        func passes(_ set: KernelInstructionSet, _ direct: (forward: [Float], data: [Float], weight: [Float])) -> [[Float]] {
            [direct.forward, direct.data, upsampled(set), downsampled(set), winograd(set), upsampled(set, winograd: true),
             downsampled(set, winograd: .two)]
        }
        let reference = results(.baseline), referencePasses = passes(.baseline, reference)
        let referenceWinogradWeightGradient = winogradWeightGradient(.baseline)
        // Where the baseline does not fuse, the sets that do are held to the bound against it, and to the bit against each
        // other: 8 lanes or 16 (AVX2 and AVX-512, or avx2x16 on a machine without AVX-512), every element is one chain.
        var fused: [(set: KernelInstructionSet, passes: [[Float]], weight: [Float])] = []
        for set in KernelInstructionSet.supported where set != .baseline {
            let other = results(set), otherPasses = passes(set, other)
            if set.kernels.fuses_products == KernelInstructionSet.baseline.kernels.fuses_products {
                for (name, (value, expected)) in zip(names, zip(otherPasses, referencePasses)) {
                    #expect(mismatch(value.map(\.bitPattern), expected.map(\.bitPattern)) == nil, "\(set.rawValue) \(name)")
                }
            } else {
                for (name, (value, expected)) in zip(names, zip(otherPasses, referencePasses)) {
                    #expect(maxDifferences(value, expected).relative < 1e-5, "\(set.rawValue) \(name)")
                }
                if let first = fused.first {
                    for (name, (value, expected)) in zip(names, zip(otherPasses, first.passes)) {
                        #expect(mismatch(value.map(\.bitPattern), expected.map(\.bitPattern)) == nil, "\(set.rawValue) against \(first.set.rawValue), \(name)")
                    }
                }
                // The direct weight gradient's lane-partial sums follow the lanes, so there only sets of as many lanes agree
                // (AVX-512 and avx2x16 on an AVX-512 machine).
                for earlier in fused where earlier.set.vectorFloats == set.vectorFloats {
                    #expect(mismatch(other.weight.map(\.bitPattern), earlier.weight.map(\.bitPattern)) == nil,
                            "\(set.rawValue) against \(earlier.set.rawValue), weight gradient")
                }
                fused.append((set, otherPasses, other.weight))
            }
            #expect(winogradWeightGradient(set).map(\.bitPattern) == referenceWinogradWeightGradient.map(\.bitPattern), "\(set.rawValue) Winograd weight gradient")
            // Lane-partial sums differ in order between 8- and 16-lane sets.
            #expect(maxDifferences(other.weight, reference.weight).relative < 1e-5, "\(set.rawValue) weight gradient")
        }
    }

    @Test func theAlgorithmComesFromTheEnvironment() throws {
        #expect(try ConvolutionAlgorithm.fromEnvironment([:]) == .auto)
        #expect(try ConvolutionAlgorithm.fromEnvironment([ConvolutionAlgorithm.environmentVariable: "IM2COL"]) == .im2col)
        #expect(try ConvolutionAlgorithm.fromEnvironment([ConvolutionAlgorithm.environmentVariable: "direct"]) == .direct)
        let refused = #expect(throws: EngineError.self) { try ConvolutionAlgorithm.fromEnvironment([ConvolutionAlgorithm.environmentVariable: "fft"]) }
        #expect(refused?.message.contains("unknown convolution algorithm 'fft'; use one of auto, direct, im2col") == true)
    }

    /// `using` routes the convolutions inside it (bench kernels --against): conv2d then gives the named path's bits.
    @Test func aScopedAlgorithmRoutesTheConvolutionsInside() throws {
        let x = G.random([1, 4, 16, 16], seed: 85), weight = G.random([5, 4, 3, 3], scale: 0.3, seed: 86)
        let g = try geometry(1, 1, 4, 5, 16, 16)
        func path(_ algorithm: ConvolutionAlgorithm) -> [Float] {
            run(count: 5 * 256) { ConvKernels.forward(g, input: x.pointer, weight: weight.pointer, output: $0, algorithm: algorithm) }
        }
        #expect(path(.auto) != path(.im2col), "Winograd and im2col round differently here, so the check below can tell them apart")
        let scoped = try ConvolutionAlgorithm.using(.im2col) {
            #expect(ConvolutionAlgorithm.current == .im2col)
            #expect(ConvolutionAlgorithm.using(.direct) { ConvolutionAlgorithm.current } == .direct)
            #expect(ConvolutionAlgorithm.current == .im2col)
            return try Tensor.conv2d(x, weight, ConvOptions(padding: 1)).scalars
        }
        #expect(scoped == path(.im2col))
        #expect(ConvolutionAlgorithm.current == ConvolutionAlgorithm.active)
        #expect(try mismatch(Tensor.conv2d(x, weight, ConvOptions(padding: 1)).scalars, path(.active)) == nil)
    }

    private func geometry(_ n: Int, _ groups: Int, _ c: Int, _ o: Int, _ h: Int, _ w: Int) throws -> ConvGeometry {
        try ConvGeometry(op: "test", input: [n, c, h, w], weight: [o, c / groups, 3, 3], options: ConvOptions(padding: 1, groups: groups))
    }

    /// The down-sampling's geometry (the up-sampling's, transposed): 3×3, stride 2, no padding, from (2h + 1) × (2w + 1)
    /// inputs with c channels to h × w outputs with o.
    func strideTwoGeometry(_ n: Int, _ groups: Int, _ c: Int, _ o: Int, _ h: Int, _ w: Int) throws -> ConvGeometry {
        try ConvGeometry(op: "test", input: [n, c, 2 * h + 1, 2 * w + 1], weight: [o, c / groups, 3, 3],
                         options: ConvOptions(stride: 2, padding: 0, groups: groups))
    }

    func run(count: Int, from initial: Float = .nan, _ body: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        var values = [Float](repeating: initial, count: count)
        values.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
        return values
    }
}
