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

    static func kilobytes(_ name: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
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
