import Foundation
import Checkpoint

/// One tensor a network of a given architecture must have, in NVIDIA naming.
public struct ExpectedTensor: Equatable, Sendable {
    public let name: String
    public let shape: [Int]
    public let kind: TensorKind
}

/// The NVIDIA StyleGAN2-ADA tensor layout (`state_dict()` names, shapes and order) of G
/// ('skip' synthesis) and D ('resnet'), generated from an `Architecture` (formats.md §3, A1, A2).
/// Importers check every result against it, so a wrong config or mapping cannot slip through.
public enum NetworkLayout {
    public static func generator(_ arch: Architecture) -> [ExpectedTensor] {
        var tensors: [ExpectedTensor] = []
        func add(_ name: String, _ shape: [Int], _ kind: TensorKind = .parameter) {
            tensors.append(ExpectedTensor(name: name, shape: shape, kind: kind))
        }
        func synthesisLayer(_ prefix: String, input: Int, output: Int, resolution: Int) {
            add("\(prefix).weight", [output, input, 3, 3])
            add("\(prefix).noise_strength", [])
            add("\(prefix).bias", [output])
            add("\(prefix).resample_filter", [4, 4], .buffer)
            add("\(prefix).noise_const", [resolution, resolution], .buffer)
            add("\(prefix).affine.weight", [input, arch.wDim])
            add("\(prefix).affine.bias", [input])
        }
        for resolution in arch.blockResolutions {
            let block = "synthesis.b\(resolution)"
            let channels = arch.channels(at: resolution)
            if resolution == 4 { add("\(block).const", [channels, 4, 4]) }
            add("\(block).resample_filter", [4, 4], .buffer)
            if resolution > 4 {
                synthesisLayer("\(block).conv0", input: arch.channels(at: resolution / 2), output: channels, resolution: resolution)
            }
            synthesisLayer("\(block).conv1", input: channels, output: channels, resolution: resolution)
            add("\(block).torgb.weight", [arch.imgChannels, channels, 1, 1])
            add("\(block).torgb.bias", [arch.imgChannels])
            add("\(block).torgb.affine.weight", [channels, arch.wDim])
            add("\(block).torgb.affine.bias", [channels])
        }
        add("mapping.w_avg", [arch.wDim], .buffer)
        for layer in 0..<arch.mappingLayers {
            let input = layer == 0 ? arch.zDim : arch.wDim
            add("mapping.fc\(layer).weight", [arch.wDim, input])
            add("mapping.fc\(layer).bias", [arch.wDim])
        }
        return tensors
    }

    public static func discriminator(_ arch: Architecture) -> [ExpectedTensor] {
        var tensors: [ExpectedTensor] = []
        func add(_ name: String, _ shape: [Int], _ kind: TensorKind = .parameter) {
            tensors.append(ExpectedTensor(name: name, shape: shape, kind: kind))
        }
        func conv(_ prefix: String, _ output: Int, _ input: Int, kernel: Int, bias: Bool = true) {
            add("\(prefix).weight", [output, input, kernel, kernel])
            if bias { add("\(prefix).bias", [output]) }
            add("\(prefix).resample_filter", [4, 4], .buffer)
        }
        for resolution in arch.blockResolutions.reversed() where resolution > 4 {
            let block = "b\(resolution)"
            let channels = arch.channels(at: resolution)
            let next = arch.channels(at: resolution / 2)
            add("\(block).resample_filter", [4, 4], .buffer)
            if resolution == arch.resolution { conv("\(block).fromrgb", channels, arch.imgChannels, kernel: 1) }
            conv("\(block).conv0", channels, channels, kernel: 3)
            conv("\(block).conv1", next, channels, kernel: 3)
            conv("\(block).skip", next, channels, kernel: 1, bias: false)
        }
        let channels = arch.channels(at: 4)
        conv("b4.conv", channels, channels + arch.mbstdNumChannels, kernel: 3)
        add("b4.fc.weight", [channels, channels * 16])
        add("b4.fc.bias", [channels])
        add("b4.out.weight", [1, channels])
        add("b4.out.bias", [1])
        return tensors
    }

    /// The layout a network named `G`, `G_ema` or `D` must have.
    public static func expected(network: String, _ arch: Architecture) -> [ExpectedTensor] {
        network == "D" ? discriminator(arch) : generator(arch)
    }

    /// Compares tensors with the layout of `arch`; any missing, extra or misshapen tensor, or a
    /// parameter stored as a buffer, is an error naming it.
    public static func verify(network: String, _ tensors: [TensorEntry], against arch: Architecture) throws {
        let expected = expected(network: network, arch)
        let actualNames = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        guard actualNames.count == tensors.count else { throw InteropError("network \(network) has duplicate tensor names") }
        for want in expected {
            guard let have = actualNames[want.name] else {
                throw InteropError("network \(network) lacks \(want.name) \(want.shape), which the architecture requires (\(arch.summary))")
            }
            guard have.data.shape == want.shape else {
                throw InteropError("network \(network): \(want.name) has shape \(have.data.shape) but the architecture (\(arch.summary)) implies \(want.shape)")
            }
            guard have.kind == want.kind else {
                throw InteropError("network \(network): \(want.name) is stored as a \(have.kind.rawValue), expected a \(want.kind.rawValue)")
            }
        }
        let expectedNames = Set(expected.map(\.name))
        if let extra = tensors.first(where: { !expectedNames.contains($0.name) }) {
            throw InteropError("network \(network) has an unexpected tensor \(extra.name) \(extra.data.shape) for the architecture (\(arch.summary))")
        }
    }

    /// `outer([1,3,3,1], [1,3,3,1]) / 64`, the value of every NVIDIA `resample_filter` buffer.
    public static func standardResampleFilter() -> TensorData {
        let taps: [Float] = [1, 3, 3, 1]
        let values = taps.flatMap { row in taps.map { row * $0 / 64 } }
        return try! TensorData(float32: values, shape: [4, 4])
    }
}

extension Architecture {
    static let maxResolution = 1 << 16
    static let maxDimension = 1 << 20

    /// Bounds every number that sizes a layout, so that an architecture read from a file (kwargs,
    /// metadata) cannot make layout generation overflow or allocate without limit.
    func checkPlausible() throws {
        guard resolution >= 4, resolution <= Self.maxResolution, resolution & (resolution - 1) == 0 else {
            throw InteropError("resolution \(resolution) is not a power of two between 4 and \(Self.maxResolution)")
        }
        let sizes = [("z_dim", zDim, 0), ("w_dim", wDim, 0), ("channel_base", channelBase, 1), ("channel_max", channelMax, 1),
                     ("img_channels", imgChannels, 1), ("mbstd_num_channels", mbstdNumChannels, 0)]
        for (name, value, minimum) in sizes where value < minimum || value > Self.maxDimension {
            throw InteropError("\(name) \(value) is outside \(minimum)...\(Self.maxDimension)")
        }
        guard (0...64).contains(mappingLayers) else { throw InteropError("\(mappingLayers) mapping layers is outside 0...64") }
    }

    var summary: String {
        "resolution \(resolution), z/w \(zDim)/\(wDim), \(mappingLayers) mapping layers, channel_base \(channelBase), channel_max \(channelMax)"
    }
}
