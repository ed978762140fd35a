import Engine
import Foundation

/// The augmentation the discriminator's inputs get: the ADA pipe with a constant p (fixed), a p
/// moved by the controller (ada), or none (noaug).
public struct AugmentationState {
    public let mode: TrainingOptions.Augmentation
    private(set) var pipe: AugmentPipe?
    private(set) var controller: AdaptiveAugmentController?

    init(options: TrainingOptions, hyper: Hyperparameters, initialP: Double) throws {
        mode = options.augmentation
        if mode == .fixed && options.augmentP == nil { throw TrainingError("--aug fixed needs --p") }
        guard Self.isUsable(p: initialP) else { throw TrainingError("the augmentation p must be \(Self.usablePRule) (got \(initialP))") }
        if mode != .noaug { pipe = AugmentPipe(preset: options.augmentPreset, p: Float(initialP)) }
        if mode == .ada {
            controller = AdaptiveAugmentController(batchSize: hyper.batch, target: options.adaTarget,
                                                   adaKimg: hyper.adaKimg, interval: hyper.adaInterval)
        }
    }

    public var p: Double { Double(pipe?.p ?? 0) }

    /// A p the pipe can start from. Not bounded by 1: the controller only keeps p ≥ 0 (as the reference's
    /// `.max(0)`), so a snapshot may hold more.
    static func isUsable(p: Double) -> Bool { p.isFinite && p >= 0 }
    static let usablePRule = "a finite number ≥ 0"

    /// r_t of the controller's last update (nil before the first, or without ADA).
    public var realSignMean: Double? { controller?.lastUpdate?.realSignMean }

    /// The function the loss applies to every discriminator input: parameters are drawn for the whole
    /// batch and the share's rows applied.
    func function(share: BatchShare) -> AugmentFunction {
        guard let pipe else { return { images, _ in images } }
        return { images, rng in try pipe.apply(images: images, random: &rng, share: share) }
    }

    /// Real logits of a Dmain or Dreg pass; the sign statistics of every rank are summed.
    mutating func observe(realLogits: Tensor, collective: any Collective) throws {
        guard controller != nil else { return }
        let (sum, count) = AdaptiveAugmentController.signs(of: realLogits)
        var totals = [Double(sum), Double(count)]
        try collective.allReduceSum(&totals)
        controller!.accumulate(signSum: Int(totals[0]), count: Int(totals[1]))
    }

    /// After an iteration (with the incremented iteration count): the controller's p update when due.
    mutating func endIteration(_ iteration: Int) {
        guard var pipe, controller != nil else { return }
        controller!.endIteration(batchIndex: iteration, adjusting: &pipe.p)
        self.pipe = pipe
    }

    struct Snapshot: Codable {
        var p: Float
        var controller: AdaptiveAugmentController?
    }

    var snapshot: Snapshot { Snapshot(p: pipe?.p ?? 0, controller: controller) }

    mutating func restore(_ snapshot: Snapshot) throws {
        pipe?.p = snapshot.p
        if controller != nil { controller = snapshot.controller }
    }
}
