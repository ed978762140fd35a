import CHDF5Probe
import Foundation

/// libhdf5 1.10 dies on some damaged or hostile metadata (a few flipped bytes are enough), and nothing
/// checked from outside the library can rule that out. So before a file is opened in this process, a child
/// process walks all of its structure: every link, object header, attribute and string dataset that the
/// reader will touch, and refuses what a self-contained checkpoint never holds (external storage, external
/// and soft links, virtual or chunked datasets, objects reached by two paths). Only a file that child
/// survived is opened here. See docs/untrusted-files.md.
enum StructureProbe {
    /// A checkpoint's structure is read in well under a second; the rest of the time is for a loaded machine.
    static let timeoutMilliseconds: Int32 = 20_000

    static func check(_ path: String) throws {
        let identity = FileIdentity(path)
        if let identity, accepted.contains(identity) { return }
        try probe(path)
        if let identity { accepted.insert(identity) }
    }

    /// Files this process has seen accepted, unchanged since (the same inode, size and modification time):
    /// a command opens its inputs, and the files it just wrote, more than once.
    private static let accepted = AcceptedFiles()

    private static func probe(_ path: String) throws {
        var result = toon_probe_result()
        toon_probe_file(path, timeoutMilliseconds, &result)
        let message = withUnsafeBytes(of: result.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        switch toon_probe_outcome(rawValue: UInt32(result.outcome)) {
        case TOON_PROBE_ACCEPTED:
            return
        case TOON_PROBE_REFUSED:
            throw CheckpointError.refused(path: path, reason: message)
        case TOON_PROBE_UNREADABLE:
            throw CheckpointError.unreadable(path: path, reason: message)
        case TOON_PROBE_CRASHED:
            throw CheckpointError.refused(path: path, reason: "the HDF5 library crashed (\(signalName(result.signal_number))) "
                                          + "reading the file's structure in a separate process: its metadata is damaged or hostile")
        case TOON_PROBE_TIMED_OUT:
            throw CheckpointError.refused(path: path, reason: "reading the file's structure took longer than "
                                          + "\(timeoutMilliseconds / 1000) s: its metadata is damaged or hostile")
        default:
            throw CheckpointError.unreadable(path: path, reason: "its structure could not be checked: \(message)")
        }
    }

    private static func signalName(_ number: Int32) -> String {
        let names: [Int32: String] = [SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE",
                                      SIGILL: "SIGILL", SIGKILL: "SIGKILL, out of memory or CPU time"]
        return names[number] ?? "signal \(number)"
    }
}

/// What identifies a file's content without reading it.
private struct FileIdentity: Hashable {
    let device, inode, size, seconds, nanoseconds: Int

    init?(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        (device, inode, size) = (Int(info.st_dev), Int(info.st_ino), Int(info.st_size))
        (seconds, nanoseconds) = (Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec))
    }
}

private final class AcceptedFiles: @unchecked Sendable {
    private let lock = NSLock()
    private var identities: Set<FileIdentity> = []

    func contains(_ identity: FileIdentity) -> Bool { lock.withLock { identities.contains(identity) } }
    func insert(_ identity: FileIdentity) { lock.withLock { _ = identities.insert(identity) } }
}
