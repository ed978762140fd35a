import Checkpoint
import Engine

/// NVIDIA's DiscriminatorBlock ('resnet'): FromRGB in the top block, conv0, a down-sampling conv1 and a
/// down-sampling 1×1 skip, the two paths summed with gain √0.5 each (docs/network-maths.md §5).
public struct DiscriminatorBlock: Module {
    public let path: ModulePath
    public let resolution: Int
    public let resampleFilter: TensorDeclaration
    public let fromrgb: Conv2dLayer?
    public let conv0: Conv2dLayer
    public let conv1: Conv2dLayer
    public let skip: Conv2dLayer

    init(_ path: ModulePath, resolution: Int, _ a: Architecture) {
        self.path = path
        self.resolution = resolution
        let channels = a.channels(at: resolution), next = a.channels(at: resolution / 2)
        let halfGain = 0.5.squareRoot()
        resampleFilter = path.buffer("resample_filter", [4, 4], .resampleFilter(a.resampleFilter))
        fromrgb = resolution == a.resolution
            ? Conv2dLayer(path.child("fromrgb"), inChannels: a.imgChannels, outChannels: channels, kernel: 1, activation: .lrelu, a) : nil
        conv0 = Conv2dLayer(path.child("conv0"), inChannels: channels, outChannels: channels, kernel: 3, activation: .lrelu, a)
        conv1 = Conv2dLayer(path.child("conv1"), inChannels: channels, outChannels: next, kernel: 3, activation: .lrelu,
                            downsamples: true, gain: halfGain, a)
        skip = Conv2dLayer(path.child("skip"), inChannels: channels, outChannels: next, kernel: 1, activation: .linear,
                           downsamples: true, hasBias: false, gain: halfGain, clamps: false, a)
    }

    public var ownTensors: [TensorDeclaration] { [resampleFilter] }
    public var children: [any Module] { (fromrgb.map { [$0] } ?? []) + [conv0, conv1, skip] }

    /// The block's layers in FreezeD order (docs/training-loop.md §8): fromrgb (top block only), conv0, conv1, skip.
    public var layers: [Conv2dLayer] { (fromrgb.map { [$0] } ?? []) + [conv0, conv1, skip] }

    /// Features from the block above, or the images for the top block.
    func callAsFunction(_ input: Tensor, _ p: ParameterSet) throws -> Tensor {
        var x = try fromrgb.map { try $0(input, p) } ?? input
        let shortcut = try skip(x, p)
        x = try conv0(x, p)
        x = try conv1(x, p)
        return try shortcut + x
    }
}

/// NVIDIA's DiscriminatorEpilogue at 4×4: minibatch standard deviation, conv, fc, out, and the projection
/// onto the label mapping for conditional models.
public struct DiscriminatorEpilogue: Module {
    public let path: ModulePath
    public let conv: Conv2dLayer
    public let fc: FullyConnectedLayer
    public let out: FullyConnectedLayer
    let groupSize: Int?
    let channelsPerGroup: Int

    init(_ path: ModulePath, cmapDim: Int, _ a: Architecture) {
        self.path = path
        let channels = a.channels(at: 4)
        groupSize = a.mbstdGroupSize
        channelsPerGroup = a.mbstdNumChannels
        conv = Conv2dLayer(path.child("conv"), inChannels: channels + a.mbstdNumChannels, outChannels: channels, kernel: 3,
                           activation: .lrelu, a)
        fc = FullyConnectedLayer(path.child("fc"), inFeatures: channels * 16, outFeatures: channels, activation: .lrelu)
        out = FullyConnectedLayer(path.child("out"), inFeatures: channels, outFeatures: max(cmapDim, 1))
    }

    public var ownTensors: [TensorDeclaration] { [] }
    public var children: [any Module] { [conv, fc, out] }

    /// Features [N, C, 4, 4] (and the label mapping's output [N, cmap_dim]) → logits [N, 1].
    func callAsFunction(_ input: Tensor, cmap: Tensor?, _ p: ParameterSet) throws -> Tensor {
        var x = try minibatchStandardDeviation(input)
        x = try conv(x, p)
        x = try fc(x.reshaped([x.shape[0], -1]), p)
        x = try out(x, p)
        guard let cmap else { return x }
        let cmapDim = cmap.shape[1]
        return try (x * cmap).sum(axes: [1], keepDims: true) * Float(1 / Double(cmapDim).squareRoot())
    }

    /// Appends the per-group standard deviation as extra channels. Sample n belongs to group n mod (N/G):
    /// the reference reshapes the batch to [G, N/G, …], so groups are strided, not contiguous.
    func minibatchStandardDeviation(_ x: Tensor) throws -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let groupSize = min(self.groupSize ?? n, n)
        let f = channelsPerGroup
        guard f > 0 else { return x }
        guard groupSize > 0, n % groupSize == 0, c % f == 0 else {
            throw NetworkError("minibatch-std needs a batch divisible by its group size \(groupSize) (got \(n)) and channels divisible by \(f)")
        }
        let groups = n / groupSize
        var y = try x.reshaped([groupSize, groups, f, c / f, h, w])
        y = try y - y.mean(axes: [0], keepDims: true)
        y = try y.square().mean(axes: [0])
        y = (y + 1e-8).sqrt()
        y = try y.mean(axes: [2, 3, 4])
        y = try y.reshaped([1, groups, f, 1, 1]).expand(to: [groupSize, groups, f, h, w]).reshaped([n, f, h, w])
        return try Tensor.concatenate([x, y], axis: 1)
    }
}
