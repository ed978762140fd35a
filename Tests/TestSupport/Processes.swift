import Foundation

public struct ProcessResult {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs an executable to completion, capturing both streams; with this process's environment unless given one.
///
/// Spawned with every descriptor above stderr closed in the child (closefrom), as MonitoredProcess does. Foundation's
/// Process on Linux closes the descriptors up to the highest it found open before spawning, so one that another test's
/// thread opens meanwhile is inherited; when that is an HDF5 file being created (HDF5 marks it close-on-exec only after
/// opening it), the child keeps the file's lock while it runs, and that test's next open for writing fails with "unable
/// to lock the file" (a CI run: ValidationTests, while HostileInputCommandTests ran toonkit).
/// A child killed by a signal reports the signal's number as its status, as Process did.
public func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
    var output: [Int32] = [-1, -1], errors: [Int32] = [-1, -1]
    guard closeOnExecPipe(&output) == 0, closeOnExecPipe(&errors) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EMFILE) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, output[1], 1)
    posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
    guard MonitoredProcess.addCloseFrom(&actions, 3) == 0 else { throw POSIXError(.ENOSYS) }
    let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
    let envp = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable.path, &actions, nil, argv, envp)
    close(output[1])
    close(errors[1])
    let readers = [FileHandle(fileDescriptor: output[0], closeOnDealloc: true), FileHandle(fileDescriptor: errors[0], closeOnDealloc: true)]
    guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }
    // Drain both pipes at once so a chatty child cannot block on a full one.
    var streams = [Data(), Data()]
    let lock = NSLock()
    DispatchQueue.concurrentPerform(iterations: 2) { stream in
        let data = readers[stream].readDataToEndOfFile()
        lock.withLock { streams[stream] = data }
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        guard errno == EINTR else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECHILD) }
    }
    let signal = status & 0x7f
    return ProcessResult(status: signal == 0 ? (status >> 8) & 0xff : signal, stdout: String(decoding: streams[0], as: UTF8.self),
                         stderr: String(decoding: streams[1], as: UTF8.self))
}

/// glibc's `pipe2` with O_CLOEXEC (Swift's Glibc module does not export it), so that a child another thread spawns
/// meanwhile cannot hold the write ends open and delay the end of the streams.
private let closeOnExecPipe: (UnsafeMutablePointer<Int32>) -> Int32 = {
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    guard let symbol = dlsym(nil, "pipe2") else { return { _ in ENOSYS } }
    let function = unsafeBitCast(symbol, to: Pipe2.self)
    return { ends in function(ends, O_CLOEXEC) }
}()

/// Runs an installed tool (h5ls, h5dump); nil when it is not installed.
public func runTool(_ name: String, _ arguments: [String]) throws -> ProcessResult? {
    guard let url = ["/usr/bin", "/usr/local/bin", "/bin"].map({ URL(fileURLWithPath: $0).appendingPathComponent(name) })
        .first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else { return nil }
    return try run(url, arguments)
}

/// The toonkit executable that `swift build` puts next to the test bundle (`.build/<config>/toonkit`).
public enum Toonkit {
    public static let executable: URL? = {
        guard let bundle = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        let url = URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("toonkit")
        return FileManager.default.isExecutableFile(atPath: url.path) ? url : nil
    }()

    public static let missing = "skipped: no toonkit executable next to the test bundle; run `swift build` first"

    public static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
        guard let executable else { throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: missing]) }
        return try TestSupport.run(executable, arguments, environment: environment)
    }
}
