import Foundation

/// One network's Adam state as a checkpoint keeps it (docs/checkpoint-format.md §6.3): the two moments of
/// every tensor the optimiser has updated, as training tensors `adam/<network>/<tensor>/m` and `…/v`, and the
/// number of steps taken (for bias correction) as the training scalar `adam_step_<network>`. Training writes
/// and resumes it; exporters carry it into other programs' optimiser states.
public struct StoredAdamState: Sendable {
    public struct Moments: Sendable {
        public var first: TensorData
        public var second: TensorData

        public init(first: TensorData, second: TensorData) {
            self.first = first
            self.second = second
        }
    }

    public var step: Int
    /// Keyed by the tensor's dotted name within the network.
    public var moments: [String: Moments]

    public init(step: Int, moments: [String: Moments]) {
        self.step = step
        self.moments = moments
    }

    static func tensorPrefix(network: String) -> String { "adam/\(network)/" }

    public static func stepScalarName(network: String) -> String { "adam_step_\(network)" }

    /// Moments in sorted name order, then the step count.
    public func write(to writer: CheckpointWriter, network: String) throws {
        let prefix = Self.tensorPrefix(network: network)
        for name in moments.keys.sorted() {
            try writer.writeTrainingTensor(name: prefix + name + "/m", data: moments[name]!.first)
            try writer.writeTrainingTensor(name: prefix + name + "/v", data: moments[name]!.second)
        }
        try writer.writeTrainingScalar(Self.stepScalarName(network: network), .integer(Int64(step)))
    }

    /// Snapshots written before the step count became a scalar (training state `toonkit.training/1`) kept it
    /// in the state document under these keys.
    public static let stepInDocumentFormat = "toonkit.training/1"
    private static let documentStepKeys = ["G": "generatorOptimizerStep", "D": "discriminatorOptimizerStep"]

    private static func documentStep(_ reader: CheckpointReader, network: String) -> Int? {
        guard let state = reader.trainingState, state["format"] == .string(stepInDocumentFormat),
              let key = documentStepKeys[network], case .number(let step)? = state[key] else { return nil }
        return Int(exactly: step)
    }

    /// The state of `network`, or nil when the file holds none (no step count and no moments).
    public init?(reader: CheckpointReader, network: String) throws {
        let prefix = Self.tensorPrefix(network: network)
        var moments: [String: Moments] = [:]
        for tensorName in reader.trainingTensorNames where tensorName.hasPrefix(prefix) && tensorName.hasSuffix("/m") {
            let name = String(tensorName.dropFirst(prefix.count).dropLast(2))
            moments[name] = Moments(first: try reader.readTrainingTensor(name: tensorName),
                                    second: try reader.readTrainingTensor(name: prefix + name + "/v"))
        }
        let stored = reader.trainingScalars[Self.stepScalarName(network: network)]
        let step: Int
        switch stored {
        case .integer(let value)?: step = Int(value)
        case .real?: throw CheckpointError.refused(path: reader.path, reason: "/training attribute \(Self.stepScalarName(network: network)) is a float, not an integer step count")
        case nil:
            if let documented = Self.documentStep(reader, network: network) { step = documented } else if moments.isEmpty { return nil } else {
                throw CheckpointError.refused(path: reader.path, reason: "/training holds Adam moments of \(network) but no step count \(Self.stepScalarName(network: network))")
            }
        }
        self.init(step: step, moments: moments)
    }
}
