import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A buffered, position-tracking writer over a file descriptor.
public final class FileSink {
    private let descriptor: Int32
    private let path: String
    private var pending: [UInt8] = []
    private let capacity = 1 << 20
    public private(set) var position = 0

    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
        pending.reserveCapacity(capacity)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        position += bytes.count
        if pending.count + bytes.count <= capacity {
            pending.append(contentsOf: bytes)
            return
        }
        try flush()
        if bytes.count <= capacity {
            pending.append(contentsOf: bytes)
        } else {
            try writeThrough(bytes)
        }
    }

    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func write(_ text: String) throws {
        try write(Array(text.utf8))
    }

    public func writeLittleEndian<T: FixedWidthInteger>(_ value: T) throws {
        try withUnsafeBytes(of: value.littleEndian) { try write($0) }
    }

    public func flush() throws {
        try pending.withUnsafeBytes { try writeThrough($0) }
        pending.removeAll(keepingCapacity: true)
    }

    private func writeThrough(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw InteropError("cannot write: \(String(cString: strerror(errno)))", location: SourceLocation(path: path))
            }
            offset += written
        }
    }
}

/// Writes a file so that a crash or an error never leaves a partial file behind: the bytes go to
/// a temporary file in the same folder, which is synced and then renamed over the target.
public enum AtomicFile {
    /// Refuses to write `output` over `input`: the rename would silently replace the source.
    public static func checkDistinct(input: URL, output: URL) throws {
        var inputStatus = stat()
        var outputStatus = stat()
        guard stat(input.path, &inputStatus) == 0, stat(output.path, &outputStatus) == 0 else { return }
        if inputStatus.st_dev == outputStatus.st_dev && inputStatus.st_ino == outputStatus.st_ino {
            throw InteropError("the output is the input file; choose another output path", location: SourceLocation(path: output.path))
        }
    }

    public static func write(to url: URL, _ body: (FileSink) throws -> Void) throws {
        let target = url.path
        let temporary = target + ".tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw InteropError("cannot create the output file: \(String(cString: strerror(errno)))", location: SourceLocation(path: target))
        }
        var committed = false
        defer {
            if !committed { unlink(temporary) }
        }
        do {
            let sink = FileSink(descriptor: descriptor, path: target)
            try body(sink)
            try sink.flush()
            guard fsync(descriptor) == 0 else {
                throw InteropError("cannot sync the output file: \(String(cString: strerror(errno)))", location: SourceLocation(path: target))
            }
        } catch {
            close(descriptor)
            throw error
        }
        close(descriptor)
        guard rename(temporary, target) == 0 else {
            throw InteropError("cannot move the output into place: \(String(cString: strerror(errno)))", location: SourceLocation(path: target))
        }
        committed = true
    }
}
