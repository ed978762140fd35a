import Foundation

public struct ProcessResult {
    public var status: Int32
    /// The signal that killed the child, if one did (`status` then holds its number too).
    public var signal: Int32?
    public var stdout: String
    public var stderr: String
}

/// Runs an executable to completion, capturing both streams; with this process's environment unless given one.
/// A child killed by a signal reports the signal's number as its status, as Foundation's Process did, and in `signal`.
public func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
    var output: [Int32] = [-1, -1], errors: [Int32] = [-1, -1]
    defer { (output + errors).filter { $0 >= 0 }.forEach { close($0) } }
    guard closeOnExecPipe(&output) == 0, closeOnExecPipe(&errors) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EMFILE) }
    let pid = try spawnClosingOtherDescriptors(executable.path, arguments, environment: environment ?? ProcessInfo.processInfo.environment,
                                               stdout: .descriptor(output[1]), stderr: .descriptor(errors[1]))
    close(output[1])
    close(errors[1])
    (output[1], errors[1]) = (-1, -1)
    // Drain both pipes at once so a chatty child cannot block on a full one: stderr on a thread of its own, since a
    // dispatch pool may run two blocks one after the other.
    let errorData = ReadBuffer(), errorsRead = DispatchSemaphore(value: 0), errorReader = errors[0]
    Thread {
        errorData.data = FileHandle(fileDescriptor: errorReader, closeOnDealloc: false).readDataToEndOfFile()
        errorsRead.signal()
    }.start()
    let outputData = FileHandle(fileDescriptor: output[0], closeOnDealloc: false).readDataToEndOfFile()
    errorsRead.wait()  // orders the thread's write before the read below
    let status = try waitForExit(pid)
    return ProcessResult(status: status.signal ?? status.code, signal: status.signal, stdout: String(decoding: outputData, as: UTF8.self),
                         stderr: String(decoding: errorData.data, as: UTF8.self))
}

/// What the stderr thread read, handed over through the semaphore.
private final class ReadBuffer: @unchecked Sendable {
    var data = Data()
}

/// Where a spawned child's stdout or stderr goes.
public enum ChildOutput {
    case discard
    case descriptor(Int32)
    case file(String)
}

/// Spawns `executable` (in `directory`, else this process's) with stdin from /dev/null, stdout and stderr as asked, and
/// every other descriptor closed in the child. Foundation's Process on Linux closes only those up to the highest it
/// found open before spawning, so one that another test's thread opens meanwhile is inherited; when that is an HDF5
/// file being created (HDF5 marks it close-on-exec only after opening it), the child keeps the file's lock while it
/// runs, and that test's next open for writing fails with "unable to lock the file" (a CI run: ValidationTests, while
/// HostileInputCommandTests ran toonkit). Closing shortens that to the moment before the child runs its closefrom,
/// which a reopen can still meet (Tamper.edit in CheckpointTests opens without locking for that reason).
public func spawnClosingOtherDescriptors(_ executable: String, _ arguments: [String], environment: [String: String],
                                         stdout: ChildOutput = .discard, stderr: ChildOutput = .discard, directory: String? = nil) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    for (target, output) in [(Int32(1), stdout), (2, stderr)] {
        switch output {
        case .discard: posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0)
        case .descriptor(let source): posix_spawn_file_actions_adddup2(&actions, source, target)
        case .file(let path): posix_spawn_file_actions_addopen(&actions, target, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
    }
    if let directory, addChangeDirectory?(&actions, directory) != 0 { throw POSIXError(.ENOSYS) }
    addCloseOtherDescriptors(&actions)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
    guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }
    return pid
}

/// A glibc function that Swift's Glibc module does not export, looked up at run time; nil where this glibc lacks it.
private func glibcFunction<Function>(_ name: String, as type: Function.Type) -> Function? {
    dlsym(nil, name).map { unsafeBitCast($0, to: type) }
}

private typealias SpawnActions = UnsafeMutablePointer<posix_spawn_file_actions_t>

/// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+).
private let addChangeDirectory = glibcFunction("posix_spawn_file_actions_addchdir_np",
                                               as: (@convention(c) (SpawnActions, UnsafePointer<CChar>) -> Int32).self)

/// Closes every descriptor above stderr in the child: glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), else each
/// one /proc/self/fd lists now (racy, as Foundation is).
private func addCloseOtherDescriptors(_ actions: SpawnActions) {
    if addCloseFrom?(actions, 3) == 0 { return }
    let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.compactMap { Int32($0) } ?? []
    for descriptor in open where descriptor > 2 { posix_spawn_file_actions_addclose(actions, descriptor) }
}

private let addCloseFrom = glibcFunction("posix_spawn_file_actions_addclosefrom_np", as: (@convention(c) (SpawnActions, Int32) -> Int32).self)

/// Reaps `pid`: its exit code, or the signal that killed it.
public func waitForExit(_ pid: pid_t) throws -> (code: Int32, signal: Int32?) {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        guard errno == EINTR else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECHILD) }
    }
    let signal = status & 0x7f
    return ((status >> 8) & 0xff, signal == 0 ? nil : signal)
}

/// glibc's `pipe2` with O_CLOEXEC, so that a child another thread spawns meanwhile cannot hold the write ends open and
/// delay the end of the streams.
private func closeOnExecPipe(_ ends: UnsafeMutablePointer<Int32>) -> Int32 { pipe2?(ends, O_CLOEXEC) ?? ENOSYS }

private let pipe2 = glibcFunction("pipe2", as: (@convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32).self)

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

    /// Runs toonkit in a folder of its own (relative paths resolve there), killed after `timeLimit` seconds: a case that
    /// would run for hours if its check were lost fails, naming the command, instead of hanging the suite.
    public static func run(_ arguments: [String], timeLimit: TimeInterval) throws -> ProcessResult {
        guard let executable else { throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: missing]) }
        let folder = try TemporaryDirectory()
        var process = MonitoredProcess(executable: executable.path, arguments: arguments, directory: folder.url)
        process.timeout = timeLimit
        let outcome = try process.run()
        guard !outcome.timedOut else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "toonkit \(arguments.joined(separator: " ")) ran past its \(timeLimit) s limit and was killed"])
        }
        return ProcessResult(status: outcome.signal ?? outcome.exitStatus ?? -1, signal: outcome.signal, stdout: outcome.stdoutText, stderr: outcome.stderrText)
    }
}
