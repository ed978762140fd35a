import Foundation

/// How a child process ended, with its peak memory (from `wait4`'s rusage) and what it printed.
public struct ProcessOutcome {
    public var exitStatus: Int32?
    public var signal: Int32?
    public var peakRSSBytes: Int
    public var timedOut: Bool
    /// Killed by the harness because its resident memory passed the watchdog's limit.
    public var killedForMemory: Bool
    public var seconds: Double
    public var stdout: Data
    public var stderr: Data

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// Spawns a program with `posix_spawn` in a given folder (stdin from /dev/null, stdout and stderr to
/// files) and reaps it with `wait4`, killing it when it outlives `timeout` or when its resident set
/// passes `memoryLimit` (so one hostile case cannot take the machine down with it).
public struct MonitoredProcess {
    public var executable: String
    public var arguments: [String]
    public var directory: URL
    public var environment: [String: String]
    public var timeout: TimeInterval = 60
    public var memoryLimit = 3 << 29  // 1.5 GiB
    public var pollInterval: useconds_t = 20_000
    /// Called once when the child has used almost no CPU in its first seconds (blocked, e.g. opening a FIFO),
    /// so a caller limiting parallelism can start other work while this one waits out its timeout.
    public var onBlocked: (() -> Void)? = nil
    public var blockedAfter: TimeInterval = 2

    public init(executable: String, arguments: [String], directory: URL, environment: [String: String] = ProcessInfo.processInfo.environment) {
        (self.executable, self.arguments, self.directory, self.environment) = (executable, arguments, directory, environment)
    }

    public func run() throws -> ProcessOutcome {
        let stdoutFile = directory.appendingPathComponent(".stdout"), stderrFile = directory.appendingPathComponent(".stderr")
        let pid = try spawn(stdout: stdoutFile.path, stderr: stderrFile.path)
        // posix_spawn shares our memory until exec, and exec carries that memory's high-water mark into the
        // child's ru_maxrss; so ru_maxrss only measures the child when it is above ours (read after the exec). The
        // kernel's RSS counters are per-CPU (older kernels: per-thread) approximations, so our reading can fall a little
        // below what exec recorded, and ru_maxrss must clear it by a margin: without one a CI run put a 1 KB pickle's
        // import at 1752 MiB, this test process's own peak.
        let inheritedPeak = MonitoredProcess.memory(getpid()).peak + MonitoredProcess.inheritanceMargin
        let start = Date()
        var status: Int32 = 0
        var usage = rusage()
        var timedOut = false, killedForMemory = false, polledPeak = 0, reportedBlocked = false
        while true {
            let reaped = wait4(pid, &status, WNOHANG, &usage)
            if reaped == pid { break }
            if reaped < 0 && errno != EINTR { throw POSIXError(.ECHILD) }
            // Until its exec the child still runs in this process's memory, and /proc shows this process's resident set
            // (a CI run killed a truncated file's `validate` at 1753 MiB, this test process's own, 0.0 s after spawning it).
            let memory = MonitoredProcess.hasExecuted(pid) ? MonitoredProcess.memory(pid) : (resident: 0, peak: 0)
            polledPeak = max(polledPeak, memory.peak)
            if !reportedBlocked, Date().timeIntervalSince(start) > blockedAfter, MonitoredProcess.cpuSeconds(pid) < 0.1 {
                reportedBlocked = true
                onBlocked?()
            }
            if !timedOut && !killedForMemory {
                if Date().timeIntervalSince(start) > timeout {
                    timedOut = true
                    kill(pid, SIGKILL)
                } else if memory.resident > memoryLimit {
                    killedForMemory = true
                    kill(pid, SIGKILL)
                }
            }
            usleep(pollInterval)
        }
        let signalled = (status & 0x7f) != 0 && (status & 0x7f) != 0x7f
        let reportedPeak = usage.ru_maxrss * 1024
        let outcome = ProcessOutcome(
            exitStatus: signalled ? nil : (status >> 8) & 0xff, signal: signalled ? status & 0x7f : nil,
            peakRSSBytes: max(polledPeak, reportedPeak > inheritedPeak ? reportedPeak : 0),
            timedOut: timedOut, killedForMemory: killedForMemory,
            seconds: Date().timeIntervalSince(start),
            stdout: (try? Data(contentsOf: stdoutFile)) ?? Data(), stderr: (try? Data(contentsOf: stderrFile)) ?? Data())
        try? FileManager.default.removeItem(at: stdoutFile)
        try? FileManager.default.removeItem(at: stderrFile)
        return outcome
    }

    private func spawn(stdout: String, stderr: String) throws -> pid_t {
        try spawnClosingOtherDescriptors(executable, arguments, environment: environment, stdout: .file(stdout), stderr: .file(stderr),
                                         directory: directory.path)
    }

    /// User plus system CPU time so far, from /proc/<pid>/stat (fields 14 and 15, in clock ticks).
    public static func cpuSeconds(_ pid: pid_t) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")") else { return .infinity }
        let fields = stat[stat.index(after: end)...].split(separator: " ")  // fields from 3 (state) on
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return .infinity }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Well above the error of a process's RSS counters on the 2-core machines CI runs on (a few hundred pages per CPU
    /// or thread; it grows with the square of the CPU count, near 100 MiB at 64). A child whose peak stays under ours
    /// plus this margin is seen only through the polled VmHWM, which can miss a spike in its last poll interval.
    static let inheritanceMargin = 64 << 20

    /// Whether `pid` runs its own program yet: /proc/<pid>/exe and its memory change together at exec, so while the link
    /// still names this process's executable, the child's memory readings are this process's. A child that is gone
    /// counts as executed (its readings are zeros).
    static func hasExecuted(_ pid: pid_t) -> Bool {
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe") else { return true }
        return executable != ownExecutable
    }

    private static let ownExecutable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")

    /// Current and peak resident set size (VmRSS, VmHWM) from /proc/<pid>/status; zeros once the process is gone.
    public static func memory(_ pid: pid_t) -> (resident: Int, peak: Int) {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (0, 0) }
        func kilobytes(_ field: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }) else { return 0 }
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        return (kilobytes("VmRSS:") * 1024, kilobytes("VmHWM:") * 1024)
    }
}
