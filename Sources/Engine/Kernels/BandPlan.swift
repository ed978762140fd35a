extension DirectConvolution {
    /// How a banded kernel's work is split: each group's weights packed once, then (sample, group, band of
    /// rows) tasks across the threads, each worker copying its bands into one scratch buffer of its own.
    struct BandPlan {
        let samples: Int, groups: Int
        let outChannels: Int, inChannels: Int, tileChannels: Int, packedTaps: Int
        let bandCount: Int, rowsPerBand: Int, scratchCount: Int
        let inPlane: Int, outPlane: Int

        init(_ g: ConvGeometry, outChannels: Int, inChannels: Int, tileChannels: Int, bandCount: Int, scratchRows: ScratchRows,
             paddedWidth: Int, inPlane: Int, outPlane: Int) {
            let rows = DirectConvolution.bandRows(inChannels: inChannels, paddedWidth: paddedWidth, rows: bandCount, scratchRows: scratchRows)
            self.init(g, outChannels: outChannels, inChannels: inChannels, tileChannels: tileChannels, packedTaps: 9, bandCount: bandCount,
                      rowsPerBand: rows, scratchCount: inChannels * scratchRows.count(rows) * paddedWidth, inPlane: inPlane, outPlane: outPlane)
        }

        /// `packedTaps`: 9 taps per channel pair, or Winograd's transformed ones (`WinogradTile.positions`).
        init(_ g: ConvGeometry, outChannels: Int, inChannels: Int, tileChannels: Int, packedTaps: Int, bandCount: Int, rowsPerBand: Int,
             scratchCount: Int, inPlane: Int, outPlane: Int) {
            (samples, groups) = (g.batch, g.groups)
            (self.outChannels, self.inChannels, self.tileChannels, self.packedTaps) = (outChannels, inChannels, tileChannels, packedTaps)
            (self.bandCount, self.rowsPerBand, self.scratchCount, self.inPlane, self.outPlane) = (bandCount, rowsPerBand, scratchCount, inPlane, outPlane)
        }

        /// Floats from one sample's input planes to the next, and from one sample's output planes to the next.
        var inputSampleFloats: Int { groups * inChannels * inPlane }
        var outputSampleFloats: Int { groups * outChannels * outPlane }

        /// The first of a sample's input planes of one group, and of its output planes.
        func inputPlanes(_ input: UnsafePointer<Float>, sample: Int, group: Int) -> UnsafePointer<Float> {
            input + sample * inputSampleFloats + group * inChannels * inPlane
        }
        func outputPlanes(_ output: UnsafeMutablePointer<Float>, sample: Int, group: Int) -> UnsafeMutablePointer<Float> {
            output + sample * outputSampleFloats + group * outChannels * outPlane
        }

        /// Floats of one group's packed weights.
        var packedCount: Int { (outChannels + tileChannels - 1) / tileChannels * tileChannels * inChannels * packedTaps }

        /// Every group's packed weights (`packedCount` floats each): the kept ones named by `packing` and this plan's
        /// tiles, or packed now, split across the threads (and kept, with `kept`).
        func packedWeights(kept: KeptTransforms?, packing: @autoclosure () -> String,
                           pack: @Sendable (Int, Range<Int>, UnsafeMutablePointer<Float>) -> Void) -> TensorStorage {
            let tiles = (outChannels + tileChannels - 1) / tileChannels, packedCount = packedCount
            return kept.transform("\(packing()) groups \(groups) tile \(tileChannels) taps \(packedTaps)", count: packedCount * groups) { packed in
                Profiler.measure("conv3x3 pack") {
                    parallelChunks(groups * tiles, minimumPerThread: max(1, (1 << 16) / max(1, inChannels * packedTaps * tileChannels))) { range in
                        forEachPart(of: range, itemsPerPart: tiles) { group, groupTiles in pack(group, groupTiles, packed + group * packedCount) }
                    }
                }
            }
        }

        /// `pack(group, tiles, packed)` packs those tiles of one group's weights into the group's `packed`; with one
        /// sample's modulated weights per group (batch 1 generation) packing is a tenth of the convolution's time, so
        /// it is split across the threads too. With `kept`, the packed weights are the kept ones named by `packing` and
        /// this plan's tiles, or packed once and kept.
        func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, kept: KeptTransforms?, packing: @autoclosure () -> String,
                 pack: @Sendable (Int, Range<Int>, UnsafeMutablePointer<Float>) -> Void,
                 rows: (UnsafePointer<Float>, UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
            let packed = packedWeights(kept: kept, packing: packing(), pack: pack), packedCount = packedCount
            let bands = (bandCount + rowsPerBand - 1) / rowsPerBand
            parallelChunks(samples * groups * bands) { range in
                let scratch = TensorStorage(count: scratchCount)
                for task in range {
                    let band = task % bands, group = (task / bands) % groups, sample = task / (bands * groups)
                    let first = band * rowsPerBand
                    rows(inputPlanes(input, sample: sample, group: group), packed.pointer + group * packedCount, first,
                         min(bandCount, first + rowsPerBand), outputPlanes(output, sample: sample, group: group), scratch.pointer)
                }
            }
        }
    }
}
