import Checkpoint
import Foundation
import Networks
import TestSupport
import Testing
@testable import Training

/// `TrainingOptions.validate`: every setting no run can train with is refused by its `toonkit train` option's name, and
/// the library's runs refuse them before building anything.
struct TrainingOptionsValidationTests {
    /// One bad value per setting, with the option its error must name.
    static let refused: [(option: String, spoil: (inout TrainingOptions) -> Void)] = [
        ("--kimg", { $0.kimg = 0 }), ("--kimg", { $0.kimg = .infinity }), ("--kimg", { $0.kimg = .nan }),
        ("--kimg", { $0.kimg = 1e16 }), ("--tick", { $0.kimgPerTick = -1 }), ("--tick", { $0.kimgPerTick = .infinity }),
        ("--tick", { $0.kimgPerTick = TrainingOptions.longestKimg.nextUp }),
        ("--snap", { $0.snapTicks = 0 }), ("--batch", { $0.batch = 0 }),
        ("--lr", { $0.learningRate = -0.002 }), ("--lr", { $0.learningRate = 0 }), ("--lr", { $0.learningRate = .nan }),
        ("--gamma", { $0.gamma = -1 }), ("--gamma", { $0.gamma = .infinity }), ("--gamma", { $0.gamma = .nan }),
        ("the EMA half-life", { $0.emaKimg = -10 }),
        ("--p", { $0.augmentP = 1.5 }), ("--p", { $0.augmentP = .nan }),
        ("--target", { $0.adaTarget = 5 }), ("--target", { $0.adaTarget = -0.1 }), ("--target", { $0.adaTarget = .nan }),
        ("--freezed", { $0.freezeD = -1 }),
        ("--channel-base", { $0.networkShape.channelBase = 0 }), ("--channel-max", { $0.networkShape.channelMax = -4 }),
        ("--latent-dim", { $0.networkShape.latentDimension = 0 }), ("--mbstd-group", { $0.networkShape.minibatchStdGroup = 0 }),
        ("the style-mixing probability", { $0.styleMixing = 2 }), ("the path-length weight", { $0.pathLengthWeight = .infinity }),
        ("the grid's seed count", { $0.gridSeeds = -1 }),
    ]

    @Test func usableSettingsPass() throws {
        try TrainingOptions().validate()
        try TrainingOptions.capstoneFineTune(resolution: 256, kimg: 0.032).validate()
        var edges = TrainingOptions()
        (edges.gamma, edges.augmentP, edges.adaTarget, edges.emaKimg, edges.learningRate) = (0, 1, 0, 0, 1e-9)
        (edges.kimg, edges.kimgPerTick, edges.styleMixing, edges.pathLengthWeight, edges.gridSeeds) = (TrainingOptions.longestKimg, 1e-6, 0, 0, 0)
        try edges.validate()
        (edges.augmentP, edges.adaTarget, edges.styleMixing, edges.networkShape) = (0, 1, 1, NetworkShape(channelBase: 1, channelMax: 1, mappingLayers: 0,
                                                                                                      latentDimension: 1, minibatchStdGroup: 1))
        try edges.validate()
    }

    /// The hyper-parameters an exact resume takes from its file: every set the options derive passes, and an interval of 0
    /// (a division by zero), a negative gamma or a NaN learning rate are named by their fields.
    @Test func storedHyperparametersAreChecked() throws {
        for config in TrainingOptions.Config.allCases {
            var options = TrainingOptions()
            options.config = config
            try Hyperparameters(options: options, resolution: 256, resuming: true).validate()
        }
        let spoilers: [(String, (inout Hyperparameters) -> Void)] = [
            ("gRegInterval must be at least 1", { $0.gRegInterval = 0 }), ("dRegInterval must be at least 1", { $0.dRegInterval = -16 }),
            ("adaInterval must be at least 1", { $0.adaInterval = 0 }), ("gamma must be", { $0.gamma = -1 }),
            ("learningRate must be", { $0.learningRate = .nan }), ("adaKimg must be", { $0.adaKimg = 0 }),
            ("pathLengthDecay must be", { $0.pathLengthDecay = 2 }), ("emaRampup must be", { $0.emaRampup = -0.05 }),
        ]
        for (message, spoil) in spoilers {
            var hyper = Hyperparameters(options: TrainingOptions(), resolution: 256, resuming: false)
            spoil(&hyper)
            #expect { try hyper.validate() } throws: { ($0 as? TrainingError)?.description.hasPrefix(message) == true }
        }
    }

    @Test(arguments: refused.indices) func aBadSettingIsRefusedByItsName(index: Int) {
        var options = TrainingOptions()
        Self.refused[index].spoil(&options)
        #expect {
            try options.validate()
        } throws: { error in
            (error as? TrainingError)?.description.hasPrefix(Self.refused[index].option + " must be") == true
        }
    }

    /// The CLI validates before anything is written; a library caller gets the same error from the run itself, for a new
    /// run and for a resume (before the checkpoint is opened: the path here does not exist).
    @Test func runsRefuseBadSettingsFirst() {
        var options = TrainingLoopTests.options(kimg: 0.02)
        options.learningRate = -1
        #expect(throws: TrainingError.self) {
            try TrainingRun(options: options, architecture: TrainingLoopTests.smallArchitecture(), datasetCount: 12)
        }
        #expect {
            try TrainingRun(resumeFrom: URL(fileURLWithPath: "/nonexistent/snapshot.h5"), options: options, datasetCount: 12)
        } throws: { error in
            (error as? TrainingError)?.description.hasPrefix("--lr must be") == true
        }
    }

    /// Snapshots spoiled in ways the public API cannot produce (through the internal initialiser and state, which do not
    /// validate), each with the reason an exact resume must give and the p it stores (a fine-tune without `--p` reads it).
    static let spoiledSnapshots: [(options: (inout TrainingOptions) -> Void, p: Float, reason: String)] = [
        ({ $0.adaTarget = 7 }, 0, "--target must be in [0, 1] (got 7.0)"),
        ({ $0.augmentation = .ada }, -0.5, "its augmentation p (-0.5) is not a finite number ≥ 0"),
    ]

    /// An exact resume takes most settings from the snapshot, a file from anywhere: settings no run can use are refused,
    /// naming the file. A fine-tune from the same file takes the settings given, and p from `--p`, else from the file.
    @Test(arguments: spoiledSnapshots.indices) func anExactResumeRefusesStoredSettingsNoRunCanUse(index: Int) throws {
        let spoiling = Self.spoiledSnapshots[index]
        let valid = try TrainingRun(options: TrainingLoopTests.options(kimg: 0.02), architecture: TrainingLoopTests.smallArchitecture(),
                                    datasetCount: 12)
        var stored = valid.options
        spoiling.options(&stored)
        var spoiled = try TrainingRun(options: stored, hyper: valid.hyperparameters, generator: valid.generator, generatorEMA: valid.generatorEMA,
                                      discriminator: valid.discriminator, generatorFrozen: [], discriminatorFrozen: [], datasetCount: 12, augmentP: 0)
        var augmentation = spoiled.augmentation.snapshot
        augmentation.p = spoiling.p
        try spoiled.augmentation.restore(augmentation)
        let folder = try TemporaryDirectory()
        let snapshot = folder.file("snapshot.h5")
        try spoiled.writeSnapshot(to: snapshot, durable: false)
        #expect {
            try TrainingRun(resumeFrom: snapshot, options: TrainingLoopTests.options(kimg: 0.04), datasetCount: 12)
        } throws: { error in
            (error as? TrainingError)?.description == "\(snapshot.path): the training settings it stores cannot be resumed: \(spoiling.reason); use --fine-tune to start a new run from its networks"
        }
        var fineTune = TrainingLoopTests.options(kimg: 0.04)
        fineTune.augmentP = 0.2
        _ = try TrainingRun(resumeFrom: snapshot, options: fineTune, datasetCount: 12, mode: .networksOnly)
        fineTune.augmentP = nil
        if AugmentationState.isUsable(p: Double(spoiling.p)) {
            _ = try TrainingRun(resumeFrom: snapshot, options: fineTune, datasetCount: 12, mode: .networksOnly)
        } else {
            #expect {
                try TrainingRun(resumeFrom: snapshot, options: fineTune, datasetCount: 12, mode: .networksOnly)
            } throws: { error in
                (error as? TrainingError)?.description == "\(snapshot.path): its stored augment_p (\(Double(spoiling.p))) is not a finite number ≥ 0; give the initial p with --p"
            }
        }
    }

    /// A fine-tune without `--p` starts from the file's `augment_p`, which an imported file may hold as NaN or infinity (a
    /// snapshot's JSON cannot): refused naming the file, while `--p` replaces it.
    @Test(arguments: [Double.nan, .infinity]) func aFineTuneRefusesAStoredPThatIsNotFinite(storedP: Double) throws {
        let run = try TrainingRun(options: TrainingLoopTests.options(kimg: 0.02), architecture: TrainingLoopTests.smallArchitecture(),
                                  datasetCount: 12)
        let folder = try TemporaryDirectory()
        let snapshot = folder.file("snapshot.h5"), networks = folder.file("networks.h5")
        try run.writeSnapshot(to: snapshot, durable: false)
        let reader = try CheckpointReader.open(snapshot.path)
        let writer = try CheckpointWriter(path: networks.path, architectureDocument: reader.architectureDocument, durable: false)
        for network in reader.networkNames {
            for name in try reader.tensorNames(network: network) { try writer.write(network: network, entry: reader.readTensor(network: network, name: name)) }
        }
        try writer.writeTrainingScalar("augment_p", .real(storedP))
        try writer.commit()
        var fineTune = TrainingLoopTests.options(kimg: 0.04)
        #expect {
            try TrainingRun(resumeFrom: networks, options: fineTune, datasetCount: 12, mode: .networksOnly)
        } throws: { error in
            (error as? TrainingError)?.description == "\(networks.path): its stored augment_p (\(storedP)) is not a finite number ≥ 0; give the initial p with --p"
        }
        fineTune.augmentP = 0.2
        _ = try TrainingRun(resumeFrom: networks, options: fineTune, datasetCount: 12, mode: .networksOnly)
    }

    /// A fine-tune's `--freezed` is checked against the file's discriminator, naming the file; its full depth is allowed.
    @Test func aFineTuneFreezingMoreLayersThanTheFileHasIsRefused() throws {
        let run = try TrainingRun(options: TrainingLoopTests.options(kimg: 0.02), architecture: TrainingLoopTests.smallArchitecture(),
                                  datasetCount: 12)
        let folder = try TemporaryDirectory()
        let snapshot = folder.file("snapshot.h5")
        try run.writeSnapshot(to: snapshot, durable: false)
        let layers = NetworkAnatomy(run.discriminator.network).freezeOrder.count
        _ = try TrainingRun(resumeFrom: snapshot, options: TrainingLoopTests.options(kimg: 0.04, freezeD: layers), datasetCount: 12, mode: .networksOnly)
        #expect {
            try TrainingRun(resumeFrom: snapshot, options: TrainingLoopTests.options(kimg: 0.04, freezeD: layers + 1), datasetCount: 12,
                            mode: .networksOnly)
        } throws: { error in
            (error as? TrainingError)?.description == "\(snapshot.path): --freezed \(layers + 1): network D has \(layers) freezable layers (0…\(layers))"
        }
    }
}
