import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to completion and reports its exit status, its standard error and its peak
/// resident memory. `wait4` gives the peak of that one child (`getrusage(RUSAGE_CHILDREN)` would
/// report the largest child the test process ever had). It is an upper bound: Linux's exec records
/// the high-water mark of the memory it replaces, which for a spawned child is the test process's.
struct MeasuredRun {
    let status: Int32
    let stderr: String
    let peakResidentBytes: Int

    init(_ executable: URL, _ arguments: [String]) throws {
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("measured-run-\(UUID().uuidString).stderr")
        defer { try? FileManager.default.removeItem(at: errorFile) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errorFile.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable.path, &actions, nil, argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }
        var waitStatus: Int32 = 0
        var usage = rusage()
        while wait4(pid, &waitStatus, 0, &usage) < 0 {
            guard errno == EINTR else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECHILD) }
        }
        let signal = waitStatus & 0x7f
        status = signal == 0 ? (waitStatus >> 8) & 0xff : 128 + signal  // as a shell reports it
        stderr = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        peakResidentBytes = usage.ru_maxrss * 1024  // Linux counts kilobytes
    }
}
