import Foundation
import Checkpoint
import Networks

extension ImportedNetwork {
    /// Compares the tensors with the layout of `arch` (docs/checkpoint-format.md §4): the first contradiction
    /// (a missing, extra or misshapen tensor, a parameter stored as a buffer, or a resampling filter other than
    /// the architecture's) is an error naming it. Returns the layout's declarations in state_dict order.
    @discardableResult
    func verify(against arch: Architecture) throws -> [TensorDeclaration] {
        let stored = tensors.map { TensorHeader(name: $0.name, shape: $0.data.shape, kind: $0.kind) }
        guard let tree = NetworkLayout.tree(network: name, arch, tensorNames: Set(stored.map(\.name))) else {
            throw InteropError("network \(name) is not one toonkit imports (G, G_ema or D)")
        }
        let expected = tree.tensors
        if let first = NetworkLayout.contradictions(network: name, stored, expected: expected, architecture: arch).first {
            throw InteropError(first)
        }
        let byName = Dictionary(tensors.map { ($0.name, $0.data) }, uniquingKeysWith: { first, _ in first })
        if let first = try NetworkLayout.fixedValueContradictions(expected, architecture: arch, values: { try byName[$0]?.floats() }).first {
            throw InteropError("network \(name): \(first)")
        }
        return expected
    }
}

extension Architecture {
    /// Bounds every number that sizes a layout (`plausibilityProblem`), as an import error.
    func checkPlausible() throws {
        if let problem = plausibilityProblem { throw InteropError(problem) }
    }
}
