import Checkpoint
import Engine

/// The named tensors of one network (G, G_ema or D), in state_dict order, as the layers read them.
/// Training swaps in leaves that require gradients; inference uses plain tensors.
public struct ParameterSet {
    public let network: String
    public private(set) var names: [String]
    private var tensors: [String: Tensor]
    private var kinds: [String: TensorKind]
    /// What `keepDerived` computed from a tensor's value; replacing the value drops them.
    private var derivations: [String: [WeightDerivation: Tensor]]

    public init(network: String) {
        self.network = network
        names = []
        tensors = [:]
        kinds = [:]
        derivations = [:]
    }

    /// Converts checkpoint entries to float32 tensors.
    public init(network: String, entries: [TensorEntry]) throws {
        self.init(network: network)
        for entry in entries {
            let values = try entry.data.floats()
            try set(entry.name, Tensor(shape: entry.data.shape, values: values), kind: entry.kind)
        }
    }

    public var count: Int { names.count }

    public func contains(_ name: String) -> Bool { tensors[name] != nil }

    public func kind(of name: String) -> TensorKind? { kinds[name] }

    public func tensor(_ name: String) throws -> Tensor {
        guard let tensor = tensors[name] else {
            throw NetworkError("network \(network) has no tensor '\(name)'")
        }
        return tensor
    }

    public mutating func set(_ name: String, _ tensor: Tensor, kind: TensorKind = .parameter) {
        if tensors[name] == nil { names.append(name) }
        tensors[name] = tensor
        kinds[name] = kind
        derivations[name] = nil
    }

    /// `derivation` of the declared tensor: the one `keepDerived` kept, or computed now.
    func derived(_ derivation: WeightDerivation, of declaration: TensorDeclaration) throws -> Tensor {
        if let kept = derivations[declaration.name]?[derivation] { return kept }
        return try derivation.apply(to: tensor(declaration))
    }

    /// Computes `derivation` of the declared tensor once, for every later `derived` until the tensor is replaced. Kept
    /// values carry no gradient, so a tensor that requires one is refused. A derived convolution weight keeps its
    /// convolution transforms when the tensor it is derived from does (`keepConvolutionTransforms`).
    mutating func keepDerived(_ derivation: WeightDerivation, of declaration: TensorDeclaration) throws {
        let value = try fixedValue(of: declaration, keeping: "its \(derivation) cannot be computed ahead")
        let derived = try GradMode.withoutGrad { try derivation.apply(to: value) }
        let kept = derivation.isConvolutionWeight && value.keepsConvolutionTransforms ? derived.keepingConvolutionTransforms() : derived
        try keep(kept, as: derivation, of: declaration)
    }

    /// Marks the declared weight as one whose convolution transforms are kept (`Tensor.keepingConvolutionTransforms`),
    /// until it is replaced. Refused for a tensor that requires a gradient: training replaces it every step.
    mutating func keepConvolutionTransforms(of declaration: TensorDeclaration) throws {
        tensors[declaration.name] = try fixedValue(of: declaration, keeping: "its convolution transforms cannot be kept")
            .keepingConvolutionTransforms()
    }

    /// The declared tensor's value, refused when it requires a gradient: what is kept of it carries none, and training replaces it
    /// every step.
    private func fixedValue(of declaration: TensorDeclaration, keeping refusal: String) throws -> Tensor {
        let value = try tensor(declaration)
        guard !value.requiresGrad else { throw NetworkError("\(network) tensor \(declaration.name) requires a gradient: \(refusal)") }
        return value
    }

    /// Keeps `value` as `derivation` of the declared tensor until the tensor is replaced.
    mutating func keep(_ value: Tensor, as derivation: WeightDerivation, of declaration: TensorDeclaration) throws {
        _ = try tensor(declaration)
        derivations[declaration.name, default: [:]][derivation] = value
    }

    /// The set as checkpoint entries (float32), in the same order.
    public func entries(trainable: (String) -> Bool = { _ in true }) throws -> [TensorEntry] {
        try names.map { name in
            let tensor = tensors[name]!
            return TensorEntry(name: name, kind: kinds[name] ?? .parameter, trainable: trainable(name),
                               data: try TensorData(float32: tensor.scalars, shape: tensor.shape))
        }
    }
}

public struct NetworkError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension ParameterSet {
    /// A copy in which the named tensors are fresh autograd leaves, and those leaves by name.
    public func withGradientLeaves(_ trainable: Set<String>) -> (ParameterSet, [(String, Tensor)]) {
        var copy = self
        var leaves: [(String, Tensor)] = []
        for name in names where trainable.contains(name) {
            let leaf = tensors[name]!.detached().requiringGrad()
            copy.tensors[name] = leaf
            copy.derivations[name] = nil
            leaves.append((name, leaf))
        }
        return (copy, leaves)
    }

    /// Names of the parameters (not buffers).
    public var parameterNames: [String] { names.filter { kinds[$0] != .buffer } }
}

extension Generator {
    /// Leaves for the trainable tensors and a generator computing with them.
    public func withGradientLeaves(_ trainable: Set<String>) throws -> ([(String, Tensor)], Generator) {
        var copy = self
        let (parameters, leaves) = self.parameters.withGradientLeaves(trainable)
        copy.parameters = parameters
        return (leaves, copy)
    }
}

extension Discriminator {
    public func withGradientLeaves(_ trainable: Set<String>) throws -> ([(String, Tensor)], Discriminator) {
        var copy = self
        let (parameters, leaves) = self.parameters.withGradientLeaves(trainable)
        copy.parameters = parameters
        return (leaves, copy)
    }
}
