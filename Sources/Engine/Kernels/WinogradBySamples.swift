import CKernels

extension DirectConvolution {
    /// Where `winogradBySamples` takes U, the transformed weights, from.
    enum SamplesWeights {
        /// Every group's U, packed before the products (a kept transform, made once).
        case packed(TensorStorage)
        /// Packed by each thread `tilesPerPack` channel tiles at a time, just before their products, so that U goes from the
        /// thread's L2 to its products and never to memory: `pack(group, channels, into)` writes U of those output channels
        /// only, laid out as a whole pack of them.
        case packedByThreads(tilesPerPack: Int, pack: (Int, Range<Int>, UnsafeMutablePointer<Float>) -> Void)
    }

    /// The F(2×2, 3×3) forward or backward-data pass where one position of a sample's transformed input fits half the L2
    /// (`winogradSamplesPerBand`: 512 channels up to 32², as StyleGAN2's 8²–32² layers), by bands of whole planes of
    /// `samplesPerBand` samples with the threads splitting the output channels (docs/engine-kernels.md "Winograd by
    /// samples"): the threads first transform the band's input channels (V), then each multiplies its output channels'
    /// transformed weights by every tile of the band, position by position (so V[ξ] stays in the L2 over a pack's tiles),
    /// and stores them. Bands of rows of one sample, in (sample, band) tasks, read all of U (16.8 MB for 512 channels) once
    /// per task, for 16 tiles at 8², in products of one vector of tiles. The same transforms, products and sums as
    /// `strideOne`'s bands of rows, so the same bits, whichever `weights`.
    static func winogradBySamples(_ plan: BandPlan, _ planes: StrideOnePlanes, _ kernels: ck_kernel_table, samplesPerBand: Int,
                                  input: UnsafePointer<Float>, weights: SamplesWeights, output: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let (outChannels, inChannels, height, width) = (plan.outChannels, plan.inChannels, planes.outHeight, planes.outWidth)
        let tileChannels = plan.tileChannels, channelTiles = (outChannels + tileChannels - 1) / tileChannels
        let transforms = TensorStorage(count: kernels.winograd_band(outChannels, inChannels, height, width, samplesPerBand).transformed_gradient)
        for firstSample in stride(from: 0, to: plan.samples, by: samplesPerBand) {
            let samples = min(samplesPerBand, plan.samples - firstSample)
            let band = kernels.winograd_band(outChannels, inChannels, height, width, samples)
            let v = transforms.pointer + band.transformed_input
            for group in 0..<plan.groups {
                let x = plan.inputPlanes(input, sample: firstSample, group: group)
                let y = plan.outputPlanes(output, sample: firstSample, group: group)
                parallelChunks(inChannels) { channels in
                    kernels.winograd_band_transforms(outChannels, inChannels, planes.inHeight, planes.inWidth, planes.pad, height, width,
                                                     x, x, 0, height, samples, plan.inputSampleFloats, 0, channels.lowerBound, channels.upperBound,
                                                     transforms.pointer)
                }
                // M[ξ] = U[ξ]·V[ξ] and Aᵀ M A for the channel tiles `tiles` of a pack `packed` of `packOutChannels` output
                // channels, stored from output channel `firstChannel` on.
                func products(_ packed: UnsafePointer<Float>, packOutChannels: Int, tiles: Range<Int>, firstChannel: Int,
                              scratch: UnsafeMutablePointer<Float>) {
                    kernels.conv3x3_winograd_samples_rows(packOutChannels, inChannels, height, width, samples, packed, v, tiles.lowerBound,
                                                          tiles.upperBound, accumulate, y + firstChannel * plan.outPlane, plan.outputSampleFloats,
                                                          scratch)
                }
                switch weights {
                case .packed(let packed):
                    parallelChunks(channelTiles) { tiles in
                        let scratch = TensorStorage(count: kernels.winograd_samples_products_floats(tiles.count * tileChannels, band.stride))
                        products(packed.pointer + group * plan.packedCount, packOutChannels: outChannels, tiles: tiles, firstChannel: 0,
                                 scratch: scratch.pointer)
                    }
                case .packedByThreads(let tilesPerPack, let pack):
                    parallelChunks(channelTiles) { tiles in
                        let packTiles = min(tilesPerPack, tiles.count)
                        let scratch = TensorStorage(count: kernels.winograd_samples_products_floats(packTiles * tileChannels, band.stride))
                        let packed = TensorStorage(count: packTiles * tileChannels * inChannels * WinogradTile.two.positions)
                        for first in stride(from: tiles.lowerBound, to: tiles.upperBound, by: packTiles) {
                            let end = min(tiles.upperBound, first + packTiles)
                            let channels = first * tileChannels ..< min(outChannels, end * tileChannels)
                            pack(group, channels, packed.pointer)
                            products(packed.pointer, packOutChannels: channels.count, tiles: 0..<(end - first), firstChannel: channels.lowerBound,
                                     scratch: scratch.pointer)
                        }
                    }
                }
            }
        }
    }

    /// Channel tiles a thread packs at a time in `winogradBySamples` (`SamplesWeights.packedByThreads`): as many as keep
    /// their U (16 positions of `tileChannels` × `inChannels` floats) within `bandBudgetBytes`, half a core's L2, at least
    /// one: 2 for 512 channels on a 1 MiB L2 (384 KiB). On the Zen 5 (AVX-512, 1 MiB L2) at 512 channels, batch 4, 2 of
    /// them took 0.78–0.80 of the time of the whole pack at 8², 0.79 at 16² and 0.87–0.93 at 32² (whose 4 bands of one
    /// sample pack 4 times), 1 and 4 at a time gained less (docs/engine-kernels.md "Packing by threads").
    static func winogradTilesPerPack(inChannels: Int, tileChannels: Int) -> Int {
        max(1, bandBudgetBytes / (MemoryLayout<Float>.size * WinogradTile.two.positions * tileChannels * max(1, inChannels)))
    }

    /// Tiles per pack instead of `winogradTilesPerPack`'s, for tests of several packs per thread (one, or pairs of tiles
    /// within a pack) on small layers.
    @TaskLocal static var tilesPerPackForTests: Int?

    /// Samples per band of `winogradBySamples`, or nil where bands of rows of one sample serve: as many samples' whole
    /// planes of `height` × `width` output pixels as keep one position of V (inChannels floats per tile) within
    /// `bandBudgetBytes`, half of a core's L2, where it stays while the products of a thread's output channels (of each of
    /// its packs, unless U is kept) sweep it; nil where one sample's exceeds it. On the Zen 5 (AVX-512, 1 MiB L2) at batch
    /// 4, `toonkit bench kernels` forward and backward data took 0.59–0.86 of the time of bands of rows at 512 channels 8²,
    /// 0.85–0.94 at 16², 0.91–0.99 at 32², but 1.29–1.46 times as long at 256 channels 64², whose sample's position is
    /// 1 MiB (docs/engine-kernels.md "Winograd by samples").
    /// `tilesPerBand` (tests) sets the band's tiles instead: whole planes of as many samples as that holds, nil under one
    /// plane. The budget stops at `samplesBudgetMeasured`, the largest position measured to gain. Where U, the transformed
    /// weights, fits the same budget (64 channels: 256 KiB) the bands of rows read it from the L2 anyway, and the second
    /// split across the threads cost tiny64 time: `bench generate --network tiny64 --batch 1` 1440–1509 → 1005–1364 img/s,
    /// `bench train --network tiny64 --batch 4` 0.043–0.046 → 0.046–0.047 s per step (three alternated rounds).
    static func winogradSamplesPerBand(inChannels: Int, outChannels: Int, height: Int, width: Int, batch: Int, tilesPerBand: Int?) -> Int? {
        let planeTiles = winogradPlaneTiles(height, width)
        if let tilesPerBand { return tilesPerBand >= planeTiles ? min(batch, tilesPerBand / planeTiles) : nil }
        guard 4 * 16 * inChannels * outChannels > bandBudgetBytes else { return nil }
        let samples = min(bandBudgetBytes, samplesBudgetMeasured) / (4 * inChannels * planeTiles)
        return samples >= 1 ? min(batch, samples) : nil
    }

    /// One position of a sample's V that bands of samples were measured to gain on: 512 channels at 32² (the Zen 5's half
    /// L2). Larger L2s would let 256 channels at 64² (1 MiB) take them, unmeasured.
    static let samplesBudgetMeasured = 512 << 10
}
