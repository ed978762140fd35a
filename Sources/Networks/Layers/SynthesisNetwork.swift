import Checkpoint
import Engine

/// NVIDIA's SynthesisBlock ('skip' architecture): at 4×4 the learned const and one layer; above, an
/// up-sampling conv0 and a conv1; each ends in a ToRGB whose image is added to the up-sampled image of the
/// block below (docs/network-maths.md §4).
public struct SynthesisBlock: Module {
    public let path: ModulePath
    public let resolution: Int
    public let const: TensorDeclaration?
    public let resampleFilter: TensorDeclaration
    public let conv0: SynthesisLayer?
    public let conv1: SynthesisLayer
    public let torgb: ToRGBLayer
    let filter: FIRFilter

    init(_ path: ModulePath, resolution: Int, _ a: Architecture) {
        self.path = path
        self.resolution = resolution
        filter = a.firFilter
        let channels = a.channels(at: resolution)
        const = resolution == 4 ? path.parameter("const", [channels, 4, 4], .normal(scale: 1)) : nil
        resampleFilter = path.buffer("resample_filter", [4, 4], .resampleFilter(a.resampleFilter))
        conv0 = resolution > 4 ? SynthesisLayer(path.child("conv0"), inChannels: a.channels(at: resolution / 2), outChannels: channels,
                                                 wDim: a.wDim, resolution: resolution, upsamples: true, a) : nil
        conv1 = SynthesisLayer(path.child("conv1"), inChannels: channels, outChannels: channels, wDim: a.wDim,
                               resolution: resolution, upsamples: false, a)
        torgb = ToRGBLayer(path.child("torgb"), inChannels: channels, wDim: a.wDim, a)
    }

    public var ownTensors: [TensorDeclaration] { (const.map { [$0] } ?? []) + [resampleFilter] }
    public var children: [any Module] { layers + [torgb] }

    /// The block's synthesis layers in order: conv0 (above 4×4), conv1.
    public var layers: [SynthesisLayer] { (conv0.map { [$0] } ?? []) + [conv1] }

    /// The number of ws the block consumes (conv0 and conv1; its ToRGB reads the next block's first w).
    var convolutionCount: Int { layers.count }

    /// The block's tensors by level of blending granularity: level 0 is the block's own (const, its filter) and
    /// conv0, level 1 is conv1 and ToRGB (toonify's blend_models.py blends per level).
    public var tensorsByLevel: [[TensorDeclaration]] { [ownTensors + (conv0?.tensors ?? []), conv1.tensors + torgb.tensors] }

    /// x (nil at 4×4) and the image so far → both after this block; `ws` holds the block's ws and the ToRGB's.
    func callAsFunction(_ features: Tensor?, image: Tensor?, ws: [Tensor], noise: () -> LayerNoise, batch n: Int,
                        _ p: ParameterSet) throws -> (x: Tensor, image: Tensor) {
        var x: Tensor
        var next = 0
        if let conv0, let input = features {
            x = try conv0(input, w: ws[next], noise: noise(), p)
            next += 1
        } else {
            guard let const else { throw NetworkError("synthesis block \(path.name) has no input") }
            let value = try p.tensor(const)
            x = try value.reshaped([1] + value.shape).expand(to: [n] + value.shape)
        }
        x = try conv1(x, w: ws[next], noise: noise(), p)
        let rgb = try torgb(x, w: ws[next + 1], p)
        guard let image else { return (x, rgb) }
        let upsampled = try Tensor.upfirdn2d(image, filter: filter, up: 2,
                                             padding: FIRPadding(left: 2, right: 1, top: 2, bottom: 1), gain: 4)
        return (x, try upsampled + rgb)
    }
}

/// NVIDIA's SynthesisNetwork: one block per resolution 4, 8, …, R.
public struct SynthesisNetwork: Module {
    public let path: ModulePath
    public let blocks: [SynthesisBlock]

    init(_ path: ModulePath, _ a: Architecture) {
        self.path = path
        blocks = a.blockResolutions.map { SynthesisBlock(path.child("b\($0)"), resolution: $0, a) }
    }

    public var ownTensors: [TensorDeclaration] { [] }
    public var children: [any Module] { blocks }

    /// ws consumed: each block's convolutions, plus the last ToRGB's.
    public var numWs: Int { blocks.reduce(0) { $0 + $1.convolutionCount } + 1 }

    public func block(at resolution: Int) -> SynthesisBlock? { blocks.first { $0.resolution == resolution } }

    /// Every synthesis layer, in synthesis order.
    public var layers: [SynthesisLayer] { blocks.flatMap(\.layers) }

    /// Every convolution's stored noise image, in synthesis order (what a projector optimises).
    public var noiseConstants: [TensorDeclaration] { layers.map(\.noiseConst) }
}
