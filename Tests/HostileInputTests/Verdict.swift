import Foundation
import TestSupport

/// Checks one finished case against its expectations; each failed check is one line of text.
struct Verdict: CustomStringConvertible {
    let testCase: HostileCase
    let folder: CaseFolder
    let outcome: ProcessOutcome

    var description: String {
        let ending = outcome.timedOut ? "timed out" : outcome.killedForMemory ? "killed over the memory watchdog"
            : outcome.signal.map { "signal \($0)" } ?? "exit \(outcome.exitStatus ?? -1)"
        let firstLine = outcome.stderrText.split(separator: "\n").first.map(String.init) ?? ""
        return "\(ending), \(outcome.peakRSSBytes >> 20) MiB, \(String(format: "%.1f", outcome.seconds)) s; stderr: \(firstLine.prefix(300))"
    }

    /// The command line and what happened, on one line, with the case folder written as $CASE and ESC as \e.
    var summary: String {
        "\(testCase.name): toonkit \(folder.arguments.joined(separator: " ")) -> \(description)"
            .replacingOccurrences(of: folder.root.path, with: "$CASE").replacingOccurrences(of: "\u{1B}", with: "\\e")
    }

    func failures() -> [String] {
        var failures = processFailures()
        guard let status = outcome.exitStatus, !outcome.timedOut, !outcome.killedForMemory else { return failures }
        if !testCase.status.contains(status) {
            failures.append("exit status \(status), expected \(testCase.status.map(String.init).joined(separator: " or "))")
        }
        if status == 0 {
            if testCase.expect == .warning { failures += warningFailures() }
        } else {
            failures += refusalFailures(status: status)
        }
        failures += leakFailures()
        return failures
    }

    private func processFailures() -> [String] {
        var failures: [String] = []
        if outcome.timedOut { failures.append("hung: killed after \(Int(outcome.seconds)) s") }
        if outcome.killedForMemory { failures.append("resident memory passed the watchdog's limit: killed") }
        if let signal = outcome.signal, !outcome.timedOut, !outcome.killedForMemory {
            failures.append("killed by signal \(signal) (\(String(cString: strsignal(signal))))")
        }
        if outcome.peakRSSBytes >= HostileInputTests.memoryCeiling {
            failures.append("peak RSS \(outcome.peakRSSBytes >> 20) MiB, ceiling \(HostileInputTests.memoryCeiling >> 20) MiB")
        }
        return failures
    }

    private func warningFailures() -> [String] {
        let lines = outcome.stderrText.lowercased().split(separator: "\n").filter { $0.contains("warning") }
        guard lines.contains(where: { line in testCase.mentions.contains { line.contains($0.lowercased()) } }) else {
            return ["no warning mentioning \(testCase.mentions.joined(separator: " / ")) on stderr"]
        }
        return []
    }

    /// A refusal names the input first, says why, and leaves nothing behind.
    private func refusalFailures(status: Int32) -> [String] {
        var failures: [String] = []
        let errorPath = folder.expand(testCase.errorPath ?? "{input}")
        if !(status == 1 && testCase.report == "diff") {
            let prefix = "toonkit: error: \(errorPath)"
            if !refusalText.hasPrefix(prefix) { failures.append("stderr does not start with '\(prefix)'") }
        }
        // Paths are left out: a case file named like the problem (long4.pkl) must not stand in for its description.
        let message = (outcome.stderrText + outcome.stdoutText).replacingOccurrences(of: folder.root.path, with: "")
            .replacingOccurrences(of: errorPath, with: "").lowercased()
        if testCase.expect != .survive, !testCase.mentions.isEmpty, !testCase.mentions.contains(where: { message.contains($0.lowercased()) }) {
            failures.append("the message mentions none of: \(testCase.mentions.joined(separator: " / "))")
        }
        let left = CaseFolder.names(under: folder.output) + CaseFolder.names(under: folder.temporary).map { "$TMPDIR/" + $0 }
        if !left.isEmpty { failures.append("left behind after refusing: \(left.joined(separator: ", "))") }
        return failures
    }

    /// Stderr from the refusal on: warnings printed first about the options given (fid's note on formula
    /// weights) come before the check of the inputs and are not part of it; progress lines are.
    private var refusalText: String {
        var lines = outcome.stderrText.split(separator: "\n", omittingEmptySubsequences: false)[...]
        while let first = lines.first, first.hasPrefix("warning: ") || first.hasPrefix("toonkit: warning: ") { lines = lines.dropFirst() }
        return lines.joined(separator: "\n")
    }

    /// No escape byte on the terminal, no temporary file, no file a hostile input asked for, no outside text in any output.
    private func leakFailures() -> [String] {
        var failures: [String] = []
        if outcome.stderr.contains(0x1B) || outcome.stdout.contains(0x1B) { failures.append("raw ESC (0x1b) byte in the output") }
        let temporaries = CaseFolder.names(under: folder.root).filter { ($0 as NSString).lastPathComponent.contains(".tmp-") }
        if !temporaries.isEmpty { failures.append("temporary files left: \(temporaries.joined(separator: ", "))") }
        for path in testCase.mustNotExist ?? [] {
            let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.root.appendingPathComponent(path)
            if FileManager.default.fileExists(atPath: url.standardizedFileURL.path) { failures.append("\(path) was created") }
        }
        let outputs = [("stdout", outcome.stdout), ("stderr", outcome.stderr)]
            + CaseFolder.files(under: folder.output).map { ($0.lastPathComponent, (try? Data(contentsOf: $0)) ?? Data()) }
        for secret in testCase.secrets {
            for (name, data) in outputs where data.range(of: Data(secret.prefix(32).utf8)) != nil {
                failures.append("text of a file outside the inputs appears in \(name)")
            }
        }
        return failures
    }
}
