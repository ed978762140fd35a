import CKernels

extension DirectConvolution {
    /// Whether the down-sampling's weight gradient kernel serves (`isStrideTwoWithoutPadding`, any instruction set): the
    /// discriminator's stride-2 convolutions with outputs from 32 wide, whose weight gradient through im2col + OpenBLAS
    /// read 0.60–0.80 of sgemm at 128² and 64² (`toonkit bench kernels`, AVX2): im2col wrote 2.25 times the input and
    /// the product was 128–256 rows by 576–1152 columns. At 32² (256 → 512 channels) the kernel took 0.85–0.89 of
    /// im2col's time on a Zen 5 with either BLAS; at 16² (512 → 512) it was level or slower, so that stays on im2col
    /// (docs/engine-kernels.md "Down-sampling weight gradient").
    static func suitsDownsamplingWeightGradient(_ g: ConvGeometry) -> Bool {
        isStrideTwoWithoutPadding(g) && g.outWidth >= 32
    }

    /// The down-sampling's weight gradient (`isStrideTwoWithoutPadding`), overwriting `output`: per sample and group the C
    /// kernels transpose the output gradient into panels of output channels, then add outer products of the panels with
    /// the input, read where it lies, to the transposed gradient, in (channel block, panels) tasks across the threads; the
    /// gradient is transposed back once at the end. Every element is one chain of multiply-adds over the samples, rows and
    /// pixels in order, so the result is the same bits whatever the threads, on every set that fuses.
    static func downsamplingWeightGradient(_ g: ConvGeometry, _ kernels: ck_kernel_table, input: UnsafePointer<Float>,
                                           gradOutput: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        precondition(isStrideTwoWithoutPadding(g), "no down-sampling weight gradient kernel for this geometry")
        let (outChannels, inChannels) = (g.outPerGroup, g.inPerGroup)
        let panelChannels = kernels.conv3x3_down_weight_panel_channels
        let panelCount = (outChannels + panelChannels - 1) / panelChannels, ldc = panelCount * panelChannels
        // Input channels per task: the input rows of one of the kernel's bands of output pixels (about 512, so 9 rows of
        // 257 floats at 128²) for 16 channels stay in the core's cache while every panel's tiles read them; 8 and 32
        // measured alike or slower.
        let blockChannels = 16, blocks = (inChannels + blockChannels - 1) / blockChannels
        let panels = TensorStorage(count: panelCount * g.outPlane * panelChannels)
        let transposed = TensorStorage(count: g.groups * g.patch * ldc)
        transposed.pointer.update(repeating: 0, count: transposed.count)
        for sample in 0..<g.batch {
            for group in 0..<g.groups {
                let x = input + (sample * g.inChannels + group * inChannels) * g.inPlane
                let gy = gradOutput + (sample * g.outChannels + group * outChannels) * g.outPlane
                let gradientT = transposed.pointer + group * g.patch * ldc
                parallelChunks(panelCount) { range in
                    kernels.conv3x3_down_weight_panels(outChannels, g.outPlane, gy, panels.pointer, range.lowerBound, range.upperBound)
                }
                parallelChunks(blocks * panelCount) { range in
                    forEachPart(of: range, itemsPerPart: panelCount) { block, blockPanels in
                        kernels.conv3x3_down_weight_rows(g.outHeight, g.outWidth, x, panels.pointer, blockPanels.lowerBound,
                                                         blockPanels.upperBound, block * blockChannels,
                                                         min(inChannels, (block + 1) * blockChannels), 0, g.outHeight, gradientT, ldc)
                    }
                }
            }
        }
        // Panel by panel, in blocks of rows, so each row of the transposed gradient is read once and each output
        // channel writes runs of its row (the Swift loop that wrote one float per output channel in turn took a fifth
        // of the call at 16² in a build that let the kernel serve it, docs/engine-kernels.md "Down-sampling weight
        // gradient").
        parallelChunks(g.groups * panelCount) { range in
            forEachPart(of: range, itemsPerPart: panelCount) { group, groupPanels in
                kernels.conv3x3_down_weight_unpack(outChannels, g.patch, ldc, transposed.pointer + group * g.patch * ldc,
                                                   output + group * outChannels * g.patch, groupPanels.lowerBound, groupPanels.upperBound)
            }
        }
    }
}
