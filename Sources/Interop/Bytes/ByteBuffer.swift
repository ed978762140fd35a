import Checkpoint
import Foundation
import UntrustedInput
#if canImport(Glibc)
import Glibc
#endif

/// Immutable bytes (a memory-mapped file or a heap block) that can hand out zero-copy `Data`
/// views of sub-ranges. Every view keeps the buffer alive, so tensors read from a mapped file stay
/// valid after the reader is gone.
public final class ByteBuffer: @unchecked Sendable {
    public let location: SourceLocation
    public let bytes: UnsafeRawBufferPointer
    private let release: () -> Void

    private init(location: SourceLocation, bytes: UnsafeRawBufferPointer, release: @escaping () -> Void) {
        self.location = location
        self.bytes = bytes
        self.release = release
    }

    deinit { release() }

    public var count: Int { bytes.count }

    /// Maps a whole file. The mapping is private and writable so that a caller who mutates a
    /// tensor's `Data` gets copy-on-write pages instead of a crash; the file itself never changes.
    /// Every reader of this module opens its input here, so this is where FIFOs, devices and
    /// directories are refused: opening a FIFO would block until a writer appears.
    public static func mapping(_ url: URL) throws -> ByteBuffer {
        let location = SourceLocation(path: url.path)
        do {
            try InputFile.checkRegular(url.path)
        } catch let refusal as InputFileError {
            throw InteropError(refusal.reason, location: location)
        }
        // O_NONBLOCK: should the path become a FIFO after the check, open returns instead of
        // waiting, and the fstat below refuses it.
        let descriptor = open(url.path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw InteropError("cannot open: \(String(cString: strerror(errno)))", location: location)
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw InteropError("cannot stat: \(String(cString: strerror(errno)))", location: location)
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw InteropError("not a regular file", location: location)
        }
        if status.st_size == 0 { return copying(Data(), location: location) }
        do {
            let file = try MappedFile(descriptor: descriptor)
            return ByteBuffer(location: location, bytes: file.bytes) { withExtendedLifetime(file) {} }
        } catch {
            throw InteropError("cannot map the file: \(error)", location: location)
        }
    }

    /// A heap copy of `data` (used for decompressed archive members and in tests).
    public static func copying(_ data: Data, location: SourceLocation) -> ByteBuffer {
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(data.count, 1), alignment: 64)
        data.copyBytes(to: storage.assumingMemoryBound(to: UInt8.self), count: data.count)
        return adopting(storage, count: data.count, location: location)
    }

    /// Takes ownership of memory allocated with `UnsafeMutableRawPointer.allocate`.
    static func adopting(_ storage: UnsafeMutableRawPointer, count: Int, location: SourceLocation) -> ByteBuffer {
        ByteBuffer(location: location, bytes: UnsafeRawBufferPointer(start: storage, count: count)) {
            storage.deallocate()
        }
    }

    /// A zero-copy `Data` over `range` that retains this buffer.
    public func data(_ range: Range<Int>) -> Data {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range outside the buffer")
        if range.isEmpty { return Data() }
        let start = UnsafeMutableRawPointer(mutating: bytes.baseAddress! + range.lowerBound)
        return Data(bytesNoCopy: start, count: range.count, deallocator: .custom { _, _ in
            withExtendedLifetime(self) {}
        })
    }

    public func slice(_ range: Range<Int>) -> ByteSlice { ByteSlice(buffer: self, range: range) }

    public var whole: ByteSlice { slice(0..<count) }

    func error(_ message: String, at offset: Int?) -> InteropError {
        InteropError(message, location: location, offset: offset)
    }
}

/// A range of a `ByteBuffer`: bytes that stay in the file until someone needs them.
public struct ByteSlice: @unchecked Sendable {
    public let buffer: ByteBuffer
    public let range: Range<Int>

    public var count: Int { range.count }
    public var data: Data { buffer.data(range) }
    /// Valid only while the buffer lives: keep the slice in a variable while reading, or use `data`
    /// (a temporary slice of an inflated member may be its buffer's last owner).
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer.bytes[range]) }

    public func slice(_ relative: Range<Int>) -> ByteSlice {
        ByteSlice(buffer: buffer, range: (range.lowerBound + relative.lowerBound)..<(range.lowerBound + relative.upperBound))
    }

    public var cursor: ByteCursor { ByteCursor(buffer: buffer, range: range) }

    public func hasPrefix(_ prefix: [UInt8]) -> Bool {
        count >= prefix.count && zip(bytes, prefix).allSatisfy { $0 == $1 }
    }
}
