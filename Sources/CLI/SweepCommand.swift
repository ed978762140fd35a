import ArgumentParser
import Networks
import Surgery

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "One labelled PNG comparing layer swaps: a row per seed; columns base, swap at 4, 8, ..., R/2, style.",
        discussion: """
        The experiment of the 2023 capstone this tool grew out of, in one command. Each seed's z is drawn \
        as `generate` draws it and mapped by the base's mapping network, truncated towards the base's \
        stored w_avg with --trunc; every column synthesises those same ws with constant noise, so along a \
        row only the synthesis blocks change. The base and style columns are the two checkpoints' own \
        networks unchanged (the style fed the base's ws); the "swap at R" columns are built in memory \
        exactly as `toonkit swap --at R` writes them (no temporary files). Labels: "swap at" over the swap \
        columns with R below, the seed left of each row.

        Example:
          toonkit sweep --base ffhq.h5 --style toon.h5 --seeds 0-3 --trunc 0.7 -o sweep.png

        Exit status: 0 written (or planned with --dry-run), 2 error (nothing is written).
        """)

    @Option(help: "The base checkpoint.") var base: String
    @Option(help: "The style checkpoint.") var style: String
    @Option(help: "Seeds: a list and/or ranges, e.g. 0,1,2,7 or 0-3 (repeatable).") var seeds: [String] = []
    @Option(help: "Truncation psi (1 = none).") var trunc: Double = 1
    @Option(help: "Generator network.") var network = "G_ema"
    @OptionGroup var options: SurgeryOutputOptions

    func run() throws {
        try SurgeryCommand.execute(dryRun: options.dryRun) {
            let parsed = try seeds.flatMap { try Latents.parseSeeds($0) }
            return Recipe(action: .sweep(SweepRecipe(base: base, style: style, seeds: parsed, truncation: trunc, network: network)),
                          output: options.output)
        }
    }
}
