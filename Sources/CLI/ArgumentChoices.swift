import ArgumentParser
import Engine
import Interop
import Metrics
import Networks
import Surgery
import Training

// Library enums taken as typed options: ArgumentParser lists their values in --help and names the
// valid ones when a value is wrong, so no command spells a choice twice.
extension TrainingOptions.Config: ExpressibleByArgument {}
extension TrainingOptions.Augmentation: ExpressibleByArgument {}
extension AugmentPreset: ExpressibleByArgument {}
extension NoiseMode: ExpressibleByArgument {}
extension SyntheticKind: ExpressibleByArgument {}
extension ImportFormat: ExpressibleByArgument {}
extension ExportLayout: ExpressibleByArgument {}
extension MergeMethod: ExpressibleByArgument {}
extension ConvolutionAlgorithm: ExpressibleByArgument {}
extension ConvRounding: ExpressibleByArgument {}

/// How FID's Inception convolutions may round (`toonkit fid`, `toonkit bench inception`, and through InceptionOptions
/// `train --metrics fid` and `compare`).
struct InceptionRoundingOption: ParsableArguments {
    @Option(help: ArgumentHelp("""
        How FID's Inception convolutions may round: relaxed (the default) lets the 3×3 layers on planes from 16 wide \
        use Winograd F(4×4, 3×3), the 5×5 ones F(4×4, 5×5), and the 1×7, 7×1, 1×3 and 3×1 ones F(4, r); standard keeps \
        F(2×2, 3×3), im2col for the 5×5 and F(2, r). Both stay within a few 1e-6 of pytorch-fid's features; relaxed is faster \
        (docs/engine-kernels.md).
        """, valueName: "rounding"))
    var rounding: ConvRounding?

    /// The rounding asked for, else the default (nil above tells a command that measures nothing that it was given).
    var chosen: ConvRounding { rounding ?? InceptionNetwork.defaultRounding }
}

/// What `train --metrics` measures at every snapshot.
enum SnapshotMetrics: String, CaseIterable, ExpressibleByArgument {
    case fid, none
}
