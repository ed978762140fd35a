import Foundation

/// The environment this process was started with (/proc/self/environ on Linux): what OpenBLAS saw when it was loaded,
/// whatever a later setenv changed. Read once: it cannot change.
enum ProcessStartEnvironment {
    static let variables: [String: String] = {
        guard let data = FileManager.default.contents(atPath: "/proc/self/environ") else { return ProcessInfo.processInfo.environment }
        var environment: [String: String] = [:]
        for entry in data.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            guard let equals = text.firstIndex(of: "=") else { continue }
            environment[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        return environment
    }()
}
