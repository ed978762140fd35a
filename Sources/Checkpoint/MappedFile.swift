import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only view of a whole file through mmap, handing out zero-copy `Data` slices.
///
/// The mapping is private and writable, so a caller that mutates a slice gets copy-on-write pages
/// instead of a crash, and the file itself never changes. Checkpoints are replaced by rename, never
/// truncated in place, so the mapped inode stays intact while slices are alive.
final class MappedFile {
    let size: Int
    private let base: UnsafeMutableRawPointer

    /// Maps the file behind an open descriptor (HDF5's own, so the mapping shows the very inode it reads).
    init(descriptor: Int32, path: String) throws {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw MappedFile.failure(path, "stat") }
        size = Int(status.st_size)
        guard size > 0, let mapping = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, descriptor, 0),
              mapping != MAP_FAILED else { throw MappedFile.failure(path, "mmap") }
        base = mapping
    }

    deinit { munmap(base, size) }

    /// The bytes at `offset`; the returned `Data` keeps the mapping alive. nil when out of range.
    func slice(offset: UInt64, count: Int) -> Data? {
        guard count >= 0, offset <= UInt64(size), UInt64(count) <= UInt64(size) - offset else { return nil }
        guard count > 0 else { return Data() }
        return Data(bytesNoCopy: base + Int(offset), count: count, deallocator: .custom { _, _ in
            withExtendedLifetime(self) {}
        })
    }

    private static func failure(_ path: String, _ call: String) -> CheckpointError {
        .unreadable(path: path, reason: "\(call) failed: \(String(cString: strerror(errno)))")
    }
}
