import Foundation

/// The files and folders a command creates, so that a command that fails part-way removes them again
/// and leaves nothing new behind. Paths that existed before are not recorded: an overwritten file is
/// not new, and a folder that was there stays.
public final class NewOutputs {
    private var created: [URL] = []

    private init() {}

    /// Runs `body`; if it throws, everything it recorded is removed, newest first, and the error rethrown.
    public static func removedOnFailure<T>(_ body: (NewOutputs) throws -> T) throws -> T {
        let outputs = NewOutputs()
        do {
            return try body(outputs)
        } catch {
            for url in outputs.created.reversed() { try? FileManager.default.removeItem(at: url) }
            throw error
        }
    }

    /// Creates `folder` and any missing parents, recording each one created.
    public func createFolder(_ folder: URL) throws {
        var missing: [URL] = []
        var candidate = folder.standardizedFileURL
        while !FileManager.default.fileExists(atPath: candidate.path), candidate.path != "/" {
            missing.append(candidate)
            candidate = candidate.deletingLastPathComponent()
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        created += missing.reversed()
    }

    /// Runs `write`, which creates or replaces the file at `url`, recording the file if it is new.
    public func write(_ url: URL, _ write: () throws -> Void) throws {
        let isNew = !FileManager.default.fileExists(atPath: url.path)
        try write()
        if isNew { created.append(url) }
    }
}
