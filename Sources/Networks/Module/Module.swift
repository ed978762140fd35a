import Checkpoint
import Engine

/// How a tensor of a new network is filled, as NVIDIA's constructors fill it (docs/network-maths.md §6).
public enum TensorInitializer: Equatable, Sendable {
    /// N(0, 1) · scale (weights: scale 1 / lr_multiplier; const and noise_const: 1).
    case normal(scale: Float)
    case constant(Float)
    /// outer(taps, taps) / sum(taps)²: a value the architecture fixes, never trained or mixed.
    case resampleFilter([Double])

    /// The value the architecture fixes, for tensors that must hold exactly it; nil for learned or random ones.
    public var fixedValues: [Float]? {
        guard case .resampleFilter(let taps) = self else { return nil }
        let outer = taps.flatMap { a in taps.map { a * $0 } }
        let total = outer.reduce(0, +)
        return outer.map { Float($0 / total) }
    }
}

/// One tensor a module declares: its full dotted state_dict name, shape, kind and initial value.
public struct TensorDeclaration: Equatable, Sendable {
    public let name: String
    public let shape: [Int]
    public let kind: TensorKind
    public let initializer: TensorInitializer
}

/// The dotted path of a module in its network; modules name their tensors and children through it,
/// so every state_dict name is the path of the module that declares it plus one local name.
public struct ModulePath: Equatable, Sendable {
    public let components: [String]

    public static let root = ModulePath(components: [])

    public func child(_ name: String) -> ModulePath { ModulePath(components: components + [name]) }

    public var name: String { components.joined(separator: ".") }

    func parameter(_ local: String, _ shape: [Int], _ initializer: TensorInitializer) -> TensorDeclaration {
        TensorDeclaration(name: child(local).name, shape: shape, kind: .parameter, initializer: initializer)
    }

    func buffer(_ local: String, _ shape: [Int], _ initializer: TensorInitializer) -> TensorDeclaration {
        TensorDeclaration(name: child(local).name, shape: shape, kind: .buffer, initializer: initializer)
    }
}

/// A node of a network's module tree, in the manner of MLXNN's `Module` and of the `torch.nn.Module`s of
/// NVIDIA's networks.py: each layer declares its own tensors once and lists its children; the layout a
/// checkpoint must follow, the initial values of a new network and every structural query derive from the
/// tree. The forward passes live on the concrete types and read their tensors through their declarations.
public protocol Module {
    var path: ModulePath { get }
    /// This module's own tensors in state_dict order: parameters, then buffers.
    var ownTensors: [TensorDeclaration] { get }
    /// Child modules in registration order.
    var children: [any Module] { get }
}

extension Module {
    /// Every tensor of the subtree in NVIDIA's state_dict order (a module's own tensors, then its children's).
    public var tensors: [TensorDeclaration] { ownTensors + children.flatMap(\.tensors) }

    /// Names of the learned tensors of the subtree, in state_dict order.
    public var parameterNames: [String] { tensors.filter { $0.kind == .parameter }.map(\.name) }
}

extension ParameterSet {
    /// The value of a declared tensor.
    func tensor(_ declaration: TensorDeclaration) throws -> Tensor { try tensor(declaration.name) }
}
