import Checkpoint
import Foundation
import Networks
#if canImport(Glibc)
import Glibc
#endif

/// Which tensors of one network `freeze` marks. Only parameters are ever selected: buffers are not trained.
public enum TensorSelection: Equatable, Sendable {
    /// The first N discriminator layers counted from the image input, in FreezeD order (`NetworkAnatomy.freezeOrder`).
    case layers(Int)
    /// Whole blocks by resolution: a discriminator's blocks (4 is the epilogue) or a generator's synthesis blocks.
    case blocks([Int])
    /// Each pattern is a glob (when it contains `*`, `?` or `[`) over the whole name, otherwise a substring.
    case names([String])

    /// The selected tensor names, in stored order; throws when the selection cannot apply or matches nothing.
    public func select(from infos: [TensorInfo], anatomy: NetworkAnatomy, network: String) throws -> [String] {
        let parameters = infos.filter { $0.kind == .parameter }.map(\.name)
        switch self {
        case .layers(let count):
            let order = anatomy.freezeOrder
            guard !order.isEmpty else {
                throw SurgeryError.invalidParameter("--layers counts discriminator layers, but network \(network) is not a discriminator of this architecture; use --blocks or --names")
            }
            if let problem = anatomy.freezeDepthProblem(option: "--layers", count: count, network: network) {
                throw SurgeryError.invalidParameter(problem)
            }
            let chosen = Set(order.prefix(count).flatMap(\.tensors))
            return parameters.filter(chosen.contains)
        case .blocks(let resolutions):
            let wanted = Set(resolutions)
            let present = Set(parameters.compactMap { anatomy.places[$0]?.resolution })
            let missing = wanted.subtracting(present).sorted()
            guard missing.isEmpty else {
                throw SurgeryError.invalidParameter("--blocks: network \(network) has no block at \(missing.map(String.init).joined(separator: ", ")) (it has \(present.sorted().map(String.init).joined(separator: ", ")))")
            }
            return parameters.filter { anatomy.places[$0]?.resolution.map(wanted.contains) ?? false }
        case .names(let patterns):
            for pattern in patterns where !parameters.contains(where: { TensorSelection.matches($0, pattern) }) {
                throw SurgeryError.invalidParameter("--names '\(pattern)' matches no parameter of network \(network)")
            }
            return parameters.filter { name in patterns.contains { TensorSelection.matches(name, $0) } }
        }
    }

    /// Glob when the pattern has a glob character, else substring (mergekit's filters are substrings).
    public static func matches(_ name: String, _ pattern: String) -> Bool {
        if pattern.contains(where: { "*?[".contains($0) }) { return fnmatch(pattern, name, 0) == 0 }
        return name.contains(pattern)
    }
}
