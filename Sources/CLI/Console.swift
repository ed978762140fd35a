import Foundation

/// Progress lines on stderr (stdout stays clean for --json and piping); rewritten in place on a terminal.
enum Console {
    static let isTerminal = isatty(STDERR_FILENO) != 0

    static func progress(_ line: String) {
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    static func finishProgress() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func info(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static func warn(_ line: String) {
        FileHandle.standardError.write(Data(("warning: " + line + "\n").utf8))
    }
}
