import ArgumentParser
import Foundation
import UntrustedInput

/// How every toonkit command ends when it does not succeed; `Toonkit.main` sends every error here.
///
/// Exit statuses: 0 success; 1 only for a comparison that found differences (`diff`, which throws
/// `ExitCode(1)` itself); 2 for everything else: usage errors, bad or missing input, and any error a
/// library call throws. ArgumentParser would exit 64 (EX_USAGE) for usage errors and 1 for the rest;
/// toonkit keeps one status for "the command could not do its job" so scripts test `$? -ge 2`.
enum Failure {
    static let badInputOrUsage: Int32 = 2

    /// Prints `error` and exits. Help and version requests (ArgumentParser's clean exits) still print
    /// to stdout with status 0; an `ExitCode` thrown by a command is its status, printed nothing.
    static func exit(with error: Error) -> Never {
        if let status = error as? ExitCode { Foundation.exit(status.rawValue) }
        let status = Toonkit.exitCode(for: error)
        if status == .success { Toonkit.exit(withError: error) }
        Console.finishProgress()
        if status == .validationFailure {
            // ArgumentParser's text: the message (prefixed by Toonkit._errorPrefix), then the usage.
            Console.writeError(Toonkit.fullMessage(for: error).escapedPerLine + "\n")
        } else {
            report(String(describing: error))
        }
        Foundation.exit(badInputOrUsage)
    }

    /// Every line of `message` as `toonkit: error: LINE`: library errors start with the file they are
    /// about, and a failure with several problems (validate) gives one line each.
    static func report(_ message: String) {
        let lines = message.split(separator: "\n", omittingEmptySubsequences: true)
        Console.writeError(lines.map { "toonkit: error: " + String($0).escapedForDisplay }.joined(separator: "\n") + "\n")
    }
}

extension String {
    /// Control characters escaped line by line, so the message's own line breaks stay line breaks.
    var escapedPerLine: String {
        split(separator: "\n", omittingEmptySubsequences: false).map { String($0).escapedForDisplay }.joined(separator: "\n")
    }
}
