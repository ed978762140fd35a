import Foundation
import Testing
import TestSupport

/// The hostile-input corpus (issue 11), run end to end through the built `toonkit`: every case in a fresh
/// folder, under a 60 s timeout and a memory watchdog, and judged on exit status, message, signals, peak
/// RSS, leftovers and whether text from outside the given files leaked into any output.
@Suite(.enabled(if: Toonkit.executable != nil, Comment(rawValue: Toonkit.missing)))
struct HostileInputTests {
    static let memoryCeiling = 1 << 30
    /// Cases run in parallel, two per core; a case that blocks (a FIFO opened for reading) gives its slot back.
    static let slots = AsyncSlots(2 * ProcessInfo.processInfo.activeProcessorCount)

    @Test func corpusSize() {
        let classes = Set(HostileCorpus.cases.map(\.class))
        print("hostile corpus: \(HostileCorpus.cases.count) cases in \(classes.count) classes")
        #expect(HostileCorpus.cases.count >= 200)
    }

    @Test(arguments: HostileCorpus.cases)
    func hostileInput(_ testCase: HostileCase) async throws {
        await Self.slots.acquire()
        let slot = SlotRelease(Self.slots)
        let run = await onOwnThread {
            Result { () -> (String, [String]) in
                let folder = try CaseFolder(testCase)
                var process = MonitoredProcess(executable: Toonkit.executable!.path, arguments: folder.arguments,
                                               directory: folder.root, environment: folder.environment)
                process.onBlocked = { slot.release() }
                let verdict = Verdict(testCase: testCase, folder: folder, outcome: try process.run())
                return (verdict.summary, verdict.failures())
            }
        }
        slot.release()
        // Issues are recorded here, in the test's own task (a detached task does not carry the test's context).
        let (summary, failures) = try run.get()
        print("hostile case \(failures.isEmpty ? "passed" : "FAILED"): \(summary)")
        for failure in failures {
            Issue.record(Comment(rawValue: "\(summary)\n  \(failure)"))
        }
    }
}

/// Runs blocking work (waiting for a child process) on a thread of its own: on the concurrency runtime's
/// few threads (one per core) a hung child would hold back every other case.
func onOwnThread<T>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}

/// Gives a slot back exactly once, from whichever comes first: the case blocking or the case ending.
final class SlotRelease: @unchecked Sendable {
    private let slots: AsyncSlots
    private let lock = NSLock()
    private var released = false

    init(_ slots: AsyncSlots) { self.slots = slots }

    func release() {
        lock.lock(); defer { lock.unlock() }
        guard !released else { return }
        released = true
        Task { await slots.release() }
    }
}

/// A counting semaphore for async code: waiting suspends the task instead of blocking a thread.
actor AsyncSlots {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) { free = count }

    func acquire() async {
        if free > 0 { free -= 1; return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}
