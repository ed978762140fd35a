import ArgumentParser
import Checkpoint
import Engine

@main
struct Toonkit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "toonkit",
        abstract: "StyleGAN2-ADA checkpoints on the CPU: import, inspect, generate, blend, train, measure.",
        discussion: """
        Every command reads or writes the toonkit checkpoint (HDF5, format v1; see schemas/). \
        Run `toonkit help <command>` for the details of one command.

        Errors go to stderr as `toonkit: error: FILE: …` (naming the file at fault when there is one). \
        Exit status, for every command: 0 success, 1 only when `diff` finds differences, 2 bad input or \
        usage (a missing, unreadable, non-regular or malformed file, a bad option) or any other failure. \
        A command that fails leaves no new output file behind, except the long workflows (train, demo, \
        compare), which keep what they completed.
        """,
        version: CheckpointFormat.releaseVersion,
        subcommands: CommandList.all
    )

    /// ArgumentParser's usage errors read like toonkit's own (`Failure` gives them status 2).
    static var _errorPrefix: String { "toonkit: error: " }

    /// Parses and runs as ArgumentParser's `main` does, but ends every failure through `Failure`.
    static func main() {
        BLASRestart.applyIfNeeded()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            Failure.exit(with: error)
        }
    }
}

/// The registered subcommands, in the order `--help` lists them.
enum CommandList {
    static let all: [ParsableCommand.Type] = [
        // Files in, files out.
        ImportCommand.self, ExportCommand.self, InspectCommand.self, ValidateCommand.self, DiffCommand.self,
        // Images.
        GenerateCommand.self, ScoreCommand.self, ProjectCommand.self, ToonifyCommand.self,
        // Surgery.
        SwapCommand.self, BlendCommand.self, FreezeCommand.self, MergeCommand.self, SweepCommand.self, RunCommand.self,
        // Training.
        DatasetCommand.self, TrainCommand.self, DemoCommand.self, CompareCommand.self,
        // Metrics.
        FIDCommand.self,
        Bench.self,
    ]
}
