import Foundation

/// Where one output tensor's data comes from.
public enum TensorSource: Equatable, Sendable {
    /// The stored bytes of input `input`, unchanged (dtype included).
    case copy(input: Int)
    /// Σᵢ weights[i]·inputᵢ computed in float32 and stored in the first input's dtype.
    case linear(weights: [Double])
    /// Spherical interpolation from input 0 (t = 0) to input 1 (t = 1); linear when nearly parallel (see `TensorMath.slerp`).
    case slerp(t: Double)
}

/// One output tensor: its name, its source and the trainable flag to store.
public struct TensorStep: Equatable, Sendable {
    public var name: String
    public var source: TensorSource
    /// nil keeps the flag of the input the bytes come from (the first input for computed tensors).
    public var trainable: Bool?
    /// Why this source was chosen, for the dry-run plan ("mapping: from the base", "block b8").
    public var reason: String

    public init(name: String, source: TensorSource, trainable: Bool? = nil, reason: String) {
        self.name = name
        self.source = source
        self.trainable = trainable
        self.reason = reason
    }
}

public struct NetworkPlan: Equatable, Sendable {
    public var network: String
    /// In the first input's stored (state_dict) order.
    public var steps: [TensorStep]
}

/// An input file and the role it plays (`base`, `style`, `input 2`, …).
public struct PlanInput: Equatable, Sendable {
    public var role: String
    public var path: String
}

/// Everything an operation will write, decided from the inputs' headers alone: what `--dry-run` prints
/// and what the executor streams.
public struct SurgeryPlan: Sendable {
    public var operation: String
    public var inputs: [PlanInput]
    public var output: String
    /// The output's architecture and provenance log come from `inputs[0]`.
    public var networks: [NetworkPlan]
    /// Whether `/training` and `/extra` of `inputs[0]` are carried over (only `freeze` keeps them).
    public var keepsTrainingState: Bool
    /// Networks dropped, policies applied; shown with the plan.
    public var notes: [String]
    /// swap/blend: the style weight m per block resolution.
    public var styleWeights: [BlockWeight]

    public struct BlockWeight: Equatable, Sendable {
        public var resolution: Int
        public var weight: Double
    }

    public func step(network: String, name: String) -> TensorStep? {
        networks.first { $0.network == network }?.steps.first { $0.name == name }
    }

    /// The plan as `--dry-run` prints it: per block weight, then per network every tensor with its source.
    public var text: String {
        var lines = ["\(operation): " + inputs.map { "\($0.role) = \($0.path)" }.joined(separator: ", ") + " -> \(output)"]
        if !styleWeights.isEmpty {
            lines.append("style weight m per synthesis block (output = base·(1 − m) + style·m on the block's parameters):")
            for block in styleWeights {
                let from = block.weight == 0 ? "base" : block.weight == 1 ? "style" : "blend"
                lines.append("  b\(block.resolution)".padding(toLength: 9, withPad: " ", startingAt: 0) + Self.number(block.weight).padding(toLength: 10, withPad: " ", startingAt: 0) + from)
            }
        }
        for network in networks {
            let computed = network.steps.filter { if case .copy = $0.source { return false } else { return true } }.count
            lines.append("network \(network.network): \(network.steps.count) tensors, \(network.steps.count - computed) copied, \(computed) computed")
            let width = min(48, (network.steps.map(\.name.count).max() ?? 0) + 2)
            for step in network.steps {
                var line = "  " + step.name.padding(toLength: max(width, step.name.count + 1), withPad: " ", startingAt: 0)
                line += describe(step.source).padding(toLength: 34, withPad: " ", startingAt: 0) + step.reason
                if let trainable = step.trainable { line += trainable ? " [trainable]" : " [frozen]" }
                lines.append(line)
            }
        }
        lines.append(keepsTrainingState ? "training state and /extra: copied from \(inputs[0].role)" : "training state and /extra: dropped")
        lines += notes.map { "note: \($0)" }
        return lines.joined(separator: "\n") + "\n"
    }

    public func describe(_ source: TensorSource) -> String {
        switch source {
        case .copy(let input):
            return inputs[input].role
        case .linear(let weights):
            return zip(weights, inputs).map { "\(Self.number($0))·\($1.role)" }.joined(separator: " + ")
        case .slerp(let t):
            return "slerp(\(inputs[0].role) → \(inputs[1].role), t=\(Self.number(t)))"
        }
    }

    /// Short decimal: integers without a fraction, others to four significant digits.
    static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e9 ? String(Int(value)) : String(format: "%.4g", value)
    }
}
