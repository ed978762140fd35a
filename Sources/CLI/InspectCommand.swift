import ArgumentParser
import Checkpoint
import Foundation

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a checkpoint holds: networks, layers, shapes, dtypes, parameter counts, provenance.",
        discussion: """
        Reads only the file's header (no tensor data), so it is fast on any size. The text report shows, \
        per network, a layer tree in numeric-aware order (b4, b8, …, b256) with subtotals, totals per \
        block resolution and per dtype, then the architecture, training state and provenance log.

        With --json, stdout holds exactly one JSON document: {"networks": {"G_ema": {"tensors": [{"name", \
        "shape", "dtype", "kind", "trainable", "numel", "bytes", "sha256"}, …], "totals", "modules", \
        "resolutions", "dtypes", "tree"}, …}, "architecture", "provenance", "training", "totals", …}. \
        Warnings go to stderr.

        Exit status: 0 on success, 1 if the file breaks the checkpoint format, 2 if it is missing, not \
        HDF5 or unreadable.
        """
    )

    @Argument(help: "The checkpoint file (.h5).")
    var checkpoint: String

    @Flag(help: "Print one JSON document instead of the text report.")
    var json = false

    func run() throws {
        let summary: CheckpointSummary
        do {
            summary = try CheckpointInspector.inspect(path: checkpoint)
        } catch {
            throw CommandFailure.report(error)
        }
        summary.warnings.forEach(CommandFailure.warn)
        if json { print(summary.json()) } else { print(summary.text(), terminator: "") }
    }
}

/// Shared by the checkpoint commands: messages on stderr, exit statuses from the failure category.
enum CommandFailure {
    static func warn(_ message: String) {
        FileHandle.standardError.write(Data("toonkit: warning: \(message)\n".utf8))
    }

    /// Prints the error (which names the file) and returns the exit status to throw: 1 invalid, 2 unreadable or other.
    static func report(_ error: Error) -> ExitCode {
        FileHandle.standardError.write(Data("toonkit: error: \(error)\n".utf8))
        let category = (error as? CheckpointError)?.category ?? .unreadable
        return ExitCode(category.rawValue)
    }
}
