import Foundation
import Checkpoint

/// The Adam states rosinality's train.py builds and resumes with `--ckpt`: `optim.Adam(parameters,
/// lr = lr·c/(c+1), betas = (0^(c/(c+1)), 0.99^(c/(c+1))))` with its defaults lr 0.002, c = g_reg_every 4 for
/// G and d_reg_every 16 for D (docs/foreign-formats.md §8). Its `params` index the network's `parameters()`,
/// which is the rosinality table's order without the buffers.
enum RosinalityOptimizer {
    static let learningRate = 0.002
    static let generatorRegularizationInterval = 4
    static let discriminatorRegularizationInterval = 16

    /// An optimizer `state_dict()` over `network`'s parameters. With `adam`, each parameter toonkit has moments
    /// for gets torch's per-parameter state (`step` as a float32 scalar tensor, `exp_avg`, `exp_avg_sq` in the
    /// rosinality shape; toonkit's Adam is torch's, so the moments mean the same); the others start at zero
    /// when train.py first steps them. Without `adam` the state is empty.
    static func state(_ network: ImportedNetwork, _ pairs: [RenamedTensor], regularizationInterval c: Int,
                      adam: StoredAdamState?) throws -> TorchExportValue {
        let ratio = Double(c) / Double(c + 1)
        let parameters = parameterPairs(network, pairs)
        let group: TorchExportValue = .dict([
            ("lr", .float(learningRate * ratio)),
            ("betas", .tuple([.float(pow(0, ratio)), .float(pow(0.99, ratio))])),
            ("eps", .float(1e-8)), ("weight_decay", .integer(0)), ("amsgrad", .bool(false)),
            ("params", .list(parameters.indices.map { .integer($0) })),
        ])
        var perParameter: [(Int, TorchExportValue)] = []
        if let adam {
            let step = try TensorData(float32: [Float(adam.step)], shape: [])
            for (index, pair) in parameters.enumerated() {
                guard let moments = adam.moments[pair.nvidia] else { continue }
                perParameter.append((index, .dict([
                    ("step", .tensor(step)),
                    ("exp_avg", .tensor(try reshaped(moments.first, pair, network: network.name))),
                    ("exp_avg_sq", .tensor(try reshaped(moments.second, pair, network: network.name))),
                ])))
            }
        }
        return .dict([("state", .integerKeyedDict(perParameter)), ("param_groups", .list([group]))])
    }

    /// What the user should know about `key`: a fresh state, moments with no place, parameters starting fresh.
    static func notes(key: String, _ network: ImportedNetwork, _ pairs: [RenamedTensor], adam: StoredAdamState?) -> [String] {
        let learningRates = "the learning rate and betas are rosinality train.py's defaults (lr 0.002), which its --ckpt resume restores"
        guard let adam else {
            return ["\(key): a fresh Adam state (\(network.name) has no Adam state in the checkpoint); \(learningRates)"]
        }
        let parameters = parameterPairs(network, pairs).map(\.nvidia)
        let carried = parameters.filter { adam.moments[$0] != nil }.count
        var notes = ["\(key): \(network.name)'s Adam state after \(adam.step) steps, moments of \(carried) of \(parameters.count) parameters; \(learningRates)"]
        if carried < parameters.count {
            notes.append("\(key): \(parameters.count - carried) parameters of \(network.name) have no moments (frozen or never updated); rosinality's train.py trains every parameter and starts their Adam state at zero")
        }
        let unplaced = Set(adam.moments.keys).subtracting(parameters)
        if !unplaced.isEmpty {
            notes.append("\(key): Adam moments of \(unplaced.count) tensors that are not parameters of \(network.name) in the rosinality layout are dropped: \(unplaced.sorted().prefix(3).joined(separator: ", "))")
        }
        return notes
    }

    /// The table's pairs that are learned parameters of `network` (buffers are not optimized), in order.
    static func parameterPairs(_ network: ImportedNetwork, _ pairs: [RenamedTensor]) -> [RenamedTensor] {
        let kinds = Dictionary(network.tensors.map { ($0.name, $0.kind) }, uniquingKeysWith: { first, _ in first })
        return pairs.filter { kinds[$0.nvidia] == .parameter }
    }

    /// Parameters are renamed without scaling (only filters are scaled), so a moment keeps its values.
    private static func reshaped(_ moment: TensorData, _ pair: RenamedTensor, network: String) throws -> TensorData {
        try InteropError.context("Adam moment of \(network).\(pair.nvidia)") {
            guard pair.scale == 1 else { throw InteropError("a scaled tensor has no Adam moments to carry") }
            return try TensorData(dtype: moment.dtype, shape: pair.foreignShape, bytes: moment.bytes)
        }
    }
}
