/// One process's share of a minibatch split over `ranks` processes (data-parallel training,
/// docs/training-loop.md §12). Rank r holds the global samples r, r + ranks, r + 2·ranks, …: taken
/// strided rather than in blocks because the minibatch-std layer groups sample i with i + N/G, i + 2N/G,
/// …, so strided shares keep every group on one rank and the groups equal to those of one process with
/// the whole batch.
///
/// Random inputs are drawn for the whole batch, in the order one process would draw them, and each rank
/// keeps its rows: the run then does not depend on the number of ranks or on their timing.
public struct BatchShare: Equatable, Sendable {
    public let rank: Int
    public let ranks: Int

    public init(rank: Int, ranks: Int) {
        precondition(ranks >= 1 && rank >= 0 && rank < ranks, "rank \(rank) of \(ranks)")
        self.rank = rank
        self.ranks = ranks
    }

    /// The whole batch in one process.
    public static let whole = BatchShare(rank: 0, ranks: 1)

    public var isWhole: Bool { ranks == 1 }

    /// Global indices of this rank's `localCount` samples.
    public func globalIndices(localCount: Int) -> [Int] {
        (0..<localCount).map { rank + ranks * $0 }
    }

    /// This rank's rows of a tensor whose first axis spans the whole batch (`localCount · ranks` rows).
    /// A copy without gradient history: it serves drawn inputs, not computed values.
    public func rows(of whole: Tensor) throws -> Tensor {
        guard !isWhole else { return whole }
        guard let total = whole.shape.first, total % ranks == 0 else {
            throw EngineError("BatchShare.rows", "a whole batch of \(whole.shape.first ?? 0) rows does not split over \(ranks) ranks")
        }
        let localCount = total / ranks, rowSize = whole.count / max(total, 1)
        let values = whole.scalars
        var kept: [Float] = []
        kept.reserveCapacity(localCount * rowSize)
        for index in globalIndices(localCount: localCount) {
            kept += values[(index * rowSize)..<((index + 1) * rowSize)]
        }
        return try Tensor(shape: [localCount] + whole.shape.dropFirst(), values: kept)
    }
}

extension RandomState {
    /// N(0, 1) values for the whole batch, of which this rank keeps its rows: `localShape[0]` is the
    /// rank's sample count.
    public mutating func normalTensor(_ localShape: [Int], share: BatchShare) throws -> Tensor {
        guard !share.isWhole, let localCount = localShape.first else { return try normalTensor(localShape) }
        return try share.rows(of: normalTensor([localCount * share.ranks] + localShape.dropFirst()))
    }
}
