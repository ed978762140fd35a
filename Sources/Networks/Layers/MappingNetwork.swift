import Checkpoint
import Engine

/// NVIDIA's MappingNetwork: z (and a label embedding for conditional models) through `layers` fully
/// connected lrelu layers (docs/network-maths.md §2). The generator's tracks the running average w_avg; the
/// discriminator's label mapping (z_dim 0) has none.
public struct MappingNetwork: Module {
    /// NVIDIA's MappingNetwork default; train.py sets no other for either network.
    public static let defaultLRMultiplier = 0.01

    public let path: ModulePath
    public let averageW: TensorDeclaration?
    public let embed: FullyConnectedLayer?
    public let layers: [FullyConnectedLayer]
    public let outFeatures: Int

    init(_ path: ModulePath, zDim: Int, cDim: Int, wDim: Int, layerCount: Int, lrMultiplier: Double, tracksAverage: Bool) {
        self.path = path
        outFeatures = wDim
        averageW = tracksAverage ? path.buffer("w_avg", [wDim], .constant(0)) : nil
        let embedFeatures = cDim > 0 ? wDim : 0
        embed = cDim > 0 ? FullyConnectedLayer(path.child("embed"), inFeatures: cDim, outFeatures: embedFeatures) : nil
        var features = zDim + embedFeatures
        var layers: [FullyConnectedLayer] = []
        for index in 0..<layerCount {
            layers.append(FullyConnectedLayer(Self.layerPath(path, index: index), inFeatures: features, outFeatures: wDim,
                                              activation: .lrelu, lrMultiplier: lrMultiplier))
            features = wDim
        }
        self.layers = layers
    }

    static func layerPath(_ path: ModulePath, index: Int) -> ModulePath { path.child("fc\(index)") }

    /// The number of consecutive layers (fc0, fc1, …) whose weights a stored network at `path` holds.
    public static func depth(at path: ModulePath, in names: Set<String>) -> Int {
        var depth = 0
        while depth < maxLayers, names.contains(FullyConnectedLayer(layerPath(path, index: depth), inFeatures: 1, outFeatures: 1).weight.name) {
            depth += 1
        }
        return depth
    }

    /// The depth bound `Architecture.plausibilityProblem` enforces.
    public static let maxLayers = 64

    public var ownTensors: [TensorDeclaration] { averageW.map { [$0] } ?? [] }
    public var children: [any Module] { (embed.map { [$0] } ?? []) + layers }

    /// z [N, z_dim] (nil for the label mapping) and labels [N, c_dim] → w [N, w_dim].
    func callAsFunction(z: Tensor?, labels: Tensor?, _ p: ParameterSet) throws -> Tensor {
        var x: Tensor? = try z.map(normalizeSecondMoment)
        if let embed, let labels {
            let embedded = try normalizeSecondMoment(embed(labels, p))
            x = try x.map { try Tensor.concatenate([$0, embedded], axis: 1) } ?? embedded
        }
        guard var x else { throw NetworkError("the mapping network \(path.name) has neither latents nor labels to map") }
        for layer in layers { x = try layer(x, p) }
        return x
    }
}
