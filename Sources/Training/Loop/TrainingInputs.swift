import Engine
import Foundation
import Networks

/// The four phases of an iteration, named as the reference names them (docs/training-loop.md §3).
public enum TrainingPhase: String, CaseIterable, Sendable {
    case generatorMain = "Gmain"
    case generatorRegularization = "Greg"
    case discriminatorMain = "Dmain"
    case discriminatorRegularization = "Dreg"

    /// Whether the phase trains G (else D).
    public var trainsGenerator: Bool { self == .generatorMain || self == .generatorRegularization }
}

/// Which noise a synthesis pass adds (`Generator.synthesize(ws:noise:noiseSeed:)`).
public struct SynthesisNoise: Equatable, Sendable {
    public var mode: NoiseMode
    public var seed: UInt32

    public init(mode: NoiseMode, seed: UInt32 = 0) {
        self.mode = mode
        self.seed = seed
    }
}

/// The random draws a loss phase makes (docs/training-loop.md §3.6). The normal loop draws them all
/// from the run's generator (`RandomState` conforms); a replay of a recorded iteration supplies the
/// synthesis noise and path-length noise the recording used.
public protocol TrainingRandomness {
    /// Draws that are not recorded inputs: style-mixing cutoffs and augmentation parameters.
    var random: RandomState { get set }
    /// The noise of one synthesis pass.
    mutating func synthesisNoise() -> SynthesisNoise
    /// Unscaled N(0, 1) noise of the images' shape for the path-length penalty (the loss divides by √(H·W)).
    mutating func pathLengthNoise(shape: [Int]) throws -> Tensor
}

/// Everything random an iteration consumes: the real minibatch and each phase's latents and labels,
/// besides the loss's own draws.
public protocol TrainingInputSource: TrainingRandomness {
    /// The real images [N, C, R, R] in [−1, 1] and their labels (nil for unconditional models).
    mutating func reals(count: Int) throws -> (images: Tensor, labels: Tensor?)
    /// z [N, z_dim] and generator labels [N, c_dim] (nil when c_dim is 0) for one phase.
    mutating func latents(for phase: TrainingPhase, count: Int, zDim: Int, cDim: Int) throws -> (z: Tensor, c: Tensor?)
}

extension RandomState: TrainingRandomness {
    public var random: RandomState {
        get { self }
        set { self = newValue }
    }

    /// Random per-layer noise seeded by the next draw.
    public mutating func synthesisNoise() -> SynthesisNoise { SynthesisNoise(mode: .random, seed: nextUInt32()) }

    public mutating func pathLengthNoise(shape: [Int]) throws -> Tensor { try normalTensor(shape) }
}

/// The normal loop's inputs: reals in the sampler's order, z ~ N(0, I) and labels of random data set images.
/// Counts and shapes are the share's; everything is drawn for the whole batch (`BatchShare`).
struct DatasetTrainingInputs: TrainingInputSource {
    let dataset: ImageDataset
    var sampler: TrainingSampler
    var random: RandomState
    let share: BatchShare

    mutating func reals(count: Int) throws -> (images: Tensor, labels: Tensor?) {
        try TrainingBatch.load(dataset, sampler: &sampler, count: count, share: share)
    }

    mutating func latents(for phase: TrainingPhase, count: Int, zDim: Int, cDim: Int) throws -> (z: Tensor, c: Tensor?) {
        let z = try random.normalTensor([count, zDim], share: share)
        return (z, try TrainingBatch.randomLabels(dataset, count: count, cDim: cDim, rng: &random, share: share))
    }

    mutating func synthesisNoise() -> SynthesisNoise { random.synthesisNoise() }

    mutating func pathLengthNoise(shape: [Int]) throws -> Tensor { try random.normalTensor(shape, share: share) }
}

/// Inputs recorded from another implementation's iteration (e.g. the reference's `NAME.train.npz`):
/// given reals and labels, given z and labels per phase, given path-length noise, and the stored
/// constant synthesis noise. Style mixing and augmentation cannot be replayed, so a run fed these must
/// have both off (`styleMixing` 0, `--aug noaug`); `random` only serves a run that has them on anyway.
public struct RecordedTrainingInputs: TrainingInputSource {
    public var realImages: Tensor
    public var realLabels: Tensor?
    public var phaseLatents: [TrainingPhase: (z: Tensor, c: Tensor?)]
    /// The N(0, 1) draws the path-length penalty used, before the division by √(H·W).
    public var pathLengthDraws: Tensor
    public var random = RandomState(seed: 0)

    public init(realImages: Tensor, realLabels: Tensor?, phaseLatents: [TrainingPhase: (z: Tensor, c: Tensor?)], pathLengthDraws: Tensor) {
        self.realImages = realImages
        self.realLabels = realLabels
        self.phaseLatents = phaseLatents
        self.pathLengthDraws = pathLengthDraws
    }

    public mutating func reals(count: Int) throws -> (images: Tensor, labels: Tensor?) {
        guard realImages.shape.first == count else {
            throw TrainingError("the recording holds \(realImages.shape.first ?? 0) real images, the batch is \(count)")
        }
        return (realImages, realLabels)
    }

    public mutating func latents(for phase: TrainingPhase, count: Int, zDim: Int, cDim: Int) throws -> (z: Tensor, c: Tensor?) {
        guard let recorded = phaseLatents[phase] else { throw TrainingError("the recording has no latents for \(phase.rawValue)") }
        guard recorded.z.shape == [count, zDim], cDim == 0 || recorded.c?.shape == [count, cDim] else {
            throw TrainingError("\(phase.rawValue): recorded z \(recorded.z.shape) and c \(recorded.c?.shape ?? []) do not fit batch \(count), z_dim \(zDim), c_dim \(cDim)")
        }
        return (recorded.z, cDim == 0 ? nil : recorded.c)
    }

    public mutating func synthesisNoise() -> SynthesisNoise { SynthesisNoise(mode: .const) }

    public mutating func pathLengthNoise(shape: [Int]) throws -> Tensor {
        guard pathLengthDraws.shape == shape else {
            throw TrainingError("the recorded path-length noise has shape \(pathLengthDraws.shape), the images \(shape)")
        }
        return pathLengthDraws
    }
}
