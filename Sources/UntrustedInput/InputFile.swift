import Foundation

/// Why an input path was refused before any byte of it was read.
public struct InputFileError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    /// Nothing exists at the path (as opposed to something that is not a readable regular file).
    public let isMissing: Bool

    public init(path: String, reason: String, isMissing: Bool = false) {
        self.path = path
        self.reason = reason
        self.isMissing = isMissing
    }

    public var description: String { "\(path.escapedForDisplay): \(reason)" }
}

/// Checks on a path named by the user before it is opened.
public enum InputFile {
    /// Throws unless `path` (after symbolic links) is an existing, readable regular file. Opening a FIFO
    /// blocks until a writer appears and a device can stream forever (`/dev/zero`), so both are refused
    /// from `stat` alone, without opening them.
    public static func checkRegular(_ path: String) throws {
        guard try !isFolder(path) else { throw InputFileError(path: path, reason: "is a directory, not a file") }
    }

    /// Whether `path` is a folder, for inputs that may be a folder or a file (data sets, image folders);
    /// throws unless it is one of the two, readable, as `checkRegular` does.
    public static func checkFileOrFolder(_ path: String) throws -> Bool { try isFolder(path) }

    private static func isFolder(_ path: String) throws -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let missing = errno == ENOENT
            throw InputFileError(path: path, reason: missing ? "no such file" : String(cString: strerror(errno)), isMissing: missing)
        }
        let folder: Bool
        switch info.st_mode & S_IFMT {
        case S_IFREG: folder = false
        case S_IFDIR: folder = true
        case S_IFIFO: throw InputFileError(path: path, reason: "is a named pipe (FIFO), not a regular file")
        case S_IFCHR, S_IFBLK: throw InputFileError(path: path, reason: "is a device, not a regular file")
        case S_IFSOCK: throw InputFileError(path: path, reason: "is a socket, not a regular file")
        default: throw InputFileError(path: path, reason: "is not a regular file")
        }
        guard access(path, R_OK) == 0 else { throw InputFileError(path: path, reason: "permission denied") }
        return folder
    }

    /// The size in bytes of a regular file (after `checkRegular`).
    public static func size(_ path: String) throws -> UInt64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw InputFileError(path: path, reason: String(cString: strerror(errno))) }
        return UInt64(info.st_size)
    }
}
