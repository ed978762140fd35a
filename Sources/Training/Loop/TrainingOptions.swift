import Checkpoint
import Foundation
import Networks

/// Everything `toonkit train` was asked for. Codable: stored in every snapshot, so a resumed run
/// knows how it was started.
public struct TrainingOptions: Codable, Equatable, Sendable {
    public enum Config: String, Codable, CaseIterable, Sendable { case auto, stylegan2, paper256 }
    public enum Augmentation: String, Codable, CaseIterable, Sendable { case ada, noaug, fixed }

    public var config: Config = .auto
    /// Overrides of the config's values (nil: derived from the config).
    public var batch: Int?
    public var gamma: Double?
    public var learningRate: Double?
    public var emaKimg: Double?
    /// Length in thousands of real images shown to D (fractions allowed: 0.032 = 32 images).
    public var kimg: Double = 25
    /// Snapshot every N ticks; one tick is `kimgPerTick` thousand images.
    public var snapTicks: Int = 50
    public var kimgPerTick: Double = 4
    public var seed: UInt32 = 0
    public var mirror = false
    public var augmentation: Augmentation = .ada
    public var augmentPreset: AugmentPreset = .bgc
    /// With fixed: the constant p; with ada: the initial p (overriding a resumed one).
    public var augmentP: Double?
    public var adaTarget: Double = 0.6
    /// FreezeD: the first N discriminator layers from the input stay fixed.
    public var freezeD: Int = 0
    /// Style mixing probability (0.9 in every config but cifar).
    public var styleMixing: Double = 0.9
    public var pathLengthWeight: Double = 2
    public var gridSeeds: Int = 16
    /// Shape of new networks (ignored when resuming: the checkpoint's architecture wins).
    public var networkShape = NetworkShape()

    public init() {}

    /// The longest run or tick `validate` lets through, in thousands of images: a trillion images, longer than any run,
    /// whose count still fits an `Int` with room (the session converts kimg·1000 to one, which traps from 9.2e15 kimg).
    public static let longestKimg: Double = 1e9

    /// Throws a `TrainingError` naming the first setting no run can train with, by its `toonkit train` option where it
    /// has one: a run length or tick that is not positive, or longer than `longestKimg` (NaN and infinity included: an
    /// infinite run never ends, and converting it to images traps), a learning rate that is not positive (a negative
    /// one climbs the loss) or not finite, an R1 gamma that is negative or not finite, a p or ADA target outside [0, 1]
    /// (NVIDIA's train.py refuses a negative --gamma and --p or --target outside [0, 1]), a batch or snapshot cadence
    /// under 1, a negative FreezeD count, a new network's channel counts, latent size or minibatch-std group under 1, and
    /// the fixed settings out of their ranges (docs/training-loop.md §1).
    public func validate() throws {
        let length = "a positive number of thousands of images, at most \(String(format: "%g", Self.longestKimg))"
        try require(kimg > 0 && kimg <= Self.longestKimg, "--kimg", length, kimg)
        try require(kimgPerTick > 0 && kimgPerTick <= Self.longestKimg, "--tick", length, kimgPerTick)
        try require(snapTicks >= 1, "--snap", "at least 1", snapTicks)
        try require(batch.map { $0 >= 1 } ?? true, "--batch", "at least 1", batch)
        try require(learningRate.map { $0.isFinite && $0 > 0 } ?? true, "--lr", "a positive finite number", learningRate)
        try require(gamma.map { $0.isFinite && $0 >= 0 } ?? true, "--gamma", "a finite number ≥ 0", gamma)
        try require(emaKimg.map { $0.isFinite && $0 >= 0 } ?? true, "the EMA half-life", "a finite number ≥ 0 of thousands of images", emaKimg)
        try require(augmentP.map { (0...1).contains($0) } ?? true, "--p", "in [0, 1]", augmentP)
        try require((0...1).contains(adaTarget), "--target", "in [0, 1]", adaTarget)
        try require(freezeD >= 0, "--freezed", "at least 0", freezeD)
        for (option, value) in [("--channel-base", networkShape.channelBase), ("--channel-max", networkShape.channelMax),
                                ("--latent-dim", networkShape.latentDimension), ("--mbstd-group", networkShape.minibatchStdGroup)] {
            try require(value.map { $0 >= 1 } ?? true, option, "at least 1", value)
        }
        try require((0...1).contains(styleMixing), "the style-mixing probability", "in [0, 1]", styleMixing)
        try require(pathLengthWeight.isFinite && pathLengthWeight >= 0, "the path-length weight", "a finite number ≥ 0", pathLengthWeight)
        try require(gridSeeds >= 0, "the grid's seed count", "at least 0", gridSeeds)
    }

    /// The training settings where `requested` differs from these options, as "name kept (not requested)";
    /// run length and snapshot cadence are not compared. An exact resume keeps the snapshot's settings, and
    /// the command line says which of the user's are therefore not applied.
    public func settingsDiffering(from requested: TrainingOptions) -> [String] {
        func text<T>(_ value: T?) -> String { value.map { "\($0)" } ?? "the config's default" }
        func compare<T: Equatable>(_ name: String, _ kept: T?, _ asked: T?) -> String? {
            kept == asked ? nil : "\(name) \(text(kept)) (not \(text(asked)))"
        }
        return [compare("cfg", config.rawValue, requested.config.rawValue), compare("batch", batch, requested.batch),
                compare("gamma", gamma, requested.gamma), compare("lr", learningRate, requested.learningRate),
                compare("seed", seed, requested.seed), compare("mirror", mirror, requested.mirror),
                compare("aug", augmentation.rawValue, requested.augmentation.rawValue),
                compare("augpipe", augmentPreset.rawValue, requested.augmentPreset.rawValue),
                compare("p", augmentP, requested.augmentP), compare("target", adaTarget, requested.adaTarget),
                compare("freezed", freezeD, requested.freezeD)].compactMap { $0 }
    }

    /// The 2023 capstone's fine-tuning of FFHQ-256 on cartoons: ADA with the bg pipe from p = 0.328,
    /// x-flips, batch 16, FreezeD on D's first `freezeD` layers and R1 γ = 50, scaled by area to
    /// `resolution` (γ ∝ resolution², as the auto config's heuristic scales it).
    public static func capstoneFineTune(resolution: Int, kimg: Double, freezeD: Int = 4, seed: UInt32 = 0) -> TrainingOptions {
        var options = TrainingOptions()
        options.batch = 16
        options.kimg = kimg
        options.augmentation = .ada
        options.augmentPreset = .bg
        options.augmentP = 0.328
        options.mirror = true
        options.freezeD = freezeD
        options.gamma = 50 * Double(resolution * resolution) / (256 * 256)
        options.seed = seed
        return options
    }
}

/// Overrides of the architecture a config gives new networks: small networks for quick experiments
/// and the demo's base model.
public struct NetworkShape: Codable, Equatable, Sendable {
    public var channelBase: Int?
    public var channelMax: Int?
    public var mappingLayers: Int?
    public var latentDimension: Int?
    public var minibatchStdGroup: Int?

    public init(channelBase: Int? = nil, channelMax: Int? = nil, mappingLayers: Int? = nil, latentDimension: Int? = nil,
                minibatchStdGroup: Int? = nil) {
        self.channelBase = channelBase
        self.channelMax = channelMax
        self.mappingLayers = mappingLayers
        self.latentDimension = latentDimension
        self.minibatchStdGroup = minibatchStdGroup
    }

    /// The config's architecture at `resolution` with these overrides applied.
    public func architecture(config: TrainingOptions.Config, resolution: Int, labels: Int) -> Architecture {
        let preset = ArchitecturePreset(rawValue: config.rawValue)!
        let latent = latentDimension ?? 512
        var a = preset.architecture(resolution: resolution, zDim: latent, wDim: latent, cDim: labels)
        if let channelBase { a.channelBase = channelBase }
        if let channelMax { a.channelMax = channelMax }
        if let mappingLayers { a.mappingLayers = mappingLayers }
        if let minibatchStdGroup { a.mbstdGroupSize = minibatchStdGroup }
        return a
    }
}

/// The hyper-parameters a run actually uses, derived from options, config and resolution (docs/training-loop.md §1).
/// The architecture side of the configs (channels, mapping layers, mbstd group) is `ArchitecturePreset`.
public struct Hyperparameters: Codable, Equatable, Sendable {
    public var batch: Int
    public var gamma: Double
    public var learningRate: Double
    public var emaKimg: Double
    /// Fraction of images seen that bounds the EMA half-life early on (auto only, not when resuming).
    public var emaRampup: Double?
    public var gRegInterval = 4
    public var dRegInterval = 16
    public var pathLengthDecay = 0.01
    public var pathLengthBatchShrink = 2
    public var adaInterval = 4
    public var adaKimg: Double

    public init(options: TrainingOptions, resolution: Int, resuming: Bool) {
        let res = Double(resolution)
        switch options.config {
        case .auto:
            batch = max(min(min(4096 / resolution, 32), 64), 1)
            learningRate = resolution >= 1024 ? 0.002 : 0.0025
            gamma = 0.0002 * res * res / Double(batch)
            emaKimg = Double(batch) * 10 / 32
            emaRampup = 0.05
        case .stylegan2:
            batch = 32; learningRate = 0.002; gamma = 10; emaKimg = 10; emaRampup = nil
        case .paper256:
            batch = 64; learningRate = 0.0025; gamma = 1; emaKimg = 20; emaRampup = nil
        }
        // Overrides come after derivation; auto's gamma and ema are not recomputed from an overridden batch.
        if let value = options.batch { batch = value }
        if let value = options.gamma { gamma = value }
        if let value = options.learningRate { learningRate = value }
        if let value = options.emaKimg { emaKimg = value }
        if resuming { emaRampup = nil }
        adaKimg = resuming ? 100 : 500
    }

    /// Lazy regularisation rescales Adam for the extra steps: lr·k/(k+1) and β^(k/(k+1)).
    public func adam(interval: Int) -> AdamSettings {
        let ratio = Double(interval) / Double(interval + 1)
        return AdamSettings(learningRate: learningRate * ratio, beta1: pow(0, ratio), beta2: pow(0.99, ratio), epsilon: 1e-8)
    }
}

/// Throws "`name` must be `rule` (got `value`)" unless `holds`: the one wording of `TrainingOptions.validate` and
/// `Hyperparameters.validate`.
private func require(_ holds: Bool, _ name: String, _ rule: String, _ value: Any?) throws {
    guard holds else { throw TrainingError("\(name) must be \(rule) (got \(value.map { "\($0)" } ?? "nil"))") }
}

extension Hyperparameters {
    /// Throws naming (by its field in a snapshot's training state) the first value no run can use: the ones `TrainingOptions`
    /// derives them from pass `TrainingOptions.validate`, so this guards an exact resume, which takes them from the file,
    /// where an interval of 0 would divide by zero.
    public func validate() throws {
        try require(batch >= 1, "batch", "at least 1", batch)
        try require(gamma.isFinite && gamma >= 0, "gamma", "a finite number ≥ 0", gamma)
        try require(learningRate.isFinite && learningRate > 0, "learningRate", "a positive finite number", learningRate)
        try require(emaKimg.isFinite && emaKimg >= 0, "emaKimg", "a finite number ≥ 0", emaKimg)
        try require(emaRampup.map { $0.isFinite && $0 >= 0 } ?? true, "emaRampup", "a finite number ≥ 0", emaRampup)
        for (name, interval) in [("gRegInterval", gRegInterval), ("dRegInterval", dRegInterval), ("adaInterval", adaInterval),
                                 ("pathLengthBatchShrink", pathLengthBatchShrink)] {
            try require(interval >= 1, name, "at least 1", interval)
        }
        try require((0...1).contains(pathLengthDecay), "pathLengthDecay", "in [0, 1]", pathLengthDecay)
        try require(adaKimg.isFinite && adaKimg > 0, "adaKimg", "a positive finite number", adaKimg)
    }
}
