import Foundation
import Checkpoint
import Networks

/// Applies a `RenamedTensor` table in either direction. Apart from the scaled up-sampling
/// kernels, tensors keep their bytes and only change name and shape.
enum TensorRenaming {
    /// Foreign tensors → NVIDIA entries in `state_dict()` order. NVIDIA tensors without a foreign
    /// counterpart come from `supplied` (e.g. `mapping.w_avg` from `latent_avg`); resample filters
    /// without one are rebuilt as the standard filter. Unused foreign tensors are an error.
    static func toNvidia(_ foreign: [String: TensorData], network: String, arch: Architecture, pairs: [RenamedTensor],
                         supplied: [String: TensorData], label: String) throws -> [TensorEntry] {
        let byNvidia = Dictionary(uniqueKeysWithValues: pairs.map { ($0.nvidia, $0) })
        var entries: [TensorEntry] = []
        for expected in try declarations(network: network, arch, tensorNames: Set(pairs.map(\.nvidia))) {
            let data: TensorData
            if let pair = byNvidia[expected.name] {
                guard let source = foreign[pair.foreign] else {
                    throw InteropError("\(label) lacks \(pair.foreign), which holds \(network).\(expected.name)")
                }
                guard source.shape == pair.foreignShape else {
                    throw InteropError("\(label).\(pair.foreign) has shape \(source.shape), expected \(pair.foreignShape) (\(arch.summary))")
                }
                data = try InteropError.context("\(label).\(pair.foreign)") {
                    try reshaped(source, to: expected.shape, dividedBy: pair.scale)
                }
            } else if let value = supplied[expected.name] {
                data = value
            } else if let fixed = expected.initializer.fixedValues {
                data = try TensorData(float32: fixed, shape: expected.shape)
            } else {
                throw InteropError("\(label) has no source for \(network).\(expected.name)")
            }
            entries.append(TensorEntry(name: expected.name, kind: expected.kind, trainable: true, data: data))
        }
        let used = Set(pairs.map(\.foreign))
        if let unused = foreign.keys.sorted().first(where: { !used.contains($0) }) {
            throw InteropError("\(label) has a tensor \(unused) \(foreign[unused]!.shape) that this mapping does not know (\(arch.summary))")
        }
        return entries
    }

    /// NVIDIA entries → foreign (name, tensor) pairs in table order. Returns notes about NVIDIA
    /// tensors the foreign layout cannot hold (non-standard resample filters).
    static func fromNvidia(_ tensors: [TensorEntry], network: String, arch: Architecture, pairs: [RenamedTensor]) throws -> (tensors: [(String, TensorData)], notes: [String]) {
        let byName = Dictionary(tensors.map { ($0.name, $0.data) }, uniquingKeysWith: { first, _ in first })
        var result: [(String, TensorData)] = []
        for pair in pairs {
            guard let source = byName[pair.nvidia] else { throw InteropError("network \(network) lacks \(pair.nvidia)") }
            result.append((pair.foreign, try InteropError.context("\(network).\(pair.nvidia)") {
                try reshaped(source, to: pair.foreignShape, dividedBy: 1 / pair.scale)
            }))
        }
        let paired = Set(pairs.map(\.nvidia))
        let unpaired = Dictionary(tensors.filter { !paired.contains($0.name) }.map { ($0.name, $0.data) }, uniquingKeysWith: { first, _ in first })
        let declared = try declarations(network: network, arch, tensorNames: Set(tensors.map(\.name)))
        let notes = try NetworkLayout.fixedValueContradictions(declared, architecture: arch) { try unpaired[$0]?.floats() }
            .map { "\(network): \($0); the rosinality layout has no place for it" }
        return (result, notes)
    }

    /// The tensors the module tree of `network` declares; only G, G_ema and D have one.
    private static func declarations(network: String, _ arch: Architecture, tensorNames: Set<String>) throws -> [TensorDeclaration] {
        guard let tree = NetworkLayout.tree(network: network, arch, tensorNames: tensorNames) else {
            throw InteropError("network \(network) is not one the renaming tables cover (G, G_ema or D)")
        }
        return tree.tensors
    }

    /// Same bytes under a new shape; filters divided by `divisor` (a power of two, so exact).
    private static func reshaped(_ data: TensorData, to shape: [Int], dividedBy divisor: Float) throws -> TensorData {
        guard divisor != 1 else { return try TensorData(dtype: data.dtype, shape: shape, bytes: data.bytes) }
        guard data.dtype == .float32 else { throw InteropError("a scaled filter must be float32, not \(data.dtype.rawValue)") }
        return try TensorData(float32: try data.floats().map { $0 / divisor }, shape: shape)
    }
}
