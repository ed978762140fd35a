import ArgumentParser
import Checkpoint
import Networks
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

        Exit status: 0 on success, 2 if the file is missing, not a regular file, not HDF5, unreadable or \
        breaks the checkpoint format.
        """
    )

    @Argument(help: "The checkpoint file (.h5).")
    var checkpoint: String

    @Flag(help: "Print one JSON document instead of the text report.")
    var json = false

    func run() throws {
        let summary = try CheckpointInspector.inspect(path: checkpoint)
        summary.warnings.forEach(Console.warn)
        if json { print(summary.json()) } else { print(summary.text(), terminator: "") }
    }
}
