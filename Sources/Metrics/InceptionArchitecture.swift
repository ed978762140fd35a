import Engine

/// One BasicConv2d of torchvision's Inception-v3: a convolution without bias, batch norm with
/// eps 0.001 (evaluation form), ReLU. `name` is the state-dict prefix, e.g. `Mixed_6b.branch7x7_2`.
public struct InceptionConv: Equatable, Sendable {
    public let name: String
    public let inChannels: Int
    public let outChannels: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let stride: Int
    public let paddingHeight: Int
    public let paddingWidth: Int

    public var weightShape: [Int] { [outChannels, inChannels, kernelHeight, kernelWidth] }
    var options: ConvOptions { ConvOptions(stride: stride, padding: (paddingHeight, paddingWidth)) }
    /// 1×1, stride 1, no padding.
    var isPointwise: Bool { kernelHeight == 1 && kernelWidth == 1 && stride == 1 && paddingHeight == 0 && paddingWidth == 0 }
}

/// The blocks of pytorch-fid's FID Inception-v3 up to the 2048-d pool3 features (see
/// schemas/fid-inception.md for where each detail comes from).
enum InceptionBlock {
    /// How the last two E blocks pool their fourth branch: FIDInceptionE_1 averages (without padded
    /// positions), FIDInceptionE_2 takes the maximum.
    enum BranchPool { case average, max }

    /// Conv2d_1a … Conv2d_4a with the two stride-2 max pools (pytorch-fid's blocks 0 and 1).
    case stem
    case a(String, inChannels: Int, poolFeatures: Int)
    case b(String, inChannels: Int)
    case c(String, inChannels: Int, channels7x7: Int)
    case d(String, inChannels: Int)
    case e(String, inChannels: Int, pool: BranchPool)

    static let all: [InceptionBlock] = [
        .stem,
        .a("Mixed_5b", inChannels: 192, poolFeatures: 32),
        .a("Mixed_5c", inChannels: 256, poolFeatures: 64),
        .a("Mixed_5d", inChannels: 288, poolFeatures: 64),
        .b("Mixed_6a", inChannels: 288),
        .c("Mixed_6b", inChannels: 768, channels7x7: 128),
        .c("Mixed_6c", inChannels: 768, channels7x7: 160),
        .c("Mixed_6d", inChannels: 768, channels7x7: 160),
        .c("Mixed_6e", inChannels: 768, channels7x7: 192),
        .d("Mixed_7a", inChannels: 768),
        .e("Mixed_7b", inChannels: 1280, pool: .average),
        .e("Mixed_7c", inChannels: 2048, pool: .max),
    ]

    /// The convolutions of this block, in state-dict order.
    var convs: [InceptionConv] {
        func conv(_ prefix: String, _ cin: Int, _ cout: Int, _ kh: Int, _ kw: Int, stride: Int = 1,
                  pad: (Int, Int) = (0, 0)) -> InceptionConv {
            InceptionConv(name: prefix, inChannels: cin, outChannels: cout, kernelHeight: kh, kernelWidth: kw,
                          stride: stride, paddingHeight: pad.0, paddingWidth: pad.1)
        }
        switch self {
        case .stem:
            return [conv("Conv2d_1a_3x3", 3, 32, 3, 3, stride: 2), conv("Conv2d_2a_3x3", 32, 32, 3, 3),
                    conv("Conv2d_2b_3x3", 32, 64, 3, 3, pad: (1, 1)), conv("Conv2d_3b_1x1", 64, 80, 1, 1),
                    conv("Conv2d_4a_3x3", 80, 192, 3, 3)]
        case .a(let n, let cin, let poolFeatures):
            return [conv("\(n).branch1x1", cin, 64, 1, 1),
                    conv("\(n).branch5x5_1", cin, 48, 1, 1), conv("\(n).branch5x5_2", 48, 64, 5, 5, pad: (2, 2)),
                    conv("\(n).branch3x3dbl_1", cin, 64, 1, 1), conv("\(n).branch3x3dbl_2", 64, 96, 3, 3, pad: (1, 1)),
                    conv("\(n).branch3x3dbl_3", 96, 96, 3, 3, pad: (1, 1)),
                    conv("\(n).branch_pool", cin, poolFeatures, 1, 1)]
        case .b(let n, let cin):
            return [conv("\(n).branch3x3", cin, 384, 3, 3, stride: 2),
                    conv("\(n).branch3x3dbl_1", cin, 64, 1, 1), conv("\(n).branch3x3dbl_2", 64, 96, 3, 3, pad: (1, 1)),
                    conv("\(n).branch3x3dbl_3", 96, 96, 3, 3, stride: 2)]
        case .c(let n, let cin, let c7):
            return [conv("\(n).branch1x1", cin, 192, 1, 1),
                    conv("\(n).branch7x7_1", cin, c7, 1, 1), conv("\(n).branch7x7_2", c7, c7, 1, 7, pad: (0, 3)),
                    conv("\(n).branch7x7_3", c7, 192, 7, 1, pad: (3, 0)),
                    conv("\(n).branch7x7dbl_1", cin, c7, 1, 1), conv("\(n).branch7x7dbl_2", c7, c7, 7, 1, pad: (3, 0)),
                    conv("\(n).branch7x7dbl_3", c7, c7, 1, 7, pad: (0, 3)), conv("\(n).branch7x7dbl_4", c7, c7, 7, 1, pad: (3, 0)),
                    conv("\(n).branch7x7dbl_5", c7, 192, 1, 7, pad: (0, 3)),
                    conv("\(n).branch_pool", cin, 192, 1, 1)]
        case .d(let n, let cin):
            return [conv("\(n).branch3x3_1", cin, 192, 1, 1), conv("\(n).branch3x3_2", 192, 320, 3, 3, stride: 2),
                    conv("\(n).branch7x7x3_1", cin, 192, 1, 1), conv("\(n).branch7x7x3_2", 192, 192, 1, 7, pad: (0, 3)),
                    conv("\(n).branch7x7x3_3", 192, 192, 7, 1, pad: (3, 0)), conv("\(n).branch7x7x3_4", 192, 192, 3, 3, stride: 2)]
        case .e(let n, let cin, _):
            return [conv("\(n).branch1x1", cin, 320, 1, 1),
                    conv("\(n).branch3x3_1", cin, 384, 1, 1), conv("\(n).branch3x3_2a", 384, 384, 1, 3, pad: (0, 1)),
                    conv("\(n).branch3x3_2b", 384, 384, 3, 1, pad: (1, 0)),
                    conv("\(n).branch3x3dbl_1", cin, 448, 1, 1), conv("\(n).branch3x3dbl_2", 448, 384, 3, 3, pad: (1, 1)),
                    conv("\(n).branch3x3dbl_3a", 384, 384, 1, 3, pad: (0, 1)), conv("\(n).branch3x3dbl_3b", 384, 384, 3, 1, pad: (1, 0)),
                    conv("\(n).branch_pool", cin, 192, 1, 1)]
        }
    }
}

/// Constants of the network that every part of the module agrees on.
public enum InceptionArchitecture {
    /// pytorch-fid resizes every input to this size (bilinear, align_corners=False).
    public static let inputSize = 299
    public static let featureDimension = 2048
    /// torchvision's BasicConv2d: BatchNorm2d(eps=0.001).
    public static let batchNormEpsilon = 0.001
    /// The smallest square input that still leaves a 1×1 map after the last stride-2 block.
    public static let minimumInputSize = 75

    /// Every BasicConv2d of the feature network, in state-dict order (94 layers).
    public static let convs: [InceptionConv] = InceptionBlock.all.flatMap(\.convs)

    /// The batch-norm tensors of one conv layer, as the state dict names them.
    static let batchNormSuffixes = ["bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"]
}
