import Checkpoint
import Engine
import Foundation
import Networks

/// What a snapshot stores under /training beyond the networks, as one JSON document.
/// Adam's step counts are not in it: they are training scalars beside the moments (`StoredAdamState`).
struct TrainingStateDocument: Codable {
    static let format = "toonkit.training/2"
    /// Kept Adam's step counts in the document (`StoredAdamState` reads them); still resumed exactly.
    static let previousFormat = StoredAdamState.stepInDocumentFormat
    var format = TrainingStateDocument.format
    var options: TrainingOptions
    var hyperparameters: Hyperparameters
    var iteration: Int
    var imagesSeen: Int
    var pathLengthMean: Float
    var rng: [UInt32]
    var sampler: TrainingSampler
    var augmentation: AugmentationState.Snapshot
}


extension TrainingRun {
    /// Writes G, G_ema, D (frozen tensors marked non-trainable), the optimiser moments and the state
    /// document; the file appears atomically.
    public func writeSnapshot(to url: URL, durable: Bool = true) throws {
        let writer = try CheckpointWriter(path: url.path, architecture: generator.architecture, durable: durable)
        do {
            for (network, parameters, trainable) in [("G", generator.parameters, generatorTrainable),
                                                     ("G_ema", generatorEMA.parameters, generatorTrainable),
                                                     ("D", discriminator.parameters, discriminatorTrainable)] {
                for entry in try parameters.entries(trainable: { parameters.kind(of: $0) == .buffer || trainable.contains($0) }) {
                    try writer.write(network: network, entry: entry)
                }
            }
            try generatorOptimizer.stored().write(to: writer, network: "G")
            try discriminatorOptimizer.stored().write(to: writer, network: "D")
            let document = TrainingStateDocument(
                options: options, hyperparameters: hyperparameters, iteration: iteration, imagesSeen: imagesSeen,
                pathLengthMean: loss.pathLengthMean, rng: rng.snapshot, sampler: sampler, augmentation: augmentation.snapshot)
            try writer.writeTrainingState(JSONValue(encoding: document))
            try writer.writeTrainingScalar("step", .integer(Int64(iteration)))
            try writer.writeTrainingScalar("kimg", .real(kimg))
            try writer.writeTrainingScalar("augment_p", .real(augmentation.p))
            writer.appendProvenance(contentsOf: inheritedProvenance)
            writer.appendProvenance(ProvenanceRecord(
                operation: "train",
                parameters: ["kimg": .number(kimg), "iteration": .number(Double(iteration)), "options": try JSONValue(encoding: options)],
                inputs: startedFrom.map { [$0] } ?? []))
            _ = try writer.commit()
        } catch {
            writer.abort()
            throw error
        }
    }

    /// How much of a checkpoint a run continues from.
    public enum ResumeMode: Sendable {
        /// A toonkit snapshot continues exactly (weights, Adam moments, EMA, p, iteration, images seen,
        /// data order, random state); other checkpoints are fine-tuned (`networksOnly`).
        case exact
        /// Only the networks (and p, unless given): a new fine-tuning run, as the reference's --resume.
        case networksOnly
    }

    /// Continues from a checkpoint. A toonkit snapshot resumes exactly in `.exact` mode: its stored options
    /// win over `options` except for the run length and snapshot cadence, and the data set must be the one
    /// it was trained on. Any other checkpoint (e.g. an imported NVIDIA pickle), or any checkpoint in
    /// `.networksOnly` mode, starts a fine-tuning run from its G, G_ema and D, with p from the file unless
    /// `--p` is given, the EMA ramp off and ada_kimg 100, as the reference does when resuming.
    public init(resumeFrom url: URL, options: TrainingOptions, datasetCount: Int, mode: ResumeMode = .exact) throws {
        try options.validate()
        let reader = try CheckpointReader.open(url.path)
        try Self.requireDiscriminator(reader, url: url)
        // A file with one generator (e.g. a rosinality export) starts G and G_ema from the same weights.
        let emaSource = reader.networkNames.contains("G_ema") ? "G_ema" : "G"
        let generatorSource = reader.networkNames.contains("G") ? "G" : emaSource
        let ema = try Generator(reader: reader, network: emaSource)
        var generator = try Generator(reader: reader, network: generatorSource)
        generator.parameters = generator.parameters.renamed(to: "G")
        let discriminator = try Discriminator(reader: reader, network: "D")
        let frozenG = try Self.frozen(reader, generatorSource)
        let frozenD = try Self.frozen(reader, "D")
        let state = mode == .networksOnly ? nil : try reader.trainingState.map { json -> TrainingStateDocument in
            let resumable = [TrainingStateDocument.format, TrainingStateDocument.previousFormat]
            guard resumable.contains(where: { json["format"] == .string($0) }) else {
                throw TrainingError("\(url.path): its training state is not in a format this toonkit resumes exactly (\(resumable.joined(separator: " or "))); use --fine-tune to start a new run from its networks")
            }
            return try json.decode(as: TrainingStateDocument.self)
        }
        if let state {
            var effective = state.options
            effective.kimg = options.kimg
            effective.snapTicks = options.snapTicks
            effective.kimgPerTick = options.kimgPerTick
            do {
                try effective.validate()
                try state.hyperparameters.validate()
                try Self.requireFreezable(effective.freezeD, NetworkAnatomy(discriminator.network))
                let storedP = Double(state.augmentation.p)
                guard AugmentationState.isUsable(p: storedP) else {
                    throw TrainingError("its augmentation p (\(storedP)) is not \(AugmentationState.usablePRule)")
                }
            } catch let error as TrainingError {
                throw TrainingError("\(url.path): the training settings it stores cannot be resumed: \(error.description); use --fine-tune to start a new run from its networks")
            }
            try self.init(options: effective, hyper: state.hyperparameters, generator: generator, generatorEMA: ema,
                          discriminator: discriminator, generatorFrozen: frozenG, discriminatorFrozen: frozenD,
                          datasetCount: datasetCount, augmentP: Double(state.augmentation.p))
            guard state.sampler.datasetCount == datasetCount else {
                throw TrainingError("\(url.path) was trained on a data set of \(state.sampler.datasetCount) images, this one has \(datasetCount): an exact resume needs the same data (use --fine-tune to start a new run from its networks)")
            }
            isExactResume = true
            iteration = state.iteration
            imagesSeen = state.imagesSeen
            loss.pathLengthMean = state.pathLengthMean
            rng = try RandomState(snapshot: state.rng)
            sampler = state.sampler
            try augmentation.restore(state.augmentation)
            for network in ["G", "D"] {
                guard let stored = try StoredAdamState(reader: reader, network: network) else {
                    throw TrainingError("\(url.path): its training state has no Adam state for \(network); use --fine-tune to start a new run from its networks")
                }
                if network == "G" { try generatorOptimizer.restore(stored) } else { try discriminatorOptimizer.restore(stored) }
            }
        } else {
            try Self.requireFineTunable(reader, url: url, freezeD: options.freezeD)
            let hyper = Hyperparameters(options: options, resolution: ema.architecture.resolution, resuming: true)
            let storedP = reader.trainingScalars["augment_p"]?.doubleValue ?? 0
            guard options.augmentP != nil || AugmentationState.isUsable(p: storedP) else {
                throw TrainingError("\(url.path): its stored augment_p (\(storedP)) is not \(AugmentationState.usablePRule); give the initial p with --p")
            }
            try self.init(options: options, hyper: hyper, generator: generator, generatorEMA: ema, discriminator: discriminator,
                          generatorFrozen: frozenG, discriminatorFrozen: frozenD, datasetCount: datasetCount,
                          augmentP: options.augmentP ?? storedP)
        }
        generatorEMA.parameters = generatorEMA.parameters.renamed(to: "G_ema")
        inheritedProvenance = reader.provenance
        startedFrom = try ProvenanceInput.file(at: url.path)
    }

    /// Refuses a checkpoint without a discriminator (e.g. a generator-only export): training needs G and D.
    static func requireDiscriminator(_ reader: CheckpointReader, url: URL) throws {
        guard reader.networkNames.contains("D") else {
            throw TrainingError("\(url.path) has no discriminator (networks: \(reader.networkNames.joined(separator: ", "))); training needs G and D")
        }
    }

    /// Refuses, naming the file, a checkpoint that a fine-tune freezing `freezeD` discriminator layers cannot start from:
    /// one without a discriminator, or with fewer freezable layers. Reads only the file's tensor names, so workflows can
    /// ask before they write anything.
    public static func requireFineTunable(_ reader: CheckpointReader, url: URL, freezeD: Int) throws {
        try requireDiscriminator(reader, url: url)
        do { try requireFreezable(freezeD, NetworkAnatomy.of(reader, network: "D")) } catch let error as TrainingError {
            throw TrainingError("\(url.path): \(error.description)")
        }
    }

    /// Parameters a checkpoint marks non-trainable (`toonkit freeze`, FreezeD snapshots).
    static func frozen(_ reader: CheckpointReader, _ network: String) throws -> Set<String> {
        Set(try reader.tensorInfos(network: network).filter { $0.kind == .parameter && !$0.trainable }.map(\.name))
    }
}
