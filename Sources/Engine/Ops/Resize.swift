/// Bilinear resizing as torch's F.interpolate(mode='bilinear', align_corners=False, antialias=False):
/// every output pixel reads the 2×2 input pixels around its centre mapped back to the input, so
/// downscaling does not low-pass (as in torch). The FID Inception network resizes its input with it.
///
/// Gradients: resizing is linear, so the backward is the recorded adjoint (scatter), whose own
/// backward is the resize again; gradients of any order work.
struct LinearTaps {
    /// For each output index: the two input indices and their weights (torch's index0/index1, lambda0/lambda1).
    let first: [Int], second: [Int]
    let firstWeight: [Float], secondWeight: [Float]

    /// torch's compute_source_index_and_lambda with align_corners=False and no explicit scale factor.
    init(inputSize: Int, outputSize: Int) {
        var first: [Int] = [], second: [Int] = []
        var firstWeight: [Float] = [], secondWeight: [Float] = []
        let scale = Float(inputSize) / Float(outputSize)
        for o in 0..<outputSize {
            if inputSize == outputSize {
                first.append(o); second.append(o); firstWeight.append(1); secondWeight.append(0)
                continue
            }
            let source = Swift.max(scale * (Float(o) + 0.5) - 0.5, 0)
            let index = Swift.min(Int(source.rounded(.down)), inputSize - 1)
            let lambda = Swift.min(Swift.max(source - Float(index), 0), 1)
            first.append(index)
            second.append(index + (index < inputSize - 1 ? 1 : 0))
            firstWeight.append(1 - lambda)
            secondWeight.append(lambda)
        }
        self.first = first
        self.second = second
        self.firstWeight = firstWeight
        self.secondWeight = secondWeight
    }
}

extension Tensor {
    /// input [N, C, H, W] → [N, C, height, width].
    public static func resizeBilinear(_ input: Tensor, height: Int, width: Int) throws -> Tensor {
        let inputShape = try resizeCheck(input.shape, height: height, width: width)
        let rows = LinearTaps(inputSize: input.shape[2], outputSize: height)
        let columns = LinearTaps(inputSize: input.shape[3], outputSize: width)
        let output = Tensor(uninitializedShape: [input.shape[0], input.shape[1], height, width])
        let inWidth = input.shape[3], inPlane = input.shape[2] * input.shape[3], outPlane = height * width
        let pi = input.pointer, po = output.pointer
        Profiler.measure("resizeBilinear") {
            parallelChunks(input.shape[0] * input.shape[1]) { range in
                for plane in range {
                    let source = pi + plane * inPlane, target = po + plane * outPlane
                    for y in 0..<height {
                        let top = source + rows.first[y] * inWidth, bottom = source + rows.second[y] * inWidth
                        let wy0 = rows.firstWeight[y], wy1 = rows.secondWeight[y]
                        for x in 0..<width {
                            let x0 = columns.first[x], x1 = columns.second[x]
                            let wx0 = columns.firstWeight[x], wx1 = columns.secondWeight[x]
                            // torch's nesting: the inner (width) interpolation first, then the rows.
                            let upper = top[x0] * wx0 + top[x1] * wx1
                            let lower = bottom[x0] * wx0 + bottom[x1] * wx1
                            target[y * width + x] = upper * wy0 + lower * wy1
                        }
                    }
                }
            }
        }
        return record("resizeBilinear", output: output, inputs: [input]) { gy, _, _ in
            [try resizeBilinearAdjoint(gy, inputShape: inputShape)]
        }
    }

    /// The adjoint of resizeBilinear: each output-space value is added back to its four input pixels.
    static func resizeBilinearAdjoint(_ gy: Tensor, inputShape: [Int]) throws -> Tensor {
        guard gy.rank == 4, gy.shape[0] == inputShape[0], gy.shape[1] == inputShape[1] else {
            throw EngineError.shapes("resizeBilinearAdjoint", "gradient does not match the input's batch and channels", gy.shape, inputShape)
        }
        let (height, width) = (gy.shape[2], gy.shape[3])
        let rows = LinearTaps(inputSize: inputShape[2], outputSize: height)
        let columns = LinearTaps(inputSize: inputShape[3], outputSize: width)
        let output = try Tensor.zeros(inputShape)
        let inWidth = inputShape[3], inPlane = inputShape[2] * inputShape[3], outPlane = height * width
        let pg = gy.pointer, po = output.pointer
        parallelChunks(inputShape[0] * inputShape[1]) { range in
            for plane in range {
                let source = pg + plane * outPlane, target = po + plane * inPlane
                for y in 0..<height {
                    let top = target + rows.first[y] * inWidth, bottom = target + rows.second[y] * inWidth
                    let wy0 = rows.firstWeight[y], wy1 = rows.secondWeight[y]
                    for x in 0..<width {
                        let value = source[y * width + x]
                        let x0 = columns.first[x], x1 = columns.second[x]
                        let wx0 = columns.firstWeight[x], wx1 = columns.secondWeight[x]
                        top[x0] += value * wy0 * wx0
                        top[x1] += value * wy0 * wx1
                        bottom[x0] += value * wy1 * wx0
                        bottom[x1] += value * wy1 * wx1
                    }
                }
            }
        }
        return record("resizeBilinearAdjoint", output: output, inputs: [gy]) { gg, _, _ in
            [try resizeBilinear(gg, height: height, width: width)]
        }
    }

    private static func resizeCheck(_ shape: [Int], height: Int, width: Int) throws -> [Int] {
        guard shape.count == 4, shape[2] > 0, shape[3] > 0 else {
            throw EngineError.shapes("resizeBilinear", "needs a non-empty 4-D input [N, C, H, W]", shape)
        }
        guard height > 0, width > 0 else { throw EngineError("resizeBilinear", "output size must be positive, got \(height)×\(width)") }
        return shape
    }
}
