import Checkpoint
import Engine
import Foundation
import Networks

/// The complete state of a training run: networks, optimisers, loss state, augmentation, data order
/// and random generator. Everything needed to continue exactly is written into each snapshot.
public struct TrainingRun {
    public let options: TrainingOptions
    public let hyperparameters: Hyperparameters
    public internal(set) var generator: Generator
    public internal(set) var generatorEMA: Generator
    public internal(set) var discriminator: Discriminator
    public internal(set) var imagesSeen = 0
    public internal(set) var iteration = 0
    /// Continues a toonkit snapshot with its own settings and state (as opposed to a new or fine-tuning run).
    public internal(set) var isExactResume = false
    public internal(set) var augmentation: AugmentationState
    var generatorOptimizer: AdamOptimizer
    var discriminatorOptimizer: AdamOptimizer
    var loss: StyleGAN2Loss
    var sampler: TrainingSampler
    var rng: RandomState
    /// Tensors the optimisers update; everything else (buffers, frozen layers) stays bit-identical.
    public let generatorTrainable: Set<String>
    public let discriminatorTrainable: Set<String>
    /// The processes sharing each minibatch (one unless `distribute(over:)` was called).
    public private(set) var collective: any Collective = SingleProcess()
    /// Provenance carried over from the checkpoint the run started from.
    var inheritedProvenance: [ProvenanceRecord] = []
    var startedFrom: ProvenanceInput?

    /// A new run from freshly initialised networks.
    public init(options: TrainingOptions, architecture: Architecture, datasetCount: Int) throws {
        try options.validate()
        let hyper = Hyperparameters(options: options, resolution: architecture.resolution, resuming: false)
        let g = try Generator(architecture: architecture, parameters: NetworkInitializer.generator(architecture, seed: options.seed))
        let d = try Discriminator(architecture: architecture, parameters: NetworkInitializer.discriminator(architecture, seed: options.seed &+ 1))
        var ema = g
        ema.parameters = ema.parameters.renamed(to: "G_ema")
        try self.init(options: options, hyper: hyper, generator: g, generatorEMA: ema, discriminator: d,
                      generatorFrozen: [], discriminatorFrozen: [], datasetCount: datasetCount,
                      augmentP: options.augmentP ?? 0)
    }

    init(options: TrainingOptions, hyper: Hyperparameters, generator: Generator, generatorEMA: Generator, discriminator: Discriminator,
         generatorFrozen: Set<String>, discriminatorFrozen: Set<String>, datasetCount: Int, augmentP: Double) throws {
        guard hyper.batch >= 1 else { throw TrainingError("batch size must be at least 1") }
        let group = min(discriminator.architecture.mbstdGroupSize ?? hyper.batch, hyper.batch)
        guard hyper.batch % group == 0 else {
            throw TrainingError("batch \(hyper.batch) is not divisible by the minibatch-std group size \(group)")
        }
        self.options = options
        hyperparameters = hyper
        self.generator = generator
        self.generatorEMA = generatorEMA
        self.discriminator = discriminator
        let anatomy = NetworkAnatomy(discriminator.network)
        try Self.requireFreezable(options.freezeD, anatomy)
        let freezeD = Set(anatomy.freezeOrder.prefix(options.freezeD).flatMap(\.tensors))
        generatorTrainable = Set(generator.parameters.parameterNames).subtracting(generatorFrozen)
        discriminatorTrainable = Set(discriminator.parameters.parameterNames).subtracting(discriminatorFrozen).subtracting(freezeD)
        generatorOptimizer = AdamOptimizer(settings: hyper.adam(interval: hyper.gRegInterval))
        discriminatorOptimizer = AdamOptimizer(settings: hyper.adam(interval: hyper.dRegInterval))
        loss = StyleGAN2Loss(gamma: hyper.gamma, styleMixing: options.styleMixing, pathLengthWeight: options.pathLengthWeight,
                             pathLengthDecay: hyper.pathLengthDecay, pathLengthBatchShrink: hyper.pathLengthBatchShrink)
        augmentation = try AugmentationState(options: options, hyper: hyper, initialP: augmentP)
        sampler = try TrainingSampler(datasetCount: datasetCount, mirror: options.mirror, seed: options.seed)
        rng = RandomState(seed: options.seed &+ 12345)
    }

    public var kimg: Double { Double(imagesSeen) / 1000 }

    /// This process's share of the minibatch.
    public var localBatch: Int { hyperparameters.batch / collective.share.ranks }

    /// Spreads every minibatch over the processes of `collective` (docs/training-loop.md §12): the batch
    /// is the whole batch and each rank computes batch/ranks samples. Minibatch-std groups stay within a
    /// rank, as on NVIDIA's GPUs: a group larger than a rank's share shrinks to it (the layer takes
    /// min(group, N)), so the run equals one process with the whole batch only when the group divides the share.
    public mutating func distribute(over collective: any Collective) throws {
        let ranks = collective.share.ranks, batch = hyperparameters.batch
        guard batch % ranks == 0 else {
            throw TrainingError("the batch of \(batch) does not split over \(ranks) ranks: choose a batch that is a multiple of the rank count (--batch)")
        }
        let share = batch / ranks
        let group = min(discriminator.architecture.mbstdGroupSize ?? share, share)
        guard share % group == 0 else {
            throw TrainingError("each of \(ranks) ranks gets \(share) images, which its minibatch-std group of \(group) does not divide")
        }
        self.collective = collective
        loss.collective = collective
        try collective.requireSameOnEveryRank(try stateFingerprint(), "networks and random state (--resume, --seed and the options)")
    }

    /// FNV-1a over every tensor of G, G_ema and D, the random state and the data order.
    func stateFingerprint() throws -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ word: UInt32) { hash = (hash ^ UInt64(word)) &* 0x0000_0100_0000_01b3 }
        for parameters in [generator.parameters, generatorEMA.parameters, discriminator.parameters] {
            for name in parameters.names { try parameters.tensor(name).withUnsafeBufferPointer { $0.forEach { mix($0.bitPattern) } } }
        }
        rng.snapshot.forEach(mix)
        sampler.fingerprintWords.forEach(mix)
        return hash
    }

    /// Losses and diagnostics of one iteration.
    public struct StepReport {
        public var values: [String: Float] = [:]
    }

    /// One iteration: Gmain, Greg (every 4), Dmain, Dreg (every 16), EMA, ADA (docs/training-loop.md §3),
    /// with reals from the data set in the sampler's order and every other input drawn from the run's generator.
    public mutating func step(dataset: ImageDataset) throws -> StepReport {
        var inputs = DatasetTrainingInputs(dataset: dataset, sampler: sampler, random: rng, share: collective.share)
        defer { (sampler, rng) = (inputs.sampler, inputs.random) }
        return try step(inputs: &inputs)
    }

    /// What one phase did: its loss result (loss, gradients with the gain, diagnostic tensors) and both
    /// networks right after its optimizer step.
    public struct PhaseOutcome {
        public let phase: TrainingPhase
        public let result: StyleGAN2Loss.PhaseResult
        public let generator: ParameterSet
        public let discriminator: ParameterSet
        /// pl_mean after the phase (moved by Greg only).
        public let pathLengthMean: Float
    }

    /// One iteration whose reals, latents and noise come from `inputs` (the seam a replay of a recorded
    /// iteration uses: docs/training-loop.md §11). `observe` sees each phase right after its optimizer step.
    public mutating func step(inputs: inout some TrainingInputSource,
                              observe: (PhaseOutcome) -> Void = { _ in }) throws -> StepReport {
        let (reals, realLabels) = try inputs.reals(count: localBatch)
        var report = StepReport()
        for phase in TrainingPhase.allCases where isDue(phase) {
            let result = try run(phase, reals: reals, realLabels: realLabels, inputs: &inputs)
            let gradients = try collective.averaged(result.gradients)
            if phase.trainsGenerator {
                try generatorOptimizer.update(&generator.parameters, gradients: gradients)
            } else {
                try discriminatorOptimizer.update(&discriminator.parameters, gradients: gradients)
            }
            if let logits = result.realLogits { try augmentation.observe(realLogits: logits, collective: collective) }
            report.values[Self.reportedLossName[phase]!] = result.loss
            report.values.merge(result.extra) { $1 }
            observe(PhaseOutcome(phase: phase, result: result, generator: generator.parameters,
                                 discriminator: discriminator.parameters, pathLengthMean: loss.pathLengthMean))
        }
        report.values = try collective.averaged(report.values)
        try updateEMA()
        imagesSeen += hyperparameters.batch
        iteration += 1
        augmentation.endIteration(iteration)
        report.values["augment_p"] = Float(augmentation.p)
        if let rt = augmentation.realSignMean { report.values["ada_r_t"] = Float(rt) }
        return report
    }

    static let reportedLossName: [TrainingPhase: String] = [
        .generatorMain: "loss_G", .generatorRegularization: "loss_PL", .discriminatorMain: "loss_D", .discriminatorRegularization: "loss_R1",
    ]

    /// Main phases run every iteration; lazy regularisation every interval, when its weight is non-zero.
    func isDue(_ phase: TrainingPhase) -> Bool {
        switch phase {
        case .generatorMain, .discriminatorMain: return true
        case .generatorRegularization: return iteration % hyperparameters.gRegInterval == 0 && options.pathLengthWeight > 0
        case .discriminatorRegularization: return iteration % hyperparameters.dRegInterval == 0 && hyperparameters.gamma > 0
        }
    }

    /// One phase's loss and gradients; each phase draws its own latents, in phase order.
    mutating func run(_ phase: TrainingPhase, reals: Tensor, realLabels: Tensor?,
                      inputs: inout some TrainingInputSource) throws -> StyleGAN2Loss.PhaseResult {
        let a = generator.architecture, batch = localBatch, augment = augmentation.function(share: collective.share)
        switch phase {
        case .generatorMain:
            let (z, c) = try inputs.latents(for: phase, count: batch, zDim: a.zDim, cDim: a.cDim)
            return try loss.generatorMain(&generator, discriminator, trainable: generatorTrainable, z: z, c: c,
                                          augment: augment, rng: &inputs)
        case .generatorRegularization:
            let (z, c) = try inputs.latents(for: phase, count: batch, zDim: a.zDim, cDim: a.cDim)
            return try loss.generatorRegularization(&generator, trainable: generatorTrainable, z: z, c: c, rng: &inputs,
                                                    gain: Float(hyperparameters.gRegInterval))
        case .discriminatorMain:
            let (z, c) = try inputs.latents(for: phase, count: batch, zDim: a.zDim, cDim: a.cDim)
            return try loss.discriminatorMain(discriminator, &generator, trainable: discriminatorTrainable, z: z, c: c,
                                              reals: reals, realLabels: realLabels, augment: augment, rng: &inputs)
        case .discriminatorRegularization:
            return try loss.discriminatorRegularization(discriminator, trainable: discriminatorTrainable, reals: reals,
                                                        realLabels: realLabels, augment: augment, rng: &inputs,
                                                        gain: Float(hyperparameters.dRegInterval))
        }
    }

    /// The EMA's β for this iteration: 0.5^(batch / ema_nimg), ema_nimg ramped up by the images seen so far.
    public var emaBeta: Double {
        var emaImages = hyperparameters.emaKimg * 1000
        if let ramp = hyperparameters.emaRampup { emaImages = min(emaImages, Double(imagesSeen) * ramp) }
        return pow(0.5, Double(hyperparameters.batch) / max(emaImages, 1e-8))
    }

    /// G_ema ← lerp(G, G_ema, β) with β = 0.5^(batch / ema_nimg); buffers (w_avg, noise, filters) copied.
    mutating func updateEMA() throws {
        let beta = Float(emaBeta)
        try GradMode.withoutGrad {
            for name in generator.parameters.names {
                let current = try generator.parameters.tensor(name)
                let kind = generator.parameters.kind(of: name) ?? .parameter
                let updated = kind == .buffer ? current : try Tensor.lerp(current, generatorEMA.parameters.tensor(name), weight: beta)
                generatorEMA.parameters.set(name, updated, kind: kind)
            }
        }
    }
}

extension ParameterSet {
    /// The same tensors under another network name (G → G_ema).
    func renamed(to network: String) -> ParameterSet {
        var copy = ParameterSet(network: network)
        for name in names { copy.set(name, try! tensor(name), kind: kind(of: name) ?? .parameter) }
        return copy
    }
}

extension TrainingRun {
    /// Refuses a FreezeD count beyond the discriminator's freezable layers.
    static func requireFreezable(_ freezeD: Int, _ discriminator: NetworkAnatomy) throws {
        if let problem = discriminator.freezeDepthProblem(option: "--freezed", count: freezeD, network: "D") { throw TrainingError(problem) }
    }
}
