@testable import Engine
import Testing

/// Large tensor buffers are recycled by size class (StoragePool); small ones are plain allocations.
@Suite struct StoragePoolTests {
    @Test func sizeClassesAreAQuarterOctaveApartAndCoverTheRequest() {
        let minimum = StoragePool.minimumBytes / MemoryLayout<Float>.stride
        #expect(StoragePool.sizeClass(7) == 7 && StoragePool.sizeClass(0) == 1)
        for count in [minimum, minimum + 1, 3 * minimum - 5, 1 << 22, (1 << 22) + 1, 5_000_001] {
            let size = StoragePool.sizeClass(count)
            #expect(size >= count && Double(size) < 1.25 * Double(count), "\(count) → \(size)")
            #expect(StoragePool.sizeClass(size) == size, "a class is its own class: \(size)")
        }
        #expect(StoragePool.sizeClass((1 << 22) + 1) == (1 << 22) + (1 << 20))
    }

    @Test func aReleasedLargeBufferServesTheNextRequestOfItsClass() {
        let pool = StoragePool()
        let count = 1 << 20, neighbour = count + 1000  // same class: 2^20 + 2^18
        let first = pool.take(neighbour)
        first[neighbour - 1] = 42
        pool.give(first, count: neighbour)
        #expect(pool.heldByteCount == StoragePool.sizeClass(neighbour) * MemoryLayout<Float>.stride)
        let second = pool.take(neighbour - 500)
        #expect(second == first && pool.heldByteCount == 0)
        pool.give(second, count: neighbour - 500)
        let other = pool.take(4 * count)  // another class: a new buffer
        #expect(other != first)
        pool.give(other, count: 4 * count)
        pool.drain()
        #expect(pool.heldByteCount == 0)
    }

    @Test func holdsAtMostItsCapacityAndNothingSmall() {
        let pool = StoragePool(capacityBytes: 64 << 20)
        let small = pool.take(100)
        pool.give(small, count: 100)
        #expect(pool.heldByteCount == 0)
        // A third of the capacity rounds up to a class of 3/8 of it (never touched, so never resident): two fit.
        let count = pool.capacityBytes / MemoryLayout<Float>.stride / 3
        let buffers = (0..<4).map { _ in pool.take(count) }
        for buffer in buffers { pool.give(buffer, count: count) }
        #expect(pool.heldByteCount == 2 * StoragePool.sizeClass(count) * MemoryLayout<Float>.stride)
        pool.drain()
    }

    @Test func theMostRecentlyFreedBufferOfAClassComesBackFirst() {
        let pool = StoragePool(capacityBytes: 64 << 20)
        let count = 1 << 20
        let (a, b, other) = (pool.take(count), pool.take(count), pool.take(2 * count))
        pool.give(a, count: count)
        pool.give(other, count: 2 * count)
        pool.give(b, count: count)
        #expect(pool.take(count) == b && pool.take(count) == a && pool.take(2 * count) == other)
        #expect(pool.heldByteCount == 0)
        for (pointer, size) in [(a, count), (b, count), (other, 2 * count)] { pool.give(pointer, count: size) }
        pool.drain()
    }

    @Test func theCapacityIsAQuarterOfTheLimitFrom512MiBTo8GiB() {
        let (mib, gib) = (1 << 20, 1 << 30)
        #expect(StoragePool.capacity(forLimit: 0) == 512 * mib)
        #expect(StoragePool.capacity(forLimit: gib) == 512 * mib)
        #expect(StoragePool.capacity(forLimit: 8 * gib) == 2 * gib)
        #expect(StoragePool.capacity(forLimit: 64 * gib) == 8 * gib)
        #expect(HostShare.localProcesses([:]) == 1 && HostShare.localProcesses([HostShare.localProcessesVariable: "4"]) == 4)
        #expect(HostShare.localProcesses([HostShare.localProcessesVariable: "0"]) == 1)
    }

    @Test func theMemoryLimitIsTheLowestOfTheMachineAndItsCgroups() {
        let gib = 1 << 30
        #expect(ProcessMemory.limit(machineBytes: 16 * gib, cgroupLimits: ["max\n", "4294967296\n"]) == 4 * gib)
        #expect(ProcessMemory.limit(machineBytes: 16 * gib, cgroupLimits: ["9223372036854771712\n", "2147483648\n"]) == 2 * gib)
        #expect(ProcessMemory.limit(machineBytes: 16 * gib, cgroupLimits: [nil, "9223372036854771712\n"]) == 16 * gib)
        #expect(ProcessMemory.limit(machineBytes: 16 * gib, cgroupLimits: ["max\n", nil]) == 16 * gib)
        #expect(ProcessMemory.limit(machineBytes: 0, cgroupLimits: ["2147483648"]) == 2 * gib)
        #expect(ProcessMemory.limit(machineBytes: 16 * gib, cgroupLimits: []) == 16 * gib)
        #if os(Linux)
        #expect(ProcessMemory.limitBytes > 0, "/proc/meminfo readable on Linux")
        #endif
    }

    @Test func theLimitFilesAreTheCgroupsAndEveryOneAboveIt() {
        #expect(ProcessMemory.cgroupLimitFiles(procSelfCgroup: "0::/user.slice/job\n") == [
            "/sys/fs/cgroup/user.slice/job/memory.max", "/sys/fs/cgroup/user.slice/memory.max", "/sys/fs/cgroup/memory.max"])
        #expect(ProcessMemory.cgroupLimitFiles(procSelfCgroup: "0::/\n") == ["/sys/fs/cgroup/memory.max"])
        #expect(ProcessMemory.cgroupLimitFiles(procSelfCgroup: "5:devices:/\n4:memory:/box/1\n1:cpu,cpuacct:/\n") == [
            "/sys/fs/cgroup/memory/box/1/memory.limit_in_bytes", "/sys/fs/cgroup/memory/box/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.limit_in_bytes"])
        #expect(ProcessMemory.cgroupLimitFiles(procSelfCgroup: "3:cpu,memory:/a\n") == [
            "/sys/fs/cgroup/cpu,memory/a/memory.limit_in_bytes", "/sys/fs/cgroup/cpu,memory/memory.limit_in_bytes"])
    }
}
