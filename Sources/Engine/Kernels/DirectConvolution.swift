import CKernels

/// 3×3 convolutions with stride 1 and padding 1 on large planes, computed in place of im2col + GEMM by a
/// register-tiled C kernel (Sources/CKernels, docs/engine-kernels.md "Direct convolution"). im2col writes
/// nine copies of the input and hands OpenBLAS a product only 64–128 rows tall, which runs at 0.4–0.7 of
/// sgemm on the 128² and 256² planes (`toonkit bench kernels`); the direct kernel reads a padded band of the
/// input from cache instead. Its sums run in the same order on every instruction set.
enum DirectConvolution {
    /// Whether the direct kernel serves this convolution: 3×3, stride 1, padding 1, planes a multiple of 16
    /// wide (whole vectors on every set, so every set takes the same path and rounds alike). Measured with
    /// `toonkit bench kernels`: from 16² up it beats im2col + OpenBLAS on every paper256 shape (512 channels at
    /// 32²: 1.0–1.2 of sgemm against 0.65–0.7).
    static func suits(_ g: ConvGeometry) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.stride == 1 && g.padHeight == 1 && g.padWidth == 1
            && g.inHeight == g.outHeight && g.inWidth == g.outWidth && g.outWidth % 16 == 0
    }

    /// Whether the direct weight gradient serves: as `suits`, on planes from 128² up. Each tile ends in 27
    /// horizontal sums, which smaller bands do not amortise (`toonkit bench kernels`, AVX-512: 256 channels at
    /// 64² 0.68 of sgemm against im2col's 0.84–1.0; 128² 0.88–0.90 against 0.61–0.92; 256² 0.96 against 0.44–0.72).
    static func suitsWeightGradient(_ g: ConvGeometry) -> Bool {
        suits(g) && g.outPlane >= 128 * 128
    }

    /// conv2d: output = conv(input, weight) for every sample and group.
    static func forward(_ g: ConvGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        output: UnsafeMutablePointer<Float>, accumulate: Bool = false, instructionSet: KernelInstructionSet = .active) {
        convolve(instructionSet.kernels, samples: g.batch, groups: g.groups, outChannels: g.outPerGroup, inChannels: g.inPerGroup,
                 height: g.outHeight, width: g.outWidth, input: input, output: output, accumulate: accumulate) { kernels, group, packed in
            kernels.conv3x3_pack(g.outPerGroup, g.inPerGroup, weight + group * g.outPerGroup * g.patch, g.patch, 9, false, packed)
        }
    }

    /// conv_transpose2d (the adjoint of `forward`): with stride 1 and padding 1 it is the convolution of the
    /// output-space gradient with the weight transposed in its channels and turned by 180°.
    static func backwardData(_ g: ConvGeometry, gradOutput: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                             output: UnsafeMutablePointer<Float>, accumulate: Bool = false, instructionSet: KernelInstructionSet = .active) {
        convolve(instructionSet.kernels, samples: g.batch, groups: g.groups, outChannels: g.inPerGroup, inChannels: g.outPerGroup,
                 height: g.outHeight, width: g.outWidth, input: gradOutput, output: output, accumulate: accumulate) { kernels, group, packed in
            kernels.conv3x3_pack(g.inPerGroup, g.outPerGroup, weight + group * g.outPerGroup * g.patch, 9, g.patch, true, packed)
        }
    }

    /// The weight gradient, overwriting `output`. Workers split each group's output channels, so every
    /// element's sum runs over samples, then bands, in one order whatever the number of threads.
    static func weightGradient(_ g: ConvGeometry, input: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
                               output: UnsafeMutablePointer<Float>, instructionSet: KernelInstructionSet = .active) {
        let kernels = instructionSet.kernels
        output.update(repeating: 0, count: g.outChannels * g.patch)
        let (height, width, plane) = (g.outHeight, g.outWidth, g.outPlane)
        let rows = bandRows(inChannels: g.inPerGroup, width: width, height: height)
        let tile = weightTileChannels
        let tiles = (g.outPerGroup + tile - 1) / tile
        parallelChunks(g.groups * tiles) { range in
            let scratch = TensorStorage(count: g.inPerGroup * (rows + 2) * (width + 2))
            for group in (range.lowerBound / tiles)...((range.upperBound - 1) / tiles) {
                let first = max(range.lowerBound, group * tiles) - group * tiles, last = min(range.upperBound, (group + 1) * tiles) - group * tiles
                let outFirst = first * tile, outCount = min(g.outPerGroup, last * tile) - outFirst
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

    /// Output channels per task of the weight gradient: the widest kernel's tile (3), so workers split at tile edges.
    static let weightTileChannels = 3

    /// Packs each group's weights once, then splits (sample, group, band of rows) tasks across the threads;
    /// each worker pads its bands into one scratch buffer of its own.
    private static func convolve(_ kernels: ck_kernel_table, samples: Int, groups: Int, outChannels: Int, inChannels: Int, height: Int, width: Int,
                                 input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, accumulate: Bool,
                                 pack: (ck_kernel_table, Int, UnsafeMutablePointer<Float>) -> Void) {
        let tile = kernels.conv3x3_tile_channels
        let packedCount = (outChannels + tile - 1) / tile * tile * inChannels * 9
        let packed = TensorStorage(count: packedCount * groups)
        for group in 0..<groups { pack(kernels, group, packed.pointer + group * packedCount) }

        let rows = bandRows(inChannels: inChannels, width: width, height: height)
        let bands = (height + rows - 1) / rows
        let plane = height * width
        parallelChunks(samples * groups * bands) { range in
            let scratch = TensorStorage(count: inChannels * (rows + 2) * (width + 2))
            for task in range {
                let band = task % bands, group = (task / bands) % groups, sample = task / (bands * groups)
                let channelsBefore = sample * groups + group
                let y0 = band * rows
                kernels.conv3x3_rows(outChannels, inChannels, height, width, input + channelsBefore * inChannels * plane,
                                     packed.pointer + group * packedCount, y0, min(height, y0 + rows), accumulate,
                                     output + channelsBefore * outChannels * plane, scratch.pointer)
            }
        }
    }

    /// Rows per band: the padded band (inChannels × (rows + 2) × (width + 2) floats) stays near 512 KB, inside
    /// a core's L2, while the output tiles sweep it once per group of output channels.
    static func bandRows(inChannels: Int, width: Int, height: Int) -> Int {
        let budget = (512 << 10) / (4 * inChannels * (width + 2))
        return max(1, min(height, budget - 2))
    }
}
