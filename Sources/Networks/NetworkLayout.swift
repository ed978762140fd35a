import Checkpoint

/// What a network is, judged by its tensors (so `G`, `G_ema` or any other name works): a generator or a
/// discriminator when its tensor names are exactly those of the architecture's tree.
public enum NetworkRole: Equatable, Sendable {
    case generator, discriminator, other
}

/// Where a tensor sits in the networks, as swap, blend, sweep and freeze select by it.
public enum TensorPlace: Equatable, Sendable {
    /// The generator's mapping network (with w_avg) or the discriminator's label mapping.
    case mapping
    /// A synthesis block; `level` 0 is const or conv0, 1 is conv1 and ToRGB.
    case synthesis(resolution: Int, level: Int)
    /// A discriminator block, or the 4×4 epilogue (resolution 4).
    case discriminator(resolution: Int)

    public var resolution: Int? {
        switch self {
        case .synthesis(let resolution, _), .discriminator(let resolution): return resolution
        case .mapping: return nil
        }
    }
}

/// One network's structure read off its module tree: role, each tensor's place, the running average and
/// the FreezeD order. The typed queries surgery and training use instead of parsing names.
public struct NetworkAnatomy {
    public let role: NetworkRole
    public let places: [String: TensorPlace]
    /// The generator's running average of w (mixed linearly by merge, always taken from the base by swap).
    public let averageW: String?
    /// The discriminator's freezable layers in FreezeD order, each with its learned tensors.
    public let freezeOrder: [(layer: String, tensors: [String])]

    /// The anatomy of a network holding tensors with these names under architecture `a`.
    public init(tensorNames: [String], architecture a: Architecture) {
        let names = Set(tensorNames)
        if a.plausibilityProblem == nil {
            let generator = GeneratorNetwork(a)
            if Set(generator.tensors.map(\.name)) == names {
                self.init(generator)
                return
            }
            let discriminator = DiscriminatorNetwork(a, tensorNames: names)
            if Set(discriminator.tensors.map(\.name)) == names {
                self.init(discriminator)
                return
            }
        }
        self.init(role: .other, places: [:], averageW: nil, freezeOrder: [])
    }

    private init(role: NetworkRole, places: [String: TensorPlace], averageW: String?, freezeOrder: [(layer: String, tensors: [String])]) {
        self.role = role
        self.places = places
        self.averageW = averageW
        self.freezeOrder = freezeOrder
    }

    public init(_ generator: GeneratorNetwork) {
        var places = Dictionary(uniqueKeysWithValues: generator.mapping.tensors.map { ($0.name, TensorPlace.mapping) })
        for block in generator.synthesis.blocks {
            for (level, tensors) in block.tensorsByLevel.enumerated() {
                for tensor in tensors { places[tensor.name] = .synthesis(resolution: block.resolution, level: level) }
            }
        }
        self.init(role: .generator, places: places, averageW: generator.mapping.averageW?.name, freezeOrder: [])
    }

    public init(_ discriminator: DiscriminatorNetwork) {
        var places = Dictionary(uniqueKeysWithValues: (discriminator.mapping?.tensors ?? []).map { ($0.name, TensorPlace.mapping) })
        for block in discriminator.blocks {
            for tensor in block.tensors { places[tensor.name] = .discriminator(resolution: block.resolution) }
        }
        for tensor in discriminator.epilogue.tensors { places[tensor.name] = .discriminator(resolution: 4) }
        self.init(role: .discriminator, places: places, averageW: nil,
                  freezeOrder: discriminator.freezeOrder.map { ($0.path.name, $0.parameterNames) })
    }

    /// Why `count` layers of `network` cannot be frozen (nil when they can), in one wording for every option that counts
    /// its freezable layers (`train --freezed`, `freeze --layers`).
    public func freezeDepthProblem(option: String, count: Int, network: String) -> String? {
        guard count < 0 || count > freezeOrder.count else { return nil }
        return "\(option) \(count): network \(network) has \(freezeOrder.count) freezable layers (0…\(freezeOrder.count))"
    }

    public static func of(_ reader: CheckpointReader, network: String) throws -> NetworkAnatomy {
        NetworkAnatomy(tensorNames: try reader.tensorNames(network: network), architecture: try reader.architecture)
    }
}

/// The layout every checkpoint's networks follow, derived from the module trees (docs/checkpoint-format.md §4):
/// `G` and `G_ema` hold a generator, `D` a discriminator; other networks are stored but not computed with.
public enum NetworkLayout {
    public static let laidOutNetworks: [String: NetworkRole] = ["G": .generator, "G_ema": .generator, "D": .discriminator]

    /// The tree a network named `network` must have (nil for networks that are not laid out).
    public static func tree(network: String, _ a: Architecture, tensorNames names: Set<String>) -> (any Module)? {
        switch laidOutNetworks[network] {
        case .generator?: return GeneratorNetwork(a)
        case .discriminator?: return DiscriminatorNetwork(a, tensorNames: names)
        default: return nil
        }
    }

    /// Every way the stored tensors (in stored order) contradict the declared ones: a missing, extra,
    /// duplicated or misshapen tensor, or a parameter stored as a buffer. Empty when they agree.
    public static func contradictions(network: String, _ stored: [TensorHeader], expected: [TensorDeclaration],
                                      architecture a: Architecture) -> [String] {
        let names = Set(stored.map(\.name))
        var problems: [String] = names.count == stored.count ? [] : ["network \(network) has duplicate tensor names"]
        let matching = NameMatching(expected, stored, firstName: \.name, secondName: \.name)
        for want in matching.onlyFirst {
            problems.append("network \(network) lacks \(want.name) \(want.shape), which the architecture requires (\(a.summary))")
        }
        for (want, have) in matching.pairs {
            if have.shape != want.shape {
                problems.append("network \(network): \(want.name) has shape \(have.shape) but the architecture (\(a.summary)) implies \(want.shape)")
            } else if have.kind != want.kind {
                problems.append("network \(network): \(want.name) is stored as a \(have.kind.rawValue), expected a \(want.kind.rawValue)")
            }
        }
        for extra in matching.onlySecond {
            problems.append("network \(network) has an unexpected tensor \(extra.name) \(extra.shape) for the architecture (\(a.summary))")
        }
        return problems
    }

    /// Tensors whose value the architecture fixes (the resampling filters) but that hold another: the forward
    /// pass computes with the architecture's filter, so a different stored one would be silently ignored.
    public static func fixedValueContradictions(_ expected: [TensorDeclaration], architecture a: Architecture,
                                                values: (String) throws -> [Float]?) rethrows -> [String] {
        try expected.compactMap { declaration in
            guard let fixed = declaration.initializer.fixedValues, let stored = try values(declaration.name), stored != fixed else { return nil }
            return "\(declaration.name) holds \(stored), but the architecture's resample_filter \(a.resampleFilter) implies \(fixed)"
        }
    }

    /// A network's role guessed from names alone, before any architecture is known (state dicts): a
    /// generator holds the 4×4 const, a discriminator the epilogue's output layer.
    public static func likelyRole(tensorNames names: Set<String>) -> NetworkRole {
        if names.contains(generatorMarker) { return .generator }
        if names.contains(discriminatorMarker) { return .discriminator }
        return .other
    }

    public static let generatorMarker = GeneratorNetwork(.probe(resolution: 4)).synthesis.blocks[0].const!.name
    public static let discriminatorMarker = DiscriminatorNetwork(.probe(resolution: 4)).epilogue.out.weight.name
    /// The generator's running average of w.
    public static let averageWName = GeneratorNetwork(.probe(resolution: 4)).mapping.averageW!.name

    /// The contradictions of a network named `network` with the layout of `a` (none for networks not laid out).
    public static func contradictions(network: String, _ stored: [TensorHeader], against a: Architecture) -> [String] {
        guard let tree = tree(network: network, a, tensorNames: Set(stored.map(\.name))) else { return [] }
        return contradictions(network: network, stored, expected: tree.tensors, architecture: a)
    }
}

/// The StyleGAN2 layout as the checkpoint module applies it on every open: the architecture document must
/// decode and be buildable, and G, G_ema and D must hold exactly the tensors it implies.
public struct StyleGAN2Layout: CheckpointLayout {
    public init() {}

    public func problems(architecture document: JSONValue, networks: [NetworkHeader]) -> [CheckpointProblem] {
        // A file of another kind that holds no G, G_ema or D (e.g. cached FID statistics) has nothing to lay out.
        if case .object(let fields) = document, fields["kind"] != .string(Architecture.stylegan2Kind),
           !networks.contains(where: { NetworkLayout.laidOutNetworks[$0.name] != nil }) {
            return []
        }
        let architecture: Architecture
        do {
            architecture = try Architecture(document: document)
        } catch {
            return [CheckpointProblem(object: "/architecture", rule: "\(error)")]
        }
        if let problem = architecture.plausibilityProblem { return [CheckpointProblem(object: "/architecture", rule: problem)] }
        return networks.flatMap { network in
            NetworkLayout.contradictions(network: network.name, network.tensors, against: architecture)
                .map { CheckpointProblem(object: "/networks/\(network.name)", rule: $0) }
        }
    }

    public func resolutionGroups(network: NetworkHeader, architecture document: JSONValue) -> [String: String] {
        guard let architecture = try? Architecture(document: document) else { return [:] }
        let places = NetworkAnatomy(tensorNames: network.tensors.map(\.name), architecture: architecture).places
        return places.compactMapValues { $0.resolution.map(String.init) }
    }
}

extension ParameterSet {
    /// Checks the tensors against a module tree: names, shapes and kinds, and that every tensor whose value
    /// the architecture fixes (the resampling filters) holds exactly that value, since the forward pass
    /// computes with the architecture's filter and would silently ignore a different stored one.
    public func validate(against tree: any Module, architecture a: Architecture) throws {
        let stored = names.map { TensorHeader(name: $0, shape: (try? tensor($0).shape) ?? [], kind: kind(of: $0) ?? .parameter) }
        var problems = NetworkLayout.contradictions(network: network, stored, expected: tree.tensors, architecture: a)
        if problems.isEmpty {
            problems = NetworkLayout.fixedValueContradictions(tree.tensors, architecture: a) { try? tensor($0).scalars }
        }
        if !problems.isEmpty {
            throw NetworkError("network \(network) does not match its architecture:\n  " + problems.joined(separator: "\n  "))
        }
    }
}
