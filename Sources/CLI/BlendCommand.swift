import ArgumentParser
import Surgery

struct BlendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blend",
        abstract: "Per-resolution interpolation of two generators: base*(1-m) + style*m on the synthesis blocks.",
        discussion: """
        Every parameter of synthesis block bR (const, conv0, conv1, torgb with their affines, biases and \
        noise strengths) becomes base*(1 - m) + style*m, computed in float32 and stored in the base's dtype; \
        m = 0 copies the base's bytes and m = 1 the style's. Choose m per block with one of:

        --weights 4=0,8=0,16=0.25,32=0.5,64=1: m as listed; a block resolution that is not listed gets 0. \
        Values outside [0, 1] extrapolate ("over-blending").

        --width W --at R: the toonify logistic transition, run over the block index i = log2(res/4) \
        (b4 = 0, b8 = 1, ...): m(res) = 1 / (1 + exp(-(i(res) - i(R) - 0.5) / W)). All tensors of a block \
        share one weight, m = 0.5 falls between bR and b2R, and W -> 0 is exactly `swap --at R`. \
        toonify's blend_models.py runs the same logistic over half-block positions p = 2i + level (level 0 = \
        const/conv0, 1 = conv1 + torgb) centred at 2i(R) + level: its width w has the slope of W = w/2 here, \
        and its 0.5 point sits a quarter (level 1) to three quarters (level 0) of a block lower than toonkit's.

        --invert uses 1 - m. Everything else is as in `toonkit swap`: mapping, mapping.w_avg and buffers \
        (noise_const, resample_filter) from the base; the same blend on every generator in both files (G \
        and G_ema); D dropped unless --keep-d (the style's D); training state and /extra dropped; \
        incompatible files refused with the list of mismatches; provenance record with the per-block \
        weights. --dry-run prints m per block and the source of every tensor.

        Exit status: 0 written (or planned with --dry-run), 2 error (nothing is written).
        """)

    @Option(help: "The base checkpoint (m = 0).") var base: String
    @Option(help: "The style checkpoint (m = 1).") var style: String
    @Option(help: "Style weight per block resolution, e.g. 4=0,8=0,16=0.25,32=0.5,64=1.") var weights: String?
    @Option(help: "Width W of the logistic transition (with --at).") var width: Double?
    @Option(help: "Block resolution R the logistic transition is centred after (with --width).") var at: Int?
    @Flag(help: "Use 1 - m: the style's share goes to the base.") var invert = false
    @Flag(name: .customLong("keep-d"), help: "Keep the style's discriminator (otherwise D is dropped).") var keepD = false
    @OptionGroup var options: SurgeryOutputOptions

    func run() throws {
        try SurgeryCommand.execute(dryRun: options.dryRun) {
            let schedule: BlockSchedule
            switch (weights, width, at) {
            case (let weights?, nil, nil): schedule = .weights(try BlockSchedule.parseWeights(weights))
            case (nil, let width?, let at?): schedule = .logistic(at: at, width: width)
            default: throw SurgeryError.invalidParameter("blend: give either --weights, or --width and --at")
            }
            return Recipe(action: .blend(BlendRecipe(base: base, style: style, schedule: schedule, invert: invert, keepDiscriminator: keepD)),
                          output: options.output)
        }
    }
}
