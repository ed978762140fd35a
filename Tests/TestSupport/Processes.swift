import Foundation

public struct ProcessResult {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs an executable to completion, capturing both streams; with this process's environment unless given one.
public func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = environment }
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // Drain both pipes at once so a chatty child cannot block on a full one.
    var outputData = Data(), errorData = Data()
    DispatchQueue.concurrentPerform(iterations: 2) { stream in
        if stream == 0 {
            outputData = output.fileHandleForReading.readDataToEndOfFile()
        } else {
            errorData = errors.fileHandleForReading.readDataToEndOfFile()
        }
    }
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
                         stderr: String(decoding: errorData, as: UTF8.self))
}

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
