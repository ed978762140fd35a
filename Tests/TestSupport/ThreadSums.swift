import Foundation

/// Element-wise sums across threads that stand in for processes: each call blocks until every rank has
/// deposited its values, and all get the sum, formed in rank order so that every rank gets the same bits.
public final class ThreadSums: @unchecked Sendable {
    private let condition = NSCondition()
    private var deposits: [[Double]?]
    private var result: [Double] = []
    private var arrived = 0, generation = 0
    public let ranks: Int

    public init(ranks: Int) {
        self.ranks = ranks
        deposits = Array(repeating: nil, count: ranks)
    }

    public func sum(_ values: [Double], rank: Int) -> [Double] {
        condition.lock()
        defer { condition.unlock() }
        let round = generation
        deposits[rank] = values
        arrived += 1
        if arrived == ranks {
            result = deposits.dropFirst().reduce(deposits[0]!) { total, next in zip(total, next!).map { $0 + $1 } }
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while generation == round { condition.wait() }
        }
        return result
    }

    /// Runs `body(rank)` on one thread per rank (8 MB stacks are too small for the engine's recursion
    /// in backward passes) and waits for all of them.
    public func run(_ body: @escaping @Sendable (Int) -> Void) {
        let done = DispatchGroup()
        for rank in 0..<ranks {
            done.enter()
            let thread = Thread {
                body(rank)
                done.leave()
            }
            thread.stackSize = 64 << 20
            thread.start()
        }
        done.wait()
    }
}
