import Foundation

/// Activations of NVIDIA's bias_act that StyleGAN2 uses.
public enum Activation: Equatable, Sendable {
    case linear
    case leakyReLU(slope: Float)

    public static let lrelu = Activation.leakyReLU(slope: 0.2)

    /// The reference's default gain for the activation: √2 for lrelu (rounded to float32), 1 for linear.
    public var defaultGain: Float {
        switch self {
        case .linear: return 1
        case .leakyReLU: return Float(2.0.squareRoot())
        }
    }
}

extension Tensor {
    /// NVIDIA bias_act: y = clamp(act(x + bias) · gain, −clamp, clamp), the bias broadcast along axis 1.
    /// Fused, because it follows every convolution of both networks. Two optional inputs fold in the
    /// operations StyleGAN2 performs right before it: `scale` [N, C] multiplies x per sample and channel
    /// (demodulation) and `addend` [N or 1, 1, H, W] is added per pixel (noise): t = x·scale + addend + bias.
    public static func biasAct(_ x: Tensor, bias: Tensor? = nil, activation: Activation = .linear,
                               gain: Float? = nil, clamp: Float? = nil, scale: Tensor? = nil, addend: Tensor? = nil) throws -> Tensor {
        let layout = try BiasActLayout(x: x, bias: bias, scale: scale, addend: addend)
        if let clamp, !(clamp >= 0) { throw EngineError("biasAct", "clamp must be ≥ 0, got \(clamp)") }
        let g = gain ?? activation.defaultGain
        let slope: Float = { if case .leakyReLU(let s) = activation { return s }; return 1 }()
        let limit = clamp ?? .infinity
        let output = Tensor(uninitializedShape: x.shape)
        let px = x.pointer, po = output.pointer, pb = bias?.pointer, ps = scale?.pointer, pa = addend?.pointer
        let (channels, inner, addendSamples) = (layout.channels, layout.inner, layout.addendSamples)
        // The loop over a row is a vector kernel (docs/engine-kernels.md): it follows every convolution.
        let biasActRow = KernelInstructionSet.active.kernels.bias_act
        Profiler.measure("biasAct") {
            parallelChunks(x.count / max(inner, 1), minimumPerThread: max(1, 16384 / max(inner, 1))) { range in
                for row in range {
                    let b = pb.map { $0[row % channels] } ?? 0
                    let k = ps.map { $0[row] } ?? 1
                    let noise = pa.map { UnsafePointer($0 + (addendSamples == 1 ? 0 : row / channels) * inner) }
                    biasActRow(inner, px + row * inner, ps != nil, k, noise, b, slope, g, limit, po + row * inner)
                }
            }
        }
        let optional = [bias, scale, addend]
        let inputs = [x] + optional.compactMap { $0 }
        return record("biasAct", output: output, inputs: inputs, savesOutput: true) { gy, y, needs in
            let masked = try biasActGradient(gy, output: y!, slope: slope, gain: g, clamp: limit)
            var grads: [Tensor?] = [needs[0] ? try scale.map { try masked * $0.reshaped(layout.scaleShape) } ?? masked : nil]
            var index = 1
            if bias != nil {
                grads.append(needs[index] ? try masked.sum(axes: [0] + Array(2..<x.rank)) : nil)
                index += 1
            }
            if let scale {
                grads.append(needs[index] ? try (masked * x).sum(axes: Array(2..<x.rank)).reshaped(scale.shape) : nil)
                index += 1
            }
            if let addend {
                grads.append(needs[index] ? try masked.sum(axes: [1], keepDims: true).sum(toShape: addend.shape) : nil)
            }
            return grads
        }
    }

    /// d(bias_act)/dx given the forward output: gy · gain · act′ · [|y| < clamp]. Linear in gy and
    /// piecewise constant in y, so its own gradient is this same op on the incoming gradient.
    static func biasActGradient(_ gy: Tensor, output y: Tensor, slope: Float, gain: Float, clamp: Float) throws -> Tensor {
        guard gy.shape == y.shape else { throw EngineError.shapes("biasActGradient", "gradient and output differ", gy.shape, y.shape) }
        let result = Tensor(uninitializedShape: y.shape)
        let pg = gy.pointer, py = y.pointer, pr = result.pointer
        let kernel = KernelInstructionSet.active.kernels.bias_act_gradient
        Profiler.measure("biasActGradient") {
            parallelChunks(y.count, minimumPerThread: 65536) { range in
                kernel(range.count, pg + range.lowerBound, py + range.lowerBound, gain, gain * slope, clamp, pr + range.lowerBound)
            }
        }
        return record("biasActGradient", output: result, inputs: [gy, y]) { gg, _, needs in
            [needs[0] ? try biasActGradient(gg, output: y.detached(), slope: slope, gain: gain, clamp: clamp) : nil, nil]
        }
    }
}

/// Shape checks of biasAct's optional inputs, and the strides its kernel walks.
private struct BiasActLayout {
    let channels: Int
    let inner: Int
    let addendSamples: Int
    let scaleShape: [Int]

    init(x: Tensor, bias: Tensor?, scale: Tensor?, addend: Tensor?) throws {
        guard x.rank >= 2 || (bias == nil && scale == nil && addend == nil) else {
            throw EngineError("biasAct", "bias, scale and addend need an input of at least 2 dimensions, got \(x.shape)")
        }
        channels = x.rank >= 2 ? x.shape[1] : 1
        inner = x.rank >= 2 ? x.shape[2...].reduce(1, *) : 1
        let n = x.rank >= 2 ? x.shape[0] : 1
        scaleShape = [n, channels] + Array(repeating: 1, count: max(x.rank - 2, 0))
        if let bias, bias.shape != [channels] {
            throw EngineError.shapes("biasAct", "bias must have one value per channel (axis 1)", x.shape, bias.shape)
        }
        if let scale, scale.shape != [n, channels] {
            throw EngineError.shapes("biasAct", "scale must have shape [N, C]", x.shape, scale.shape)
        }
        addendSamples = addend?.shape.first ?? 1
        if let addend, addend.rank != x.rank || addend.shape[1] != 1 || Array(addend.shape[2...]) != Array(x.shape[2...])
            || (addendSamples != 1 && addendSamples != n) {
            throw EngineError.shapes("biasAct", "addend must have shape [N or 1, 1, spatial…]", x.shape, addend.shape)
        }
    }
}
