import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only view of a whole file through mmap, handing out zero-copy `Data` slices; shared by the
/// checkpoint reader and the importers.
///
/// The mapping is private and writable, so a caller that mutates a slice gets copy-on-write pages
/// instead of a crash, and the file itself never changes. Checkpoints are replaced by rename, never
/// truncated in place, so the mapped inode stays intact while slices are alive.
public final class MappedFile: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer

    public var size: Int { bytes.count }

    /// What failed: the system call and its error text.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Maps the file behind an open descriptor (for checkpoints HDF5's own, so the mapping shows the
    /// very inode it reads). An empty file cannot be mapped.
    public init(descriptor: Int32) throws {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw MappedFile.failure("stat") }
        let size = Int(status.st_size)
        guard size > 0, let mapping = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, descriptor, 0),
              mapping != MAP_FAILED else { throw MappedFile.failure("mmap") }
        bytes = UnsafeRawBufferPointer(start: mapping, count: size)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count) }

    /// The bytes at `offset`; the returned `Data` keeps the mapping alive. nil when out of range.
    public func slice(offset: UInt64, count: Int) -> Data? {
        guard count >= 0, offset <= UInt64(size), UInt64(count) <= UInt64(size) - offset else { return nil }
        guard count > 0 else { return Data() }
        return Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: bytes.baseAddress! + Int(offset)), count: count,
                    deallocator: .custom { _, _ in withExtendedLifetime(self) {} })
    }

    private static func failure(_ call: String) -> Failure {
        Failure(description: "\(call) failed: \(String(cString: strerror(errno)))")
    }
}
