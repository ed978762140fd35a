import ArgumentParser
import Surgery

struct FreezeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "freeze",
        abstract: "Mark tensors of one network non-trainable (FreezeD), or trainable again with --unfreeze.",
        discussion: """
        Only the `trainable` attribute of the selected parameters changes: every tensor's bytes are copied \
        bit-exactly, and all networks, the training state and /extra are kept. Buffers are never selected \
        (they are not trained). Training leaves non-trainable tensors untouched. Select with one of:

        --layers N: the first N layers of the discriminator counted from the image input: blocks from the \
        highest resolution down, within a block fromrgb, conv0, conv1, skip (a layer is its weight and \
        bias). At 256: b256 fromrgb 0, conv0 1, conv1 2, skip 3, b128 conv0 4, ..., b8 skip 18. The b4 \
        epilogue (conv, fc, out) and the label mapping are never counted. This is exactly the count of \
        stylegan2-ada-pytorch's --freezed N; the difference is the mechanism: the reference turns frozen \
        weights into buffers (no optimizer state), toonkit keeps them parameters with trainable = false. \
        N larger than the number of layers is an error (the reference silently caps it).

        --blocks 256,128: every parameter of those blocks: b256.* of a discriminator, synthesis.b256.* of \
        a generator (b4 is allowed here, unlike with --freezed).

        --names PATTERN: parameters whose name matches: a glob over the whole name when PATTERN contains *, \
        ? or [ (e.g. 'b256.*', '*.affine.*'; * also crosses dots), otherwise a substring (e.g. fromrgb). \
        Repeatable; a pattern that matches nothing is an error.

        --network defaults to D. --dry-run lists every tensor and what changes (with the D layer index).

        Examples:
          toonkit freeze toon.h5 --layers 4 -o frozen.h5
          toonkit freeze frozen.h5 --layers 4 --unfreeze -o thawed.h5
          toonkit freeze toon.h5 --network G_ema --names 'mapping.*' -o frozen.h5

        Exit status: 0 written (or planned with --dry-run), 2 error (nothing is written).
        """)

    @Argument(help: "The checkpoint (.h5).") var checkpoint: String
    @Option(help: "The network whose tensors are marked.") var network = "D"
    @Option(help: "Freeze the first N discriminator layers from the input (as --freezed N).") var layers: Int?
    @Option(help: "Block resolutions, e.g. 256,128.") var blocks: String?
    @Option(help: "Glob or substring of tensor names (repeatable).") var names: [String] = []
    @Flag(help: "Mark the selected tensors trainable instead.") var unfreeze = false
    @OptionGroup var options: SurgeryOutputOptions

    func run() throws {
        try SurgeryCommand.execute(dryRun: options.dryRun) {
            let selection: TensorSelection
            switch (layers, blocks, names.isEmpty) {
            case (let layers?, nil, true): selection = .layers(layers)
            case (nil, let blocks?, true):
                selection = .blocks(try SurgeryCommand.numbers(blocks, option: "--blocks").map { value in
                    guard let resolution = Int(exactly: value) else { throw SurgeryError.invalidParameter("--blocks: \(value) is not a resolution") }
                    return resolution
                })
            case (nil, nil, false): selection = .names(names)
            default: throw SurgeryError.invalidParameter("freeze: give exactly one of --layers, --blocks or --names")
            }
            return Recipe(action: .freeze(FreezeRecipe(checkpoint: checkpoint, network: network, selection: selection, unfreeze: unfreeze)),
                          output: options.output)
        }
    }
}
