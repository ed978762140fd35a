import ArgumentParser
import Engine
import Foundation

/// Progress lines on stderr (stdout stays clean for --json and piping); rewritten in place on a terminal.
enum Console {
    static let isTerminal = isatty(STDERR_FILENO) != 0
    /// A progress line is on screen without its newline (terminal only).
    nonisolated(unsafe) private static var progressLineOpen = false
    /// Into a log (stderr not a terminal), progress is a line every `logInterval` seconds once the work has
    /// run that long: a long job shows it is alive, and a quick failure prints its error as the first line.
    static let logInterval: TimeInterval = 5
    nonisolated(unsafe) private static var lastLogged: Date?

    static func progress(_ line: String) {
        if isTerminal {
            writeError("\r\u{1B}[K" + line)
            progressLineOpen = true
            return
        }
        let now = Date()
        guard let last = lastLogged else { lastLogged = now; return }
        if now.timeIntervalSince(last) >= logInterval {
            writeError(line + "\n")
            lastLogged = now
        }
    }

    /// `[######------]` filled to `fraction` of its width.
    static func bar(_ fraction: Double, width: Int = 24) -> String {
        let filled = Int(min(max(fraction, 0), 1) * Double(width))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
    }

    static func finishProgress() {
        if progressLineOpen { writeError("\n") }
        progressLineOpen = false
    }

    static func info(_ line: String) {
        writeError(line + "\n")
    }

    /// `toonkit: warning: …`; control characters in the text (names from files) are escaped.
    static func warn(_ message: String) {
        finishProgress()
        writeError("toonkit: warning: " + message.escapedPerLine + "\n")
    }

    /// `toonkit: note: …`, for facts about the input that need no action.
    static func note(_ message: String) {
        writeError("toonkit: note: " + message.escapedPerLine + "\n")
    }

    static func writeError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// Set by the first Ctrl-C, after which long work winds down cleanly (training writes a final snapshot);
/// a second Ctrl-C exits at once.
final class InterruptFlag: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var count = 0
    private let message: String?

    /// `message` says what happens after the first Ctrl-C (or other of `signals`; mpirun passes SIGUSR1 on
    /// to its processes, but not SIGINT); nil says nothing.
    init(message: String?, signals: [Int32] = [SIGINT]) {
        self.message = message
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: DispatchQueue.global())
            source.setEventHandler { [unowned self] in
                self.lock.lock(); self.count += 1; let count = self.count; self.lock.unlock()
                if count > 1 { exit(130) }
                if let message = self.message { Console.warn(message) }
            }
            source.resume()
            sources.append(source)
        }
    }

    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return count > 0 }
}

/// `--threads`, shared by every command that computes.
struct ThreadOptions: ParsableArguments {
    @Option(help: "Threads for GEMM and the engine's kernels (default: all cores).") var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// `fallback` when --threads is not given (nil: all cores).
    func apply(default fallback: Int? = nil) { if let count = threads ?? fallback { EngineThreads.count = count } }
}

/// Progress of one long job as a bar, the percentage done and the time left, estimated from the pace
/// so far (elapsed × remaining / done): drawn in place on a terminal at most twice a second, and as
/// plain lines into a log (`Console.progress` spaces them out).
struct EstimatingProgress {
    private let started = Date()
    private var lastDrawn = Date.distantPast

    mutating func update(fraction: Double, _ text: String) {
        let now = Date()
        guard !Console.isTerminal || now.timeIntervalSince(lastDrawn) >= 0.5 else { return }
        lastDrawn = now
        let elapsed = now.timeIntervalSince(started)
        var line = Console.bar(fraction) + String(format: " %3.0f%%", 100 * fraction)
        if fraction > 0.01 { line += "  ETA " + Self.clock(elapsed * (1 - fraction) / fraction) }
        Console.progress(line + "  " + text)
    }

    /// m:ss, or h:mm:ss from an hour on (a long projection or fine-tune).
    static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if whole >= 3600 { return String(format: "%d:%02d:%02d", whole / 3600, whole / 60 % 60, whole % 60) }
        return String(format: "%d:%02d", whole / 60, whole % 60)
    }
}
