import Engine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Restarts the process once with OpenBLAS's thread timeout set, before anything runs: OpenBLAS reads it only when
/// it is loaded, and its default lets idle GEMM workers spin against the engine's own (Engine's BLASThreadTimeout).
/// The same program, arguments and PID, so shells and `mpirun` see no difference. Linux only (/proc/self/exe).
/// Setting OPENBLAS_THREAD_TIMEOUT yourself skips the restart.
enum BLASRestart {
    static func applyIfNeeded() {
        #if os(Linux)
        guard let (name, value) = BLASThreadTimeout.environmentToAdd(ProcessInfo.processInfo.environment),
              startedAsItself() else { return }
        guard setenv(name, value, 1) == 0 else { return }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv returns only when it failed: the command still runs, at OpenBLAS's default.
        let failure = errno
        unsetenv(name)
        Console.warn("could not restart with \(name)=\(value) (\(String(cString: strerror(failure)))); OpenBLAS's idle threads keep their default spin")
        #endif
    }

    /// Whether /proc/self/exe is this program rather than a loader or tool running it (`ld-linux.so toonkit …`,
    /// valgrind), which would take the arguments as its own: the file names must agree (a link to toonkit under
    /// another name therefore runs without the restart).
    private static func startedAsItself() -> Bool {
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
              let first = CommandLine.arguments.first else { return false }
        return URL(fileURLWithPath: executable).lastPathComponent == URL(fileURLWithPath: first).lastPathComponent
    }
}
