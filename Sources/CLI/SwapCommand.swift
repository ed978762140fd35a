import ArgumentParser
import Surgery

struct SwapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swap",
        abstract: "Layer swap: synthesis blocks at resolution <= R from the base, blocks above R from the style.",
        discussion: """
        --at R names a synthesis block resolution (4, 8, ..., the output resolution): every parameter of \
        synthesis.b4 ... synthesis.bR (const, conv0, conv1, torgb with their affines, biases and noise \
        strengths) comes from the base, every parameter of synthesis.b2R ... from the style. R = the output \
        resolution copies the base's generators. --invert swaps the roles: blocks <= R from the style, above \
        R from the base.

        Always from the base: the mapping network, mapping.w_avg, every buffer (noise_const, \
        resample_filter), the architecture and the provenance log. The same swap is applied to every \
        generator network present in both files (G and G_ema); a generator in only one file is dropped. \
        The discriminator is dropped unless --keep-d, which keeps the style's D unchanged: the style is \
        the model fine-tuned on the target domain, so its D is the one to resume fine-tuning against. \
        Training state (step, augment p, optimizer moments) and /extra are dropped: they describe the \
        inputs, not the result.

        The files must have the same architecture and the same tensor names and shapes; otherwise every \
        mismatch is listed and nothing is written. Tensors are streamed one at a time (bytes copied as \
        stored, checksums verified) and the output is written atomically, with a provenance record \
        (operation, parameters, the recipe, sha256 of both inputs) after the base's records.

        Example (toonify: face structure from the base, cartoon rendering from the fine-tuned style):
          toonkit swap --base ffhq.h5 --style toon.h5 --at 32 -o swapped.h5

        Exit status: 0 written (or planned with --dry-run), 2 error (nothing is written).
        """)

    @Option(help: "The base checkpoint: low-resolution blocks, mapping, w_avg and buffers.") var base: String
    @Option(help: "The style checkpoint: blocks above R.") var style: String
    @Option(help: "The last block resolution taken from the base.") var at: Int
    @Flag(help: "Blocks <= R from the style and above R from the base.") var invert = false
    @Flag(name: .customLong("keep-d"), help: "Keep the style's discriminator (otherwise D is dropped).") var keepD = false
    @OptionGroup var options: SurgeryOutputOptions

    func run() throws {
        try SurgeryCommand.execute(dryRun: options.dryRun) {
            Recipe(action: .blend(BlendRecipe(base: base, style: style, schedule: .swap(at: at), invert: invert, keepDiscriminator: keepD)),
                   output: options.output)
        }
    }
}
