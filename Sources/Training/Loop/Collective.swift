import Engine
import Foundation

/// The processes of a data-parallel run (docs/training-loop.md §12): each computes its share of every
/// minibatch, and these sums make their gradients, statistics and logs those of the whole batch. The
/// transport is not Training's concern: `toonkit train` under mpirun passes an MPI implementation.
public protocol Collective: AnyObject {
    /// This process's rank and the number of ranks.
    var share: BatchShare { get }
    /// The host this rank runs on, for messages.
    var hostName: String { get }
    /// Replaces `values` by their element-wise sum over every rank (the same result on every rank).
    func allReduceSum(_ values: inout [Float]) throws
    func allReduceSum(_ values: inout [Double]) throws
    /// Seconds spent communicating and bytes reduced so far, for progress lines and logs.
    var communicationSeconds: Double { get }
    var bytesReduced: Int { get }
}

/// One process: every sum is the value itself.
public final class SingleProcess: Collective {
    public init() {}
    public var share: BatchShare { .whole }
    public var hostName: String { ProcessInfo.processInfo.hostName }
    public func allReduceSum(_ values: inout [Float]) throws {}
    public func allReduceSum(_ values: inout [Double]) throws {}
    public var communicationSeconds: Double { 0 }
    public var bytesReduced: Int { 0 }
}

extension Collective {
    /// The mean over the whole batch of per-sample rows [n, …] → […]: the local mean when alone.
    func batchMean(_ rows: Tensor) throws -> Tensor {
        if share.isWhole { return try rows.detached().mean(axes: [0]) }
        var sums = try rows.detached().sum(axes: [0]).scalars
        try allReduceSum(&sums)
        let total = Float(rows.shape[0] * share.ranks)
        return try Tensor(shape: Array(rows.shape.dropFirst()), values: sums.map { $0 / total })
    }

    /// Gradients averaged over the ranks (each rank's are those of its share's mean loss, so the average
    /// is the whole batch's), reduced as one buffer in name order.
    func averaged(_ gradients: [String: Tensor]) throws -> [String: Tensor] {
        guard !share.isWhole else { return gradients }
        let names = gradients.keys.sorted()
        var flat: [Float] = []
        flat.reserveCapacity(names.reduce(0) { $0 + gradients[$1]!.count })
        for name in names { flat += gradients[name]!.scalars }
        try allReduceSum(&flat)
        let scale = 1 / Float(share.ranks)
        var result: [String: Tensor] = [:]
        var offset = 0
        for name in names {
            let shape = gradients[name]!.shape, count = gradients[name]!.count
            result[name] = try Tensor(shape: shape, values: flat[offset..<(offset + count)].map { $0 * scale })
            offset += count
        }
        return result
    }

    /// Throws on every rank unless `fingerprint` is the same on all of them. Its bytes are summed as
    /// integers with their squares, which are R·b and R·b² only when every rank holds the same byte b.
    func requireSameOnEveryRank(_ fingerprint: UInt64, _ what: String) throws {
        guard !share.isWhole else { return }
        let bytes = (0..<8).map { Double((fingerprint >> (8 * UInt64($0))) & 0xff) }
        var sums = bytes + bytes.map { $0 * $0 }
        try allReduceSum(&sums)
        let ranks = Double(share.ranks)
        guard zip(bytes, sums).allSatisfy({ $1 == ranks * $0 }), zip(bytes.map { $0 * $0 }, sums.dropFirst(8)).allSatisfy({ $1 == ranks * $0 }) else {
            throw TrainingError("rank \(share.rank) on \(hostName): the ranks do not hold the same \(what); every rank must be started with the same arguments and files")
        }
    }

    /// True on every rank when `condition` holds on any (a stop request must end all ranks at one step).
    func anyRank(_ condition: Bool) throws -> Bool {
        guard !share.isWhole else { return condition }
        var votes = [condition ? 1.0 : 0.0]
        try allReduceSum(&votes)
        return votes[0] > 0
    }

    /// Report values averaged over the ranks, in key order.
    func averaged(_ values: [String: Float]) throws -> [String: Float] {
        guard !share.isWhole else { return values }
        let keys = values.keys.sorted()
        var sums = keys.map { Double(values[$0]!) }
        try allReduceSum(&sums)
        return Dictionary(uniqueKeysWithValues: zip(keys, sums.map { Float($0 / Double(share.ranks)) }))
    }
}
