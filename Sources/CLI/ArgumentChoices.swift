import ArgumentParser
import Engine
import Interop
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

/// What `train --metrics` measures at every snapshot.
enum SnapshotMetrics: String, CaseIterable, ExpressibleByArgument {
    case fid, none
}
