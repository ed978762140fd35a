import Foundation

/// Large tensor buffers kept for reuse instead of returned to the system (docs/engine-kernels.md "Buffers").
///
/// A forward pass allocates and frees the same large buffers every call (layer outputs, im2col columns, band
/// scratch); above glibc's mmap threshold each one is a fresh mapping whose pages fault in zeroed on first touch
/// and are unmapped on free. For FID's Inception at batch 8 that was ~420 000 page faults in a 5-second benchmark
/// and ~3 s of system time against ~11 s of user time (`/usr/bin/time toonkit bench inception`). Buffers from
/// `minimumBytes` up are allocated in size classes a quarter octave apart (at most 25 % unused), go back here on
/// release and are handed out again for any request of their class, most recently freed first (still warm in
/// cache). At most `capacityBytes` are held; a buffer that does not fit is freed, so the buffers of a pass that
/// repeats (the next batch, the next step) stay held rather than evicting each other in turn. Recycled buffers
/// are uninitialised, as fresh ones are (`Tensor(uninitializedShape:)` promises nothing).
final class StoragePool: @unchecked Sendable {
    static let shared = StoragePool()

    static let minimumBytes = 256 << 10

    static let defaultCapacityBytes = capacity(forLimit: ProcessMemory.limitBytes / HostShare.localProcesses)

    /// A quarter of `limit`, the memory this process may use (its share of the host), from 512 MiB to 8 GiB: a paper256
    /// training step at batch 4 frees and takes again about 3 GiB of buffers, and with 512 MiB held it mapped and
    /// faulted in the rest on every step (docs/engine-kernels.md "Buffers"). Below 2 GiB the floor holds more than a
    /// quarter, as the fixed 512 MiB before it did.
    static func capacity(forLimit limit: Int) -> Int {
        min(max(limit / 4, 512 << 20), 8 << 30)
    }

    /// At most this many bytes are held.
    let capacityBytes: Int

    init(capacityBytes: Int = StoragePool.defaultCapacityBytes) {
        self.capacityBytes = capacityBytes
    }

    private let lock = NSLock()
    /// Held buffers by size class, each class's most recently freed last: a lookup costs the same however many are held.
    private var held: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var heldBytes = 0

    /// The floats actually allocated for a request of `count`: the count itself below `minimumBytes`, else rounded up
    /// to a multiple of a quarter of its power of two.
    static func sizeClass(_ count: Int) -> Int {
        guard count * MemoryLayout<Float>.stride >= minimumBytes else { return max(count, 1) }
        let step = 1 << (Int.bitWidth - count.leadingZeroBitCount - 3)
        return (count + step - 1) / step * step
    }

    /// A buffer for `count` floats, recycled if one of its size class is held, else newly allocated (64-byte aligned).
    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let capacity = Self.sizeClass(count)
        if capacity * MemoryLayout<Float>.stride >= Self.minimumBytes {
            lock.lock()
            if let pointer = held[capacity]?.popLast() {
                heldBytes -= capacity * MemoryLayout<Float>.stride
                lock.unlock()
                return pointer
            }
            lock.unlock()
        }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<Float>.stride, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: capacity)
    }

    /// Takes back a buffer `take(count)` gave: held for reuse if large and if it fits, freed otherwise.
    func give(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        let capacity = Self.sizeClass(count), bytes = capacity * MemoryLayout<Float>.stride
        guard bytes >= Self.minimumBytes else { return pointer.deallocate() }
        lock.lock()
        let fits = heldBytes + bytes <= capacityBytes
        if fits {
            held[capacity, default: []].append(pointer)
            heldBytes += bytes
        }
        lock.unlock()
        if !fits { pointer.deallocate() }
    }

    /// Frees every held buffer: before a benchmark measures peak memory (which held buffers would hide), and between
    /// workloads whose buffers differ (`ProcessMemory.releaseHeldBuffers`).
    func drain() {
        lock.lock()
        let all = held
        held = [:]
        heldBytes = 0
        lock.unlock()
        all.values.joined().forEach { $0.deallocate() }
    }

    var heldByteCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return heldBytes
    }
}
