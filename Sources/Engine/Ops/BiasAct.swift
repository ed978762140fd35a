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
    /// Fused, because it follows every convolution of both networks.
    public static func biasAct(_ x: Tensor, bias: Tensor? = nil, activation: Activation = .linear,
                               gain: Float? = nil, clamp: Float? = nil) throws -> Tensor {
        guard x.rank >= 2 || bias == nil else { throw EngineError("biasAct", "a bias needs an input of at least 2 dimensions, got \(x.shape)") }
        let channels = x.rank >= 2 ? x.shape[1] : 1
        if let bias, bias.shape != [channels] {
            throw EngineError.shapes("biasAct", "bias must have one value per channel (axis 1)", x.shape, bias.shape)
        }
        if let clamp, !(clamp >= 0) { throw EngineError("biasAct", "clamp must be ≥ 0, got \(clamp)") }
        let g = gain ?? activation.defaultGain
        let slope: Float = { if case .leakyReLU(let s) = activation { return s }; return 1 }()
        let limit = clamp ?? .infinity
        let inner = x.rank >= 2 ? x.shape[2...].reduce(1, *) : 1
        let output = Tensor(uninitializedShape: x.shape)
        let px = x.pointer, po = output.pointer, pb = bias?.pointer
        Profiler.measure("biasAct") {
        parallelChunks(x.count / max(inner, 1), minimumPerThread: max(1, 16384 / max(inner, 1))) { range in
            for row in range {
                let b = pb.map { $0[row % channels] } ?? 0
                let source = px + row * inner, target = po + row * inner
                for i in 0..<inner {
                    let t = source[i] + b
                    let a = (t > 0 ? t : t * slope) * g
                    target[i] = min(max(a, -limit), limit)
                }
            }
        }
        }
        let inputs = bias.map { [x, $0] } ?? [x]
        return record("biasAct", output: output, inputs: inputs, savesOutput: true) { gy, y, needs in
            let gx = try biasActGradient(gy, output: y!, slope: slope, gain: g, clamp: limit)
            var grads: [Tensor?] = [needs[0] ? gx : nil]
            if bias != nil {
                grads.append(needs[1] ? try gx.sum(axes: [0] + Array(2..<x.rank)) : nil)
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
        parallelChunks(y.count, minimumPerThread: 65536) { range in
            for i in range {
                let v = py[i]
                let derivative = (v > 0 ? gain : gain * slope)
                pr[i] = abs(v) < clamp ? pg[i] * derivative : 0
            }
        }
        return record("biasActGradient", output: result, inputs: [gy, y]) { gg, _, needs in
            [needs[0] ? try biasActGradient(gg, output: y.detached(), slope: slope, gain: gain, clamp: clamp) : nil, nil]
        }
    }
}
