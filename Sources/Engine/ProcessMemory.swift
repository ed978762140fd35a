import Foundation

/// Resident memory of this process from /proc/self/status (Linux); 0 where that is not available.
public enum ProcessMemory {
    public static var residentBytes: Int { kilobytes("VmRSS") * 1024 }
    public static var peakBytes: Int { kilobytes("VmHWM") * 1024 }
    public static var residentMegabytes: Double { Double(kilobytes("VmRSS")) / 1024 }
    public static var peakMegabytes: Double { Double(kilobytes("VmHWM")) / 1024 }

    /// Returns freed heap (and the tensor buffers held for reuse) to the system and resets VmHWM to the current
    /// RSS (writing 5 to /proc/self/clear_refs), so that a benchmark measures the peak of what follows.
    public static func resetPeak() {
        releaseHeldBuffers()
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    /// Frees the tensor buffers held for reuse (StoragePool) and returns freed heap to the system, so that the work
    /// that follows starts as in a fresh process: buffers an earlier, different workload left held fill the pool's
    /// capacity and make this one's miss it, and add to its peak memory. The trim matters for buffers under glibc's
    /// mmap threshold (which rises to 32 MiB as large blocks are freed): freed, they stay resident in the heap.
    public static func releaseHeldBuffers() {
        StoragePool.shared.drain()
        #if canImport(Glibc)
        _ = glibcMallocTrim(0)
        #endif
    }

    /// How many bytes of freed tensor buffers the process holds for reuse at most (StoragePool).
    public static var heldBufferCapacityBytes: Int { StoragePool.shared.capacityBytes }

    /// The memory this process may use: the machine's (MemTotal in /proc/meminfo), or the lowest limit of its cgroup and
    /// the cgroups above it when that is lower (`memory.max`, v2; `memory.limit_in_bytes`, v1); 0 where none can be read.
    public static var limitBytes: Int {
        let cgroups = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        return limit(machineBytes: kilobytes("MemTotal", in: "/proc/meminfo") * 1024,
                     cgroupLimits: cgroupLimitFiles(procSelfCgroup: cgroups).map { try? String(contentsOfFile: $0, encoding: .utf8) })
    }

    /// The lowest of the machine's memory and the cgroup limit files that hold a number (v2 writes "max" for none, v1 a
    /// number near 2^63, which the machine's memory undercuts); either side may be missing (0, nil).
    static func limit(machineBytes: Int, cgroupLimits: [String?]) -> Int {
        let limits = cgroupLimits.compactMap { $0.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } }.filter { $0 > 0 }
        return (limits + (machineBytes > 0 ? [machineBytes] : [])).min() ?? 0
    }

    /// Where the memory limits that bind this process live: the limit file of its own cgroup (from /proc/self/cgroup:
    /// "0::/path" for v2, "N:controllers:/path" for a v1 hierarchy with the memory controller, mounted under its
    /// controllers' name) and of every cgroup above it up to the mount's root, which is also what a container with its
    /// own cgroup namespace sees. A parent's limit binds its children even where theirs says "max".
    static func cgroupLimitFiles(procSelfCgroup: String) -> [String] {
        var files: [String] = []
        for line in procSelfCgroup.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let mount: String, file: String
            if fields[0] == "0" && fields[1].isEmpty {
                (mount, file) = ("/sys/fs/cgroup", "memory.max")
            } else if fields[1].split(separator: ",").contains("memory") {
                (mount, file) = ("/sys/fs/cgroup/\(fields[1])", "memory.limit_in_bytes")
            } else {
                continue
            }
            var path = fields[2].split(separator: "/").map(String.init)
            while true {
                files.append(([mount] + path + [file]).joined(separator: "/"))
                if path.isEmpty { break }
                path.removeLast()
            }
        }
        return files
    }

    static func kilobytes(_ name: String, in file: String = "/proc/self/status") -> Int {
        guard let status = try? String(contentsOfFile: file, encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }),
              let value = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap({ Int($0) }) else { return 0 }
        return value
    }
}

#if canImport(Glibc)
/// glibc's malloc_trim (malloc.h is not part of the Glibc module): without it, heap freed earlier (e.g.
/// after writing a benchmark's inputs) would stay resident and be reused, hiding what the measured work needs.
@_silgen_name("malloc_trim") private func glibcMallocTrim(_ pad: Int) -> Int32
#endif
