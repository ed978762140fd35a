import ArgumentParser
import Surgery

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Weighted merge of checkpoints, tensor by tensor: linear (any number) or slerp (two).",
        discussion: """
        Every floating-point parameter of the merged networks is combined per tensor:

        linear: the sum of w_i * input_i, with the weights as given (they need not sum to 1); --normalize \
        divides them by their sum.

        slerp: two inputs, t = the second weight (t = w2 / (w1 + w2) with --normalize); t = 0 is the first \
        input. As mergekit: each tensor is flattened, cos(theta) is taken between the normalised copies, \
        and the result is sin((1-t) theta)/sin(theta) * a + sin(t theta)/sin(theta) * b on the originals; \
        it falls back to linear (1-t) a + t b when |cos(theta)| > 0.9995 (nearly parallel, e.g. every \
        scalar) and, unlike mergekit, when either tensor is all zeros.

        Buffers: mapping.w_avg (the mean of w, a linear quantity) is always mixed linearly with the same \
        weights ((1-t, t) for slerp); noise_const and resample_filter come from the first input (mixing two \
        unrelated noise images would shrink their variance). Non-float tensors come from the first input.

        --networks picks the networks (default: every network present in all inputs; others are dropped). \
        All inputs must match the first in architecture, tensor names and shapes (mismatches are listed, \
        nothing is written). The output takes the first input's architecture and provenance log, plus a \
        merge record (weights, method, recipe, sha256 of every input); training state is dropped. \
        Computed in float32, stored in the first input's dtype; one tensor of each input is in memory at a time.

        One input with --weights 1 copies its networks bit-exactly without the training state (Adam moments, \
        RNG state), e.g. to ship a snapshot's networks at under half its size.

        Examples:
          toonkit merge a.h5 b.h5 --weights 0.5,0.5 -o avg.h5
          toonkit merge runs/00000-faces/snapshot-0000040000.h5 --weights 1 -o base.h5
          toonkit merge a.h5 b.h5 --weights 0.7,0.3 --method slerp --networks G_ema -o mix.h5

        Exit status: 0 written (or planned with --dry-run), 2 error (nothing is written).
        """)

    @Argument(help: "Two or more checkpoints.") var inputs: [String]
    @Option(help: "One weight per checkpoint, e.g. 0.5,0.5.") var weights: String
    @Option(help: "linear or slerp.") var method = MergeMethod.linear
    @Flag(help: "Divide the weights by their sum.") var normalize = false
    @Option(help: "Comma-separated networks to merge, e.g. G_ema (default: all in every input).") var networks: String?
    @OptionGroup var options: SurgeryOutputOptions

    func run() throws {
        try SurgeryCommand.execute(dryRun: options.dryRun) {
            let selected = networks.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            let merge = MergeRecipe(inputs: inputs, weights: try SurgeryCommand.numbers(weights, option: "--weights"),
                                    method: method, normalize: normalize, networks: selected)
            return Recipe(action: .merge(merge), output: options.output)
        }
    }
}
