/// 2-D convolution (cross-correlation, as torch.nn.functional.conv2d), its transpose, and the weight
/// gradient. The three are closed under differentiation, so convolutions can be differentiated twice.
public struct ConvOptions: Equatable, Sendable {
    public var stride: Int
    public var padding: (height: Int, width: Int)
    public var groups: Int
    public var rounding: ConvRounding

    public init(stride: Int = 1, padding: Int = 0, groups: Int = 1, rounding: ConvRounding = .standard) {
        self.init(stride: stride, padding: (padding, padding), groups: groups, rounding: rounding)
    }

    public init(stride: Int, padding: (height: Int, width: Int), groups: Int = 1, rounding: ConvRounding = .standard) {
        self.stride = stride
        self.padding = padding
        self.groups = groups
        self.rounding = rounding
    }

    public static func == (a: ConvOptions, b: ConvOptions) -> Bool {
        a.stride == b.stride && a.padding == b.padding && a.groups == b.groups && a.rounding == b.rounding
    }

    /// These options with `standard` rounding: what gradients are computed with.
    var standardRounding: ConvOptions {
        var options = self
        options.rounding = .standard
        return options
    }
}

/// How much float32 rounding conv2d's forward passes may trade for speed (as JAX's `precision` argument of a
/// convolution lets its caller choose).
public enum ConvRounding: String, CaseIterable, Codable, Sendable {
    /// Within a few roundings of the direct sum: Winograd F(2×2, 3×3) at most. The default; generation, training and
    /// every export check against the reference code run with it.
    case standard
    /// Forward passes of stride-1 3×3 convolutions that Winograd serves on planes from 16 wide may take F(4×4, 3×3):
    /// 2.25 multiplies per output pixel and channel pair instead of 4, with about 13 times F(2×2, 3×3)'s rounding
    /// (docs/engine-kernels.md "Winograd F(4×4, 3×3)"); so may 5×5 ones with padding 2, by F(4×4, 5×5)
    /// (`WinogradFiveByFive`, 4 multiplies instead of 25). For inference whose consumer tolerates that: FID's Inception
    /// features. So may the 1×r and r×1 ones LineWinograd serves, with F(4, r) instead of F(2, r). Gradients (every pass
    /// recorded for backward) round as `standard`.
    case relaxed
}

extension ConvGeometry {
    /// Geometry of conv2d(input, weight); validates every shape and option.
    init(op: String, input: [Int], weight: [Int], options o: ConvOptions) throws {
        guard input.count == 4, weight.count == 4 else {
            throw EngineError.shapes(op, "needs a 4-D input [N, C, H, W] and a 4-D weight [O, C/groups, kh, kw]", input, weight)
        }
        guard o.stride >= 1, o.padding.height >= 0, o.padding.width >= 0, o.groups >= 1 else {
            throw EngineError(op, "stride must be ≥ 1, padding ≥ 0 and groups ≥ 1 (got stride \(o.stride), padding \(o.padding), groups \(o.groups))")
        }
        guard input[1] % o.groups == 0, weight[0] % o.groups == 0, weight[1] * o.groups == input[1] else {
            throw EngineError.shapes(op, "channels do not match with groups \(o.groups)", input, weight)
        }
        let outHeight = (input[2] + 2 * o.padding.height - weight[2]) / o.stride + 1
        let outWidth = (input[3] + 2 * o.padding.width - weight[3]) / o.stride + 1
        guard input[2] + 2 * o.padding.height >= weight[2], input[3] + 2 * o.padding.width >= weight[3], outHeight > 0, outWidth > 0 else {
            throw EngineError.shapes(op, "kernel is larger than the padded input", input, weight)
        }
        self.init(batch: input[0], inChannels: input[1], inHeight: input[2], inWidth: input[3],
                  outChannels: weight[0], outHeight: outHeight, outWidth: outWidth,
                  kernelHeight: weight[2], kernelWidth: weight[3], stride: o.stride,
                  padHeight: o.padding.height, padWidth: o.padding.width, groups: o.groups)
    }
}

extension Tensor {
    /// torch.nn.functional.conv2d without bias: input [N, C, H, W], weight [O, C/groups, kh, kw].
    public static func conv2d(_ input: Tensor, _ weight: Tensor, _ options: ConvOptions = ConvOptions()) throws -> Tensor {
        let g = try ConvGeometry(op: "conv2d", input: input.shape, weight: weight.shape, options: options)
        let output = Tensor(uninitializedShape: g.outputShape)
        Profiler.countMultiplyAdds(g.multiplyAdds)
        Profiler.measure("conv2d") {
            ConvKernels.forward(g, input: input.pointer, weight: weight.pointer, output: output.pointer, rounding: options.rounding,
                                kept: weight.keptTransforms)
        }
        let backward = options.standardRounding
        return record("conv2d", output: output, inputs: [input, weight]) { gy, _, needs in
            [needs[0] ? try convTranspose2d(gy, weight, backward, outputSize: (g.inHeight, g.inWidth)) : nil,
             needs[1] ? try conv2dWeightGradient(input: input, gradOutput: gy, kernelSize: (g.kernelHeight, g.kernelWidth), backward) : nil]
        }
    }

    /// torch.nn.functional.conv_transpose2d without bias: input [N, Cin, H, W], weight [Cin, Cout/groups, kh, kw].
    /// `outputSize` picks among the sizes a strided transpose can produce (torch's output_padding);
    /// by default the smallest, (H − 1)·stride − 2·padding + k.
    public static func convTranspose2d(_ input: Tensor, _ weight: Tensor, _ options: ConvOptions = ConvOptions(),
                                       outputSize: (Int, Int)? = nil) throws -> Tensor {
        guard input.rank == 4, weight.rank == 4 else {
            throw EngineError.shapes("convTranspose2d", "needs a 4-D input and a 4-D weight", input.shape, weight.shape)
        }
        let height = outputSize?.0 ?? (input.shape[2] - 1) * options.stride - 2 * options.padding.height + weight.shape[2]
        let width = outputSize?.1 ?? (input.shape[3] - 1) * options.stride - 2 * options.padding.width + weight.shape[3]
        let resultShape = [input.shape[0], weight.shape[1] * options.groups, height, width]
        let g = try ConvGeometry(op: "convTranspose2d", input: resultShape, weight: weight.shape, options: options)
        guard g.outputShape == input.shape else {
            throw EngineError.shapes("convTranspose2d", "input does not match the requested output size \(height)×\(width)", input.shape, weight.shape)
        }
        let output = Tensor(uninitializedShape: resultShape)
        Profiler.countMultiplyAdds(g.multiplyAdds)
        Profiler.measure("convTranspose2d") {
            ConvKernels.backwardData(g, gradOutput: input.pointer, weight: weight.pointer, output: output.pointer, kept: weight.keptTransforms)
        }
        let backward = options.standardRounding
        return record("convTranspose2d", output: output, inputs: [input, weight]) { gy, _, needs in
            [needs[0] ? try conv2d(gy, weight, backward) : nil,
             needs[1] ? try conv2dWeightGradient(input: gy, gradOutput: input, kernelSize: (g.kernelHeight, g.kernelWidth), backward) : nil]
        }
    }

    /// The gradient of conv2d's weight: Σ over the batch of gradOutput ⊗ im2col(input), shape [O, C/groups, kh, kw].
    public static func conv2dWeightGradient(input: Tensor, gradOutput: Tensor, kernelSize: (Int, Int),
                                            _ options: ConvOptions = ConvOptions()) throws -> Tensor {
        guard gradOutput.rank == 4, input.rank == 4 else {
            throw EngineError.shapes("conv2dWeightGradient", "needs 4-D input and gradient", input.shape, gradOutput.shape)
        }
        let weightShape = [gradOutput.shape[1], input.shape[1] / max(options.groups, 1), kernelSize.0, kernelSize.1]
        let g = try ConvGeometry(op: "conv2dWeightGradient", input: input.shape, weight: weightShape, options: options)
        guard g.outputShape == gradOutput.shape else {
            throw EngineError.shapes("conv2dWeightGradient", "gradient does not match the convolution's output", input.shape, gradOutput.shape)
        }
        let output = Tensor(uninitializedShape: weightShape)
        Profiler.countMultiplyAdds(g.multiplyAdds)
        Profiler.measure("conv2dWeightGradient") { ConvKernels.weightGrad(g, input: input.pointer, gradOutput: gradOutput.pointer, output: output.pointer) }
        let backward = options.standardRounding
        return record("conv2dWeightGradient", output: output, inputs: [input, gradOutput]) { gw, _, needs in
            [needs[0] ? try convTranspose2d(gradOutput, gw, backward, outputSize: (g.inHeight, g.inWidth)) : nil,
             needs[1] ? try conv2d(input, gw, backward) : nil]
        }
    }
}
