import Checkpoint
import Foundation
import Yams

/// swap and blend: per-resolution interpolation of the synthesis blocks of two generators.
public struct BlendRecipe: Equatable, Sendable {
    public var base: String
    public var style: String
    public var schedule: BlockSchedule
    /// Gives each block the other model's share (m → 1 − m): for a swap, the style supplies the blocks ≤ R.
    public var invert = false
    /// Keeps the style's discriminator (see `BlendPlanner`).
    public var keepDiscriminator = false

    public init(base: String, style: String, schedule: BlockSchedule, invert: Bool = false, keepDiscriminator: Bool = false) {
        self.base = base
        self.style = style
        self.schedule = schedule
        self.invert = invert
        self.keepDiscriminator = keepDiscriminator
    }

    public var operation: String {
        if case .swap = schedule { return "swap" }
        return "blend"
    }
}

public struct FreezeRecipe: Equatable, Sendable {
    public var checkpoint: String
    public var network = "D"
    public var selection: TensorSelection
    /// Marks the selected tensors trainable again instead of frozen.
    public var unfreeze = false

    public init(checkpoint: String, network: String = "D", selection: TensorSelection, unfreeze: Bool = false) {
        self.checkpoint = checkpoint
        self.network = network
        self.selection = selection
        self.unfreeze = unfreeze
    }
}

public enum MergeMethod: String, CaseIterable, Sendable {
    case linear, slerp
}

public struct MergeRecipe: Equatable, Sendable {
    public var inputs: [String]
    public var weights: [Double]
    public var method = MergeMethod.linear
    /// Divides the weights by their sum (for slerp: t = w₂ / (w₁ + w₂)).
    public var normalize = false
    /// nil merges every network present in all inputs.
    public var networks: [String]?

    public init(inputs: [String], weights: [Double], method: MergeMethod = .linear, normalize: Bool = false, networks: [String]? = nil) {
        self.inputs = inputs
        self.weights = weights
        self.method = method
        self.normalize = normalize
        self.networks = networks
    }
}

public struct SweepRecipe: Equatable, Sendable {
    public var base: String
    public var style: String
    public var seeds: [UInt32]
    public var truncation: Double = 1
    public var network = "G_ema"

    public init(base: String, style: String, seeds: [UInt32], truncation: Double = 1, network: String = "G_ema") {
        self.base = base
        self.style = style
        self.seeds = seeds
        self.truncation = truncation
        self.network = network
    }
}

/// One surgery operation as data: what `toonkit run RECIPE.yaml` reads, what every surgery command builds
/// from its flags, and what the output stores in its provenance (format: schemas/recipe-v1.schema.json).
public struct Recipe: Equatable, Sendable {
    public enum Action: Equatable, Sendable {
        case blend(BlendRecipe)
        case freeze(FreezeRecipe)
        case merge(MergeRecipe)
        case sweep(SweepRecipe)
    }

    public static let formatVersion = 1

    public var action: Action
    public var output: String
    public var note: String?
    /// The text stored in the output: the file as written for `toonkit run`, the YAML form of the flags otherwise.
    public var text: String

    public init(action: Action, output: String, note: String? = nil) {
        self.action = action
        self.output = output
        self.note = note
        text = ""
        text = yaml
    }

    public var operation: String {
        switch action {
        case .blend(let blend): return blend.operation
        case .freeze: return "freeze"
        case .merge: return "merge"
        case .sweep: return "sweep"
        }
    }

    // MARK: YAML form

    /// The recipe as YAML, in the order a person would write it.
    public var yaml: String {
        var pairs: [(String, Node)] = [("toonkit_recipe", Self.integer(Self.formatVersion)), ("operation", Self.string(operation))]
        if let note { pairs.append(("description", Self.string(note))) }
        pairs += [("inputs", inputsNode), ("parameters", parametersNode), ("output", Self.string(output))]
        return (try? Yams.serialize(node: Self.mapping(pairs))) ?? ""
    }

    var inputsNode: Node {
        switch action {
        case .blend(let blend): return Self.mapping([("base", Self.string(blend.base)), ("style", Self.string(blend.style))])
        case .sweep(let sweep): return Self.mapping([("base", Self.string(sweep.base)), ("style", Self.string(sweep.style))])
        case .freeze(let freeze): return Self.mapping([("checkpoint", Self.string(freeze.checkpoint))])
        case .merge(let merge): return Node(merge.inputs.map(Self.string))
        }
    }

    var parametersNode: Node {
        var pairs: [(String, Node)] = []
        switch action {
        case .blend(let blend):
            switch blend.schedule {
            case .swap(let at): pairs.append(("at", Self.integer(at)))
            case .weights(let table):
                pairs.append(("weights", Node(table.sorted { $0.key < $1.key }.map { (Self.integer($0.key), Self.number($0.value)) })))
            case .logistic(let at, let width): pairs += [("at", Self.integer(at)), ("width", Self.number(width))]
            }
            pairs += [("invert", Self.boolean(blend.invert)), ("keep_d", Self.boolean(blend.keepDiscriminator))]
        case .freeze(let freeze):
            pairs.append(("network", Self.string(freeze.network)))
            switch freeze.selection {
            case .layers(let count): pairs.append(("layers", Self.integer(count)))
            case .blocks(let resolutions): pairs.append(("blocks", Node(resolutions.map(Self.integer))))
            case .names(let patterns): pairs.append(("names", Node(patterns.map(Self.string))))
            }
            pairs.append(("unfreeze", Self.boolean(freeze.unfreeze)))
        case .merge(let merge):
            pairs += [("method", Self.string(merge.method.rawValue)), ("weights", Node(merge.weights.map(Self.number))),
                      ("normalize", Self.boolean(merge.normalize))]
            if let networks = merge.networks { pairs.append(("networks", Node(networks.map(Self.string)))) }
        case .sweep(let sweep):
            pairs += [("seeds", Node(sweep.seeds.map { Self.integer(Int($0)) }, .implicit, .flow)),
                      ("trunc", Self.number(sweep.truncation)), ("network", Self.string(sweep.network))]
        }
        return Self.mapping(pairs)
    }

    /// The parameters as JSON, for the provenance record.
    public var parametersJSON: JSONValue { Self.json(parametersNode) }

    static func json(_ node: Node) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            if scalar.tag == Tag(.int) || scalar.tag == Tag(.float) { return node.float.map(JSONValue.number) ?? .string(scalar.string) }
            if scalar.tag == Tag(.bool) { return node.bool.map(JSONValue.bool) ?? .string(scalar.string) }
            return .string(scalar.string)
        case .sequence(let sequence): return .array(sequence.map(json))
        case .mapping(let mapping): return .object(Dictionary(mapping.map { ($0.key.string ?? "\($0.key)", json($0.value)) }, uniquingKeysWith: { a, _ in a }))
        }
    }

    static func mapping(_ pairs: [(String, Node)]) -> Node { Node(pairs.map { (Node($0.0), $0.1) }) }
    static func integer(_ value: Int) -> Node { Node(String(value), Tag(.int)) }
    static func number(_ value: Double) -> Node { Node(value.rounded() == value && abs(value) < 1e15 ? String(format: "%.1f", value) : "\(value)", Tag(.float)) }
    static func boolean(_ value: Bool) -> Node { Node(value ? "true" : "false", Tag(.bool)) }
    static func string(_ value: String) -> Node { .scalar(value.represented()) }
}
