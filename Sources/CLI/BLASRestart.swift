import Engine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Restarts the process once with OpenBLAS's thread timeout set, before anything runs: OpenBLAS reads it only when
/// it is loaded, and its default lets idle GEMM workers spin against the engine's own (Engine's BLASThreadTimeout).
/// The same process image, arguments and PID, so shells, `mpirun` and the distributed launcher see no difference.
enum BLASRestart {
    static func applyIfNeeded() {
        #if os(Linux)
        guard let (name, value) = BLASThreadTimeout.environmentToAdd(ProcessInfo.processInfo.environment) else { return }
        setenv(name, value, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv returns only when it failed: the command still runs, at OpenBLAS's default.
        Console.warn("could not restart with \(name)=\(value) (\(String(cString: strerror(errno)))); OpenBLAS's idle threads keep their default spin")
        #endif
    }
}
