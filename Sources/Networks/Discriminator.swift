import Checkpoint
import Engine
import Foundation

/// NVIDIA's StyleGAN2 Discriminator ('resnet' blocks, minibatch-std epilogue, optional label projection):
/// its module tree and the values of its tensors.
public struct Discriminator {
    public let architecture: Architecture
    public let network: DiscriminatorNetwork
    public var parameters: ParameterSet

    public init(architecture: Architecture, parameters: ParameterSet) throws {
        try architecture.checkBuildable()
        network = DiscriminatorNetwork(architecture, tensorNames: Set(parameters.names))
        try parameters.validate(against: network, architecture: architecture)
        self.architecture = architecture
        self.parameters = parameters
    }

    /// images [N, C, R, R] (and one-hot labels [N, c_dim]) → logits [N, 1].
    public func callAsFunction(_ images: Tensor, labels: Tensor? = nil) throws -> Tensor {
        let a = architecture
        guard images.rank == 4, images.shape[1] == a.imgChannels, images.shape[2] == a.resolution, images.shape[3] == a.resolution else {
            throw NetworkError("images must have shape [N, \(a.imgChannels), \(a.resolution), \(a.resolution)], got \(images.shape)")
        }
        if a.cDim > 0 {
            let n = images.shape[0]
            guard let labels, labels.shape == [n, a.cDim] else {
                throw NetworkError("this discriminator is conditional: it needs labels of shape [\(n), \(a.cDim)]")
            }
        }
        var x = images
        for block in network.blocks { x = try block(x, parameters) }
        let cmap = try network.mapping.map { try $0(z: nil, labels: labels, parameters) }
        return try network.epilogue(x, cmap: cmap, parameters)
    }
}
