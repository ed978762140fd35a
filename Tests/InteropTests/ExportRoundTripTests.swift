import Foundation
import Testing
import TestSupport
import Checkpoint
import Networks
@testable import Interop

@Suite(.enabled(if: Fixtures.available, Fixtures.missing))
struct ExportRoundTripTests {
    /// Same networks, names, kinds, dtypes, shapes and bytes.
    static func expectIdentical(_ actual: [ImportedNetwork], _ expected: [ImportedNetwork], _ context: String) {
        #expect(actual.map(\.name) == expected.map(\.name), "\(context): networks")
        for (mine, theirs) in zip(actual, expected) {
            #expect(mine.tensors.count == theirs.tensors.count, "\(context): \(mine.name) tensor count")
            for (a, b) in zip(mine.tensors, theirs.tensors) {
                #expect(a.name == b.name && a.kind == b.kind, "\(context): \(mine.name).\(a.name) vs \(b.name)")
                #expect(a.data.dtype == b.data.dtype && a.data.shape == b.data.shape && a.data.bytes == b.data.bytes,
                        "\(context): \(mine.name).\(a.name) differs")
            }
        }
    }

    /// The container follows the output's name, so a name that announces no export format is an error, not a torch zip.
    @Test(arguments: ["tiny32.h5", "tiny32.npz", "tiny32"])
    func anOutputNameThatNamesNoFormatIsRefused(file: String) throws {
        let folder = try TemporaryDirectory()
        let original = try ModelImporter.importModel(from: Fixtures.url("tiny32.pkl"))
        let error = #expect(throws: InteropError.self) {
            try ModelExporter.export(original.networks, architecture: original.architecture, to: folder.file(file), layout: .nvidia)
        }
        #expect(error?.description.contains("names no export format") == true)
        #expect(error?.description.contains(file) == true)
        #expect(folder.contents.isEmpty)
    }

    @Test(arguments: Fixtures.names)
    func nvidiaLayoutRoundTripsBitExact(name: String) throws {
        let folder = try TemporaryDirectory()
        let original = try ModelImporter.importModel(from: Fixtures.url("\(name).pkl"))
        for file in ["all.pt", "all.safetensors"] {
            try ModelExporter.export(original.networks, architecture: original.architecture, to: folder.file(file), layout: .nvidia)
            let back = try ModelImporter.importModel(from: folder.file(file))
            Self.expectIdentical(back.networks, original.networks, file)
        }
        let generatorOnly = original.networks.filter { $0.name == "G_ema" }
        for file in ["g_ema.pt", "g_ema.safetensors"] {
            try ModelExporter.export(generatorOnly, architecture: original.architecture, to: folder.file(file), layout: .nvidia)
            let back = try ModelImporter.importModel(from: folder.file(file))
            Self.expectIdentical(back.networks, generatorOnly, file)
        }
        // safetensors keeps the whole architecture in its metadata, a .pt of several networks beside them.
        #expect(try ModelImporter.importModel(from: folder.file("all.safetensors")).architecture == original.architecture)
        #expect(try ModelImporter.importModel(from: folder.file("all.pt")).architecture == original.architecture)
        #expect(folder.contents == ["all.pt", "all.safetensors", "g_ema.pt", "g_ema.safetensors"])
    }

    @Test(arguments: Fixtures.names)
    func rosinalityLayoutRoundTripsBitExact(name: String) throws {
        let folder = try TemporaryDirectory()
        let original = try ModelImporter.importModel(from: Fixtures.url("\(name).pkl"))
        let selected = original.networks.filter { $0.name != "G" }
        let notes = try ModelExporter.export(selected, architecture: original.architecture, to: folder.file("r.pt"), layout: .rosinality)
        // Standard filters need no notes; without G the file cannot be a training checkpoint, and says so.
        #expect(notes.count == 1 && notes[0].hasPrefix("no G and D both selected"), "\(notes)")
        let archive = try ZipArchive(url: folder.file("r.pt"))
        #expect(archive.entries.map(\.name).prefix(2) == ["r/data.pkl", "r/byteorder"] && archive.entries.last?.name == "r/version")
        #expect(archive.entries.allSatisfy { !$0.isCompressed && $0.dataRange.lowerBound % 64 == 0 }, "STORED, 64-byte aligned")
        let back = try ModelImporter.importModel(from: folder.file("r.pt"))
        #expect(back.provenance.format == .rosinality)
        Self.expectIdentical(back.networks, selected, "rosinality")
    }

    /// G, D and G_ema make a training checkpoint of rosinality's train.py: g, d, g_ema, and Adam states whose
    /// params index each network's parameters (buffers excluded), with its default lr and betas.
    @Test(arguments: Fixtures.names)
    func rosinalityTrainingCheckpointHoldsAllFiveKeys(name: String) throws {
        let folder = try TemporaryDirectory()
        let original = try ModelImporter.importModel(from: Fixtures.url("\(name).pkl"))
        let notes = try ModelExporter.export(original.networks, architecture: original.architecture, to: folder.file("t.pt"), layout: .rosinality)
        #expect(notes.contains { $0.hasPrefix("g_optim: a fresh Adam state") } && notes.contains { $0.hasPrefix("d_optim: a fresh Adam state") })
        let root = try #require(try TorchFiles.readTorchSave(ByteBuffer.mapping(folder.file("t.pt"))).dictValue)
        #expect(Set(root.items.compactMap { $0.0.stringValue }) == ["g", "d", "g_ema", "g_optim", "d_optim", "latent_avg", "toonkit.architecture"])
        for (key, network, interval) in [("g_optim", "G", 4.0), ("d_optim", "D", 16.0)] {
            let optimizer = try #require(root[key]?.dictValue)
            let group = try #require(optimizer["param_groups"]?.sequence?.first?.dictValue)
            let parameters = try #require(original.networks.first { $0.name == network }).tensors.filter { $0.kind == .parameter }
            #expect(group["params"]?.sequence?.count == parameters.count, "\(key) indexes every parameter of \(network)")
            #expect(abs((group["lr"]?.doubleValue ?? 0) - 0.002 * interval / (interval + 1)) < 1e-12)
            #expect(optimizer["state"]?.dictValue?.count == 0)
        }
        let back = try ModelImporter.importModel(from: folder.file("t.pt"))
        Self.expectIdentical(back.networks, original.networks, "rosinality training checkpoint")
        #expect(back.architecture == original.architecture, "the stored architecture comes back, not one derived from shapes")
    }

    /// A checkpoint's Adam state becomes torch's per-parameter state, indexed as rosinality's `parameters()`:
    /// moments renamed and reshaped with their parameter, the step count a float32 scalar tensor, and parameters
    /// without moments (frozen) left out so train.py starts them at zero.
    @Test func rosinalityOptimizersCarryTheCheckpointsAdamState() throws {
        let folder = try TemporaryDirectory()
        let original = try ModelImporter.importModel(from: Fixtures.url("tiny32.pkl"))
        let architecture = original.architecture
        func parameters(_ network: String) throws -> [TensorEntry] {
            try #require(original.networks.first { $0.name == network }).tensors.filter { $0.kind == .parameter }
        }
        // Distinct values per tensor, so a moment that lands on the wrong index is seen.
        func adam(_ network: String, step: Int, withoutFirst skipped: Int) throws -> StoredAdamState {
            let moments = try parameters(network).enumerated().dropFirst(skipped).map { index, entry in
                (entry.name, StoredAdamState.Moments(
                    first: try TensorData(float32: .init(repeating: Float(index) + 0.5, count: entry.data.count), shape: entry.data.shape),
                    second: try TensorData(float32: .init(repeating: Float(index) + 0.25, count: entry.data.count), shape: entry.data.shape)))
            }
            return StoredAdamState(step: step, moments: Dictionary(uniqueKeysWithValues: moments))
        }
        let states = ["G": try adam("G", step: 7, withoutFirst: 0), "D": try adam("D", step: 5, withoutFirst: 3)]
        let notes = try ModelExporter.export(original.networks, architecture: architecture, to: folder.file("t.pt"),
                                             layout: .rosinality, optimizerStates: states)
        #expect(notes.contains { $0.hasPrefix("g_optim: G's Adam state after 7 steps") })
        #expect(notes.contains { $0.hasPrefix("d_optim: 3 parameters of D have no moments") })
        let root = try #require(try TorchFiles.readTorchSave(ByteBuffer.mapping(folder.file("t.pt"))).dictValue)
        for (key, network, pairs) in [("g_optim", "G", RosinalityLayout.generator(architecture)), ("d_optim", "D", RosinalityLayout.discriminator(architecture))] {
            let stored = try #require(states[network])
            let ordered = RosinalityOptimizer.parameterPairs(try #require(original.networks.first { $0.name == network }), pairs)
            let optimizer = try #require(root[key]?.dictValue)
            let perParameter = try #require(optimizer["state"]?.dictValue)
            #expect(perParameter.items.count == stored.moments.count, "\(key): one entry per parameter with moments")
            for (indexValue, value) in perParameter.items {
                let index = try #require(indexValue.intValue)
                let pair = ordered[index]
                let expected = try #require(stored.moments[pair.nvidia], "\(key) index \(index) is \(pair.nvidia), which has no moments")
                let entry = try #require(value.dictValue)
                guard case .tensor(let step)? = entry["step"], case .tensor(let first)? = entry["exp_avg"],
                      case .tensor(let second)? = entry["exp_avg_sq"] else {
                    Issue.record("\(key)[\(index)] lacks step, exp_avg or exp_avg_sq"); continue
                }
                let stepValues = try step.materialize().floats(), firstBytes = try first.materialize().bytes
                let secondBytes = try second.materialize().bytes
                #expect(step.shape == [] && stepValues == [Float(stored.step)])
                #expect(first.shape == pair.foreignShape && firstBytes == expected.first.bytes)
                #expect(second.shape == pair.foreignShape && secondBytes == expected.second.bytes)
            }
        }
    }

    @Test(arguments: Fixtures.names)
    func rosinalityExportMatchesTheFixtureConversion(name: String) throws {
        // The fixture's .rosinality.pt was written by export_weights.py from the same G_ema.
        let folder = try TemporaryDirectory()
        let original = try ModelImporter.importModel(from: Fixtures.url("\(name).pkl"))
        try ModelExporter.export(original.networks.filter { $0.name == "G_ema" }, architecture: original.architecture,
                                 to: folder.file("r.pt"), layout: .rosinality)
        let mine = try #require(try TorchFiles.readTorchSave(ByteBuffer.mapping(folder.file("r.pt"))).dictValue)
        let reference = try #require(try TorchFiles.readTorchSave(ByteBuffer.mapping(Fixtures.url("\(name).rosinality.pt"))).dictValue)
        let myGenerator = try StateDictReader.tensors(try #require(mine["g_ema"]), label: "mine")
        let referenceGenerator = try StateDictReader.tensors(try #require(reference["g_ema"]), label: "reference")
        #expect(Set(myGenerator.keys) == Set(referenceGenerator.keys))
        for (key, tensor) in referenceGenerator {
            #expect(myGenerator[key]?.shape == tensor.shape && myGenerator[key]?.bytes == tensor.bytes, "\(key)")
        }
        let myAverage = try #require(mine["latent_avg"]?.tensorValue).materialize()
        let referenceAverage = try #require(reference["latent_avg"]?.tensorValue).materialize()
        #expect(myAverage.bytes == referenceAverage.bytes)
    }

    @Test(arguments: Fixtures.names)
    func checkpointImportAndExportRoundTrip(name: String) throws {
        let folder = try TemporaryDirectory()
        let checkpoint = folder.file("model.h5")
        let imported = try ModelImporter.importCheckpoint(from: Fixtures.url("\(name).pkl"), to: checkpoint)
        let reader = try CheckpointReader(path: checkpoint.path)
        #expect(reader.networkNames.sorted() == ["D", "G", "G_ema"])
        #expect(try reader.architecture == imported.architecture)
        #expect(reader.trainingScalars["augment_p"].map { abs($0.doubleValue - 0.328) < 1e-6 } == true)
        #expect(reader.extraNames.contains("training_set_kwargs"))
        let record = try #require(reader.provenance.last)
        #expect(record.operation == "import" && record.inputs.first?.sha256 == imported.provenance.sourceSHA256)

        try ModelExporter.export(checkpoint: checkpoint, to: folder.file("out.pt"), layout: .rosinality)
        let back = try ModelImporter.importModel(from: folder.file("out.pt"))
        Self.expectIdentical(back.networks, imported.networks, "checkpoint → rosinality (a training checkpoint: g, d, g_ema)")
    }

    @Test func anOutputThatIsTheInputIsRefused() throws {
        let folder = try TemporaryDirectory()
        let source = folder.file("model.pkl")
        try FileManager.default.copyItem(at: Fixtures.url("tiny32.pkl"), to: source)
        let error = try #require(throws: InteropError.self) { try ModelImporter.importCheckpoint(from: source, to: source) }
        #expect(error.message.contains("the output is the input"))
        #expect(try Data(contentsOf: source) == Data(contentsOf: Fixtures.url("tiny32.pkl")))
    }
}
