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

/// NVIDIA's StyleGAN2 Generator ('skip' synthesis): its module tree and the values of its tensors.
public struct Generator {
    public let architecture: Architecture
    public let network: GeneratorNetwork
    public var parameters: ParameterSet

    public init(architecture: Architecture, parameters: ParameterSet) throws {
        try architecture.checkBuildable()
        network = GeneratorNetwork(architecture)
        try parameters.validate(against: network, architecture: architecture)
        self.architecture = architecture
        self.parameters = parameters
    }

    public var numWs: Int { network.synthesis.numWs }

    private var averageW: TensorDeclaration { network.mapping.averageW! }

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
        if a.cDim > 0 {
            guard let c, c.shape == [n, a.cDim] else {
                throw NetworkError("this generator is conditional: it needs labels of shape [\(n), \(a.cDim)]")
            }
        }
        return try network.mapping(z: z, labels: a.cDim > 0 ? c : nil, parameters)
    }

    /// The training-time update of the running average the reference makes on every mapping forward
    /// pass in training mode: w_avg ← lerp(mean over the batch of w, w_avg, β).
    public mutating func trackAverage(of w: Tensor) throws {
        try trackAverage(ofMean: GradMode.withoutGrad { try w.detached().mean(axes: [0]) })
    }

    /// The w_avg update from a batch mean of w computed elsewhere (over a batch split across processes).
    public mutating func trackAverage(ofMean meanW: Tensor) throws {
        let average = try parameters.tensor(averageW)
        let updated = try GradMode.withoutGrad {
            try Tensor.lerp(meanW.detached(), average, weight: Float(architecture.wAvgBeta))
        }
        parameters.set(averageW.name, updated, kind: averageW.kind)
    }

    /// w_avg.lerp(ws, ψ) on all ws, or on the first `cutoff`.
    public func truncate(_ ws: Tensor, _ truncation: Truncation) throws -> Tensor {
        guard truncation.psi != 1 else { return ws }
        let average = try parameters.tensor(averageW).reshaped([1, 1, architecture.wDim])
        let cutoff = min(truncation.cutoff ?? numWs, numWs)
        let head = try Tensor.lerp(average, ws.slice(axis: 1, start: 0, length: cutoff), weight: truncation.psi)
        guard cutoff < numWs else { return head }
        return try Tensor.concatenate([head, ws.slice(axis: 1, start: cutoff, length: numWs - cutoff)], axis: 1)
    }

    // MARK: Synthesis

    /// ws [N, num_ws, w_dim] → images [N, img_channels, R, R], roughly in [−1, 1].
    /// `noiseSeed` seeds the noise of `.random` mode (each layer draws from its own offset of it); with a
    /// `share` of a batch split over processes, each layer draws the whole batch's noise and keeps the share's.
    public func synthesize(ws: Tensor, noise: NoiseMode = .const, noiseSeed: UInt32 = 0, share: BatchShare = .whole) throws -> Tensor {
        let a = architecture
        guard ws.rank == 3, ws.shape[1] == numWs, ws.shape[2] == a.wDim else {
            throw NetworkError("ws must have shape [N, \(numWs), \(a.wDim)], got \(ws.shape)")
        }
        let n = ws.shape[0]
        var layerIndex: UInt32 = 0
        func layerNoise() -> LayerNoise {
            layerIndex += 1
            switch noise {
            case .none: return .none
            case .const: return .const
            case .random: return .random(seed: noiseSeed &* 1000 &+ layerIndex, share: share)
            }
        }
        func w(_ index: Int) throws -> Tensor {
            try ws.slice(axis: 1, start: index, length: 1).reshaped([n, a.wDim])
        }
        var x: Tensor?
        var image: Tensor?
        var first = 0
        for block in network.synthesis.blocks {
            // A block's convolutions read its ws; its ToRGB reads the next one.
            let blockWs = try (first...(first + block.convolutionCount)).map(w)
            let output = try block(x, image: image, ws: blockWs, noise: layerNoise, batch: n, parameters)
            (x, image) = (output.x, output.image)
            first += block.convolutionCount
        }
        return image!
    }

    /// map then synthesize.
    public func generate(z: Tensor, c: Tensor? = nil, truncation: Truncation = .none, noise: NoiseMode = .const) throws -> Tensor {
        try synthesize(ws: map(z: z, c: c, truncation: truncation), noise: noise)
    }
}
