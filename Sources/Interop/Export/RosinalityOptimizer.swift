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

    /// An optimizer `state_dict()` with no per-parameter state yet, so Adam starts its moments at zero.
    static func freshState(parameterCount: Int, regularizationInterval c: Int) -> TorchExportValue {
        let ratio = Double(c) / Double(c + 1)
        let group: TorchExportValue = .dict([
            ("lr", .float(learningRate * ratio)),
            ("betas", .tuple([.float(pow(0, ratio)), .float(pow(0.99, ratio))])),
            ("eps", .float(1e-8)), ("weight_decay", .integer(0)), ("amsgrad", .bool(false)),
            ("params", .list((0..<parameterCount).map { .integer($0) })),
        ])
        return .dict([("state", .integerKeyedDict([])), ("param_groups", .list([group]))])
    }

    /// How many of the table's tensors are learned parameters of `network` (buffers are not optimized).
    static func parameterCount(_ network: ImportedNetwork, _ pairs: [RenamedTensor]) -> Int {
        let kinds = Dictionary(network.tensors.map { ($0.name, $0.kind) }, uniquingKeysWith: { first, _ in first })
        return pairs.filter { kinds[$0.nvidia] == .parameter }.count
    }
}
