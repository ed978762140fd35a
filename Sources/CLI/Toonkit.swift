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
        """,
        version: CheckpointFormat.releaseVersion,
        subcommands: CommandList.all
    )
}

/// The registered subcommands, in the order `--help` lists them.
enum CommandList {
    static let all: [ParsableCommand.Type] = [
        // Files in, files out.
        ImportCommand.self, ExportCommand.self, InspectCommand.self, ValidateCommand.self, DiffCommand.self,
        // Images.
        GenerateCommand.self, ScoreCommand.self,
        // Surgery.
        SwapCommand.self, BlendCommand.self, FreezeCommand.self, MergeCommand.self, SweepCommand.self, RunCommand.self,
        // Training.
        DatasetCommand.self, TrainCommand.self, DemoCommand.self, CompareCommand.self,
        // Metrics.
        FIDCommand.self,
        Bench.self,
    ]
}
