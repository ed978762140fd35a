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
        #if canImport(Glibc)
        _ = glibcMallocTrim(0)
        #endif
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    /// Frees the tensor buffers held for reuse (StoragePool), so that the work that follows starts as in a fresh process:
    /// buffers an earlier, different workload left held fill the pool's capacity and make this one's miss it.
    public static func releaseHeldBuffers() {
        StoragePool.shared.drain()
    }

    /// How many bytes of freed tensor buffers the process holds for reuse at most (StoragePool).
    public static var heldBufferCapacityBytes: Int { StoragePool.shared.capacityBytes }

    /// The memory this process may use: the machine's (MemTotal in /proc/meminfo), or its cgroup's limit when that is
    /// lower (a container's `memory.max`, v2, or `memory.limit_in_bytes`, v1); 0 where none of these can be read.
    public static var limitBytes: Int {
        let cgroups = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        return limit(machineBytes: kilobytes("MemTotal", in: "/proc/meminfo") * 1024,
                     cgroupLimits: cgroupLimitFiles(procSelfCgroup: cgroups).map { try? String(contentsOfFile: $0, encoding: .utf8) })
    }

    /// The lower of the machine's memory and the first cgroup limit file that holds a number (v2 writes "max" for none,
    /// v1 a number near 2^63, which the machine's memory then undercuts); either side may be missing (0, nil).
    static func limit(machineBytes: Int, cgroupLimits: [String?]) -> Int {
        let group = cgroupLimits.lazy.compactMap { $0.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } }.first
        guard let group, group > 0 else { return machineBytes }
        return machineBytes > 0 ? min(machineBytes, group) : group
    }

    /// Where this process's cgroup keeps its memory limit: under its own path from /proc/self/cgroup ("0::/path" for v2,
    /// "N:memory:/path" for v1), then at the mount's root, which is what a container with its own cgroup namespace sees.
    static func cgroupLimitFiles(procSelfCgroup: String) -> [String] {
        var files: [String] = []
        for line in procSelfCgroup.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            if fields[0] == "0" && fields[1].isEmpty { files.append("/sys/fs/cgroup\(fields[2])/memory.max") }
            if fields[1].split(separator: ",").contains("memory") { files.append("/sys/fs/cgroup/memory\(fields[2])/memory.limit_in_bytes") }
        }
        return files + ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
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
