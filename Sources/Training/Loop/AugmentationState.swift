import Engine
import Foundation

/// The augmentation strength p and how it evolves: constant (fixed), adapted by the ADA controller
/// (ada), or absent (noaug). The pipe itself lives in Sources/Training/Augment.
public struct AugmentationState {
    public let mode: TrainingOptions.Augmentation
    public private(set) var p: Double
    let preset: TrainingOptions.AugmentPreset

    init(options: TrainingOptions, hyper: Hyperparameters, initialP: Double) throws {
        mode = options.augmentation
        preset = options.augmentPreset
        if mode == .fixed && options.augmentP == nil { throw TrainingError("--aug fixed needs --p") }
        guard (0...1).contains(initialP) else { throw TrainingError("--p must be in [0, 1], got \(initialP)") }
        p = mode == .noaug ? 0 : initialP
    }

    /// The function the loss applies to every discriminator input.
    var function: AugmentFunction {
        { images, _ in images }
    }

    mutating func observe(realLogits: [Float]) {}

    struct Snapshot: Codable { var p: Double }
    var snapshot: Snapshot { Snapshot(p: p) }
    mutating func restore(_ snapshot: Snapshot) throws { p = snapshot.p }

    mutating func adjust(batch: Int, interval: Int) {}
}
