import Foundation
import Checkpoint

extension NetworkLayout {
    /// Compares tensors with the layout of `arch`; the first contradiction (a missing, extra or misshapen
    /// tensor, or a parameter stored as a buffer) is an error naming it.
    public static func verify(network: String, _ tensors: [TensorEntry], against arch: Architecture) throws {
        let stored = tensors.map { (name: $0.name, shape: $0.data.shape, kind: $0.kind) }
        if let first = contradictions(network: network, stored, against: arch).first { throw InteropError(first) }
    }
}

extension Architecture {
    /// Bounds every number that sizes a layout (`plausibilityProblem`), as an import error.
    func checkPlausible() throws {
        if let problem = plausibilityProblem { throw InteropError(problem) }
    }
}
