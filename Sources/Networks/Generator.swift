import Checkpoint
import Engine

/// How synthesis layers draw their per-pixel noise.
public enum NoiseMode: String, CaseIterable, Sendable {
    /// The stored noise_const buffers (what the reference's generate.py uses by default).
    case const
    /// Fresh Gaussian noise (from toonkit's own generator, so not the reference's torch noise).
    case random
    /// No noise.
    case none
}

/// Truncation towards w_avg: ψ, optionally only for the first `cutoff` ws.
public struct Truncation: Equatable, Sendable {
    public var psi: Float
    public var cutoff: Int?

    public init(psi: Float = 1, cutoff: Int? = nil) {
        self.psi = psi
        self.cutoff = cutoff
    }

    public static let none = Truncation()
}

/// NVIDIA's StyleGAN2 Generator ('skip' synthesis) over a parameter set named like the reference.
public struct Generator {
    public let architecture: Architecture
    public var parameters: ParameterSet

    public init(architecture: Architecture, parameters: ParameterSet) throws {
        guard architecture.synthesisArchitecture == "skip" else {
            throw NetworkError("synthesis architecture '\(architecture.synthesisArchitecture)' is not supported (only 'skip')")
        }
        try parameters.validate(against: NetworkLayout.generator(architecture))
        self.architecture = architecture
        self.parameters = parameters
    }

    public var numWs: Int { architecture.numWs }

    private var convClamp: Float? { architecture.convClamp.map { Float($0) } }

    // MARK: Mapping

    /// z [N, z_dim] (and one-hot c [N, c_dim] for conditional models) → ws [N, num_ws, w_dim].
    public func map(z: Tensor, c: Tensor? = nil, truncation: Truncation = .none) throws -> Tensor {
        let w = try mappingOutput(z: z, c: c)
        let ws = try w.reshaped([w.shape[0], 1, architecture.wDim]).expand(to: [w.shape[0], numWs, architecture.wDim])
        return try truncate(ws, truncation)
    }

    /// The mapping network's output w [N, w_dim], before broadcasting and truncation.
    public func mappingOutput(z: Tensor, c: Tensor? = nil) throws -> Tensor {
        let a = architecture
        guard z.rank == 2, z.shape[1] == a.zDim else {
            throw NetworkError("latents must have shape [N, \(a.zDim)], got \(z.shape)")
        }
        let n = z.shape[0]
        var x = try Layers.normalizeSecondMoment(z)
        if a.cDim > 0 {
            guard let c, c.shape == [n, a.cDim] else {
                throw NetworkError("this generator is conditional: it needs labels of shape [\(n), \(a.cDim)]")
            }
            let embedded = try Layers.normalizeSecondMoment(Layers.fullyConnected(c, parameters, "mapping.embed"))
            x = try Tensor.concatenate([x, embedded], axis: 1)
        }
        for i in 0..<a.mappingLayers {
            x = try Layers.fullyConnected(x, parameters, "mapping.fc\(i)", activation: .lrelu, lrMultiplier: Float(a.mappingLRMultiplier))
        }
        return x
    }

    /// The training-time update of the running average the reference makes on every mapping forward
    /// pass in training mode: w_avg ← lerp(mean over the batch of w, w_avg, β).
    public mutating func trackAverage(of w: Tensor) throws {
        let average = try parameters.tensor("mapping.w_avg")
        let updated = try GradMode.withoutGrad {
            try Tensor.lerp(w.detached().mean(axes: [0]), average, weight: Float(architecture.wAvgBeta))
        }
        parameters.set("mapping.w_avg", updated, kind: .buffer)
    }

    /// w_avg.lerp(ws, ψ) on all ws, or on the first `cutoff`.
    public func truncate(_ ws: Tensor, _ truncation: Truncation) throws -> Tensor {
        guard truncation.psi != 1 else { return ws }
        let average = try parameters.tensor("mapping.w_avg").reshaped([1, 1, architecture.wDim])
        let cutoff = min(truncation.cutoff ?? numWs, numWs)
        let head = try Tensor.lerp(average, ws.slice(axis: 1, start: 0, length: cutoff), weight: truncation.psi)
        guard cutoff < numWs else { return head }
        return try Tensor.concatenate([head, ws.slice(axis: 1, start: cutoff, length: numWs - cutoff)], axis: 1)
    }

    // MARK: Synthesis

    /// ws [N, num_ws, w_dim] → images [N, img_channels, R, R], roughly in [−1, 1].
    /// `noiseSeed` seeds the noise of `.random` mode (each layer draws from its own offset of it).
    public func synthesize(ws: Tensor, noise: NoiseMode = .const, noiseSeed: UInt32 = 0) throws -> Tensor {
        let a = architecture
        guard ws.rank == 3, ws.shape[1] == numWs, ws.shape[2] == a.wDim else {
            throw NetworkError("ws must have shape [N, \(numWs), \(a.wDim)], got \(ws.shape)")
        }
        let n = ws.shape[0]
        var layerIndex: UInt32 = 0
        func layerNoise() -> Layers.Noise {
            layerIndex += 1
            switch noise {
            case .none: return .none
            case .const: return .const
            case .random: return .random(seed: noiseSeed &* 1000 &+ layerIndex)
            }
        }
        var x = try parameters.tensor("synthesis.b4.const")
        x = try x.reshaped([1] + x.shape).expand(to: [n] + x.shape)
        var image: Tensor?
        var wIndex = 0
        for res in a.blockResolutions {
            let b = "synthesis.b\(res)"
            if res > 4 {
                x = try Layers.synthesisLayer(x, w: Layers.w(ws, wIndex), parameters, "\(b).conv0", up: true, resolution: res,
                                              noise: layerNoise(), convClamp: convClamp)
                wIndex += 1
            }
            x = try Layers.synthesisLayer(x, w: Layers.w(ws, wIndex), parameters, "\(b).conv1", up: false, resolution: res,
                                          noise: layerNoise(), convClamp: convClamp)
            let rgb = try Layers.toRGB(x, w: Layers.w(ws, wIndex + 1), parameters, "\(b).torgb", convClamp: convClamp)
            if let previous = image {
                let upsampled = try Tensor.upfirdn2d(previous, filter: Layers.resampleFilter, up: 2,
                                                     padding: FIRPadding(left: 2, right: 1, top: 2, bottom: 1), gain: 4)
                image = try upsampled + rgb
            } else {
                image = rgb
            }
            wIndex += 1
        }
        return image!
    }

    /// map then synthesize.
    public func generate(z: Tensor, c: Tensor? = nil, truncation: Truncation = .none, noise: NoiseMode = .const) throws -> Tensor {
        try synthesize(ws: map(z: z, c: c, truncation: truncation), noise: noise)
    }
}
