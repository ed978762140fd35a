import Foundation

/// A stored tensor's header: what a layout judges.
public struct TensorHeader: Equatable, Sendable {
    public let name: String
    public let shape: [Int]
    public let kind: TensorKind

    public init(name: String, shape: [Int], kind: TensorKind) {
        self.name = name
        self.shape = shape
        self.kind = kind
    }
}

/// A stored network's name and tensor headers, in stored order.
public struct NetworkHeader: Sendable {
    public let name: String
    public let tensors: [TensorHeader]

    public init(name: String, tensors: [TensorHeader]) {
        self.name = name
        self.tensors = tensors
    }
}

/// What the networks of a checkpoint must hold given its architecture document, decided by the module that
/// knows the architecture (Networks, for StyleGAN2). This module stores named tensors, an architecture
/// document and provenance without knowing any network; a reader is opened with a layout so that a file whose
/// tensors contradict its architecture is refused on open (docs/checkpoint-format.md §3, §4).
public protocol CheckpointLayout {
    /// Every problem of the architecture document and every contradiction between it and the stored
    /// networks, each naming its HDF5 object. Empty when they agree.
    func problems(architecture: JSONValue, networks: [NetworkHeader]) -> [CheckpointProblem]
    /// Labels that group a network's tensors in summaries (e.g. by block resolution), by tensor name;
    /// tensors without one are grouped as "other".
    func resolutionGroups(network: NetworkHeader, architecture: JSONValue) -> [String: String]
}

/// For files whose tensors no network computes with (e.g. cached FID statistics): the architecture
/// document is stored as it is and the tensors are not compared with any layout.
public struct UnlaidOutTensors: CheckpointLayout {
    public init() {}
    public func problems(architecture: JSONValue, networks: [NetworkHeader]) -> [CheckpointProblem] { [] }
    public func resolutionGroups(network: NetworkHeader, architecture: JSONValue) -> [String: String] { [:] }
}

/// Two lists of named things matched by name, in the first list's order: what both hold, and what only one
/// does. Layout checks (stored against declared tensors) and surgery (one file against another) compare this way.
public struct NameMatching<First, Second> {
    public var pairs: [(First, Second)] = []
    public var onlyFirst: [First] = []
    public var onlySecond: [Second] = []

    /// A name repeated in `second` is matched by its first occurrence.
    public init(_ first: [First], _ second: [Second], firstName: (First) -> String, secondName: (Second) -> String) {
        let byName = Dictionary(second.map { (secondName($0), $0) }, uniquingKeysWith: { earlier, _ in earlier })
        for item in first {
            if let match = byName[firstName(item)] { pairs.append((item, match)) } else { onlyFirst.append(item) }
        }
        let firstNames = Set(first.map(firstName))
        onlySecond = second.filter { !firstNames.contains(secondName($0)) }
    }
}
