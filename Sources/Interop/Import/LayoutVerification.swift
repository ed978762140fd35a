import Foundation
import Checkpoint

extension NetworkLayout {
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
