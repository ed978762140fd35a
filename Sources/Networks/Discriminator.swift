import Checkpoint
import Engine
import Foundation

/// NVIDIA's StyleGAN2 Discriminator ('resnet' blocks, minibatch-std epilogue, optional label projection).
public struct Discriminator {
    public let architecture: Architecture
    public var parameters: ParameterSet
    /// Layers of the label-mapping network (conditional models), read from the tensors.
    public let mappingLayers: Int

    public init(architecture: Architecture, parameters: ParameterSet) throws {
        guard architecture.discriminatorArchitecture == "resnet" else {
            throw NetworkError("discriminator architecture '\(architecture.discriminatorArchitecture)' is not supported (only 'resnet')")
        }
        let layers = NetworkLayout.discriminatorMappingLayers(in: Set(parameters.names))
        try parameters.validate(against: NetworkLayout.discriminator(architecture, mappingLayers: layers))
        self.architecture = architecture
        self.parameters = parameters
        mappingLayers = layers
    }

    private var convClamp: Float? { architecture.convClamp.map { Float($0) } }

    /// images [N, C, R, R] (and one-hot labels [N, c_dim]) → logits [N, 1].
    public func callAsFunction(_ images: Tensor, labels: Tensor? = nil) throws -> Tensor {
        let a = architecture
        guard images.rank == 4, images.shape[1] == a.imgChannels, images.shape[2] == a.resolution, images.shape[3] == a.resolution else {
            throw NetworkError("images must have shape [N, \(a.imgChannels), \(a.resolution), \(a.resolution)], got \(images.shape)")
        }
        let p = parameters
        var x = try Layers.conv2dLayer(images, p, "b\(a.resolution).fromrgb", activation: .lrelu, convClamp: convClamp)
        for res in a.blockResolutions.reversed() where res > 4 {
            let b = "b\(res)"
            let skip = try Layers.conv2dLayer(x, p, "\(b).skip", activation: .linear, down: true, hasBias: false,
                                              gain: 0.5.squareRoot(), convClamp: nil)
            x = try Layers.conv2dLayer(x, p, "\(b).conv0", activation: .lrelu, convClamp: convClamp)
            x = try Layers.conv2dLayer(x, p, "\(b).conv1", activation: .lrelu, down: true, gain: 0.5.squareRoot(), convClamp: convClamp)
            x = try skip + x
        }
        return try epilogue(x, labels: labels)
    }

    private func epilogue(_ input: Tensor, labels: Tensor?) throws -> Tensor {
        let a = architecture
        let p = parameters
        var x = try minibatchStandardDeviation(input)
        x = try Layers.conv2dLayer(x, p, "b4.conv", activation: .lrelu, convClamp: convClamp)
        x = try Layers.fullyConnected(x.reshaped([x.shape[0], -1]), p, "b4.fc", activation: .lrelu)
        x = try Layers.fullyConnected(x, p, "b4.out")
        guard a.cDim > 0 else { return x }
        let n = input.shape[0]
        guard let labels, labels.shape == [n, a.cDim] else {
            throw NetworkError("this discriminator is conditional: it needs labels of shape [\(n), \(a.cDim)]")
        }
        var cmap = try Layers.normalizeSecondMoment(Layers.fullyConnected(labels, p, "mapping.embed"))
        for i in 0..<mappingLayers {
            cmap = try Layers.fullyConnected(cmap, p, "mapping.fc\(i)", activation: .lrelu, lrMultiplier: Float(a.mappingLRMultiplier))
        }
        let cmapDim = cmap.shape[1]
        return try (x * cmap).sum(axes: [1], keepDims: true) * Float(1 / Double(cmapDim).squareRoot())
    }

    /// Appends the per-group standard deviation as extra channels. Sample n belongs to group n mod (N/G):
    /// the reference reshapes the batch to [G, N/G, …], so groups are strided, not contiguous.
    func minibatchStandardDeviation(_ x: Tensor) throws -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let groupSize = min(architecture.mbstdGroupSize ?? n, n)
        let f = architecture.mbstdNumChannels
        guard groupSize > 0, n % groupSize == 0, c % f == 0 else {
            throw NetworkError("minibatch-std needs a batch divisible by its group size \(groupSize) (got \(n)) and channels divisible by \(f)")
        }
        let groups = n / groupSize
        var y = try x.reshaped([groupSize, groups, f, c / f, h, w])
        y = try y - y.mean(axes: [0], keepDims: true)
        y = try y.square().mean(axes: [0])
        y = try (y + 1e-8).sqrt()
        y = try y.mean(axes: [2, 3, 4])
        y = try y.reshaped([1, groups, f, 1, 1]).expand(to: [groupSize, groups, f, h, w]).reshaped([n, f, h, w])
        return try Tensor.concatenate([x, y], axis: 1)
    }
}
