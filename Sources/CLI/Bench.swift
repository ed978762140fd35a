import ArgumentParser
import Engine

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (run them from a `swift build -c release` binary).",
        subcommands: []
    )
}
