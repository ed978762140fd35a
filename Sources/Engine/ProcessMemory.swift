import Foundation

/// Resident memory of this process from /proc (Linux).
public enum ProcessMemory {
    public static var residentMegabytes: Double { field("VmRSS") }
    public static var peakMegabytes: Double { field("VmHWM") }

    static func field(_ name: String) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }),
              let kilobytes = line.split(separator: " ").compactMap({ Double($0) }).first else { return 0 }
        return kilobytes / 1024
    }
}
