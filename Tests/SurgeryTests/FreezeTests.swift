import Checkpoint
import Foundation
import Networks
import Surgery
import TestSupport
import Testing

struct FreezeCountingTests {
    /// The FreezeD order of docs/training-loop.md §8 for a 256² resnet D: 19 layers, b256 fromrgb 0 … skip 3, b128 conv0 4 …, b8 skip 18.
    @Test func layerOrderMatchesFreezedAt256() {
        let order = NetworkAnatomy(DiscriminatorNetwork(ArchitecturePreset.paper256.architecture())).freezeOrder
        let layers = order.map(\.layer)
        #expect(order.allSatisfy { $0.tensors == [$0.layer + ".weight", $0.layer + ".bias"] || ($0.layer.hasSuffix("skip") && $0.tensors == [$0.layer + ".weight"]) })
        #expect(layers.count == 19)
        #expect(Array(layers.prefix(5)) == ["b256.fromrgb", "b256.conv0", "b256.conv1", "b256.skip", "b128.conv0"])
        #expect(layers[7] == "b64.conv0" && layers[10] == "b32.conv0" && layers[13] == "b16.conv0")
        #expect(layers.last == "b8.skip")
    }

    @Test func globsMatchWholeNamesAndPlainPatternsAreSubstrings() {
        #expect(TensorSelection.matches("b256.fromrgb.weight", "b256.*"))
        #expect(!TensorSelection.matches("b256.fromrgb.weight", "fromrgb*"))
        #expect(TensorSelection.matches("b256.fromrgb.weight", "b25*.weight"))
        #expect(TensorSelection.matches("b256.fromrgb.weight", "fromrgb"))
        #expect(!TensorSelection.matches("b256.conv0.weight", "fromrgb"))
        #expect(TensorSelection.matches("b16.conv0.bias", "b?6.conv[01].*"))
    }
}

/// freeze flips `trainable` and nothing else; unfreeze undoes it.
@Suite(.enabled(if: Fixtures.available, Fixtures.missing))
struct FreezeTests {
    let folder: TemporaryDirectory
    let checkpoint: String

    init() throws {
        folder = try TemporaryDirectory()
        checkpoint = try Inputs.pair("tiny32", in: folder).base
    }

    func freeze(_ input: String, _ selection: TensorSelection, network: String = "D", unfreeze: Bool = false, to name: String) throws -> CheckpointReader {
        let output = folder.file(name).path
        let recipe = Recipe(action: .freeze(FreezeRecipe(checkpoint: input, network: network, selection: selection, unfreeze: unfreeze)), output: output)
        _ = try SurgeryJob(recipe).run(durable: false)
        return try CheckpointReader.open(output)
    }

    func flags(_ reader: CheckpointReader) throws -> [String: Bool] {
        var flags: [String: Bool] = [:]
        for network in reader.networkNames {
            for info in try reader.tensorInfos(network: network) { flags["\(network)/\(info.name)"] = info.trainable }
        }
        return flags
    }

    @Test func freezingThreeLayersLeavesTheSkipTrainableAndTheBytesIdentical() throws {
        let original = try CheckpointReader.open(checkpoint)
        let frozen = try freeze(checkpoint, .layers(3), to: "frozen.h5")
        let expectedFrozen: Set = ["D/b32.fromrgb.weight", "D/b32.fromrgb.bias", "D/b32.conv0.weight", "D/b32.conv0.bias",
                                   "D/b32.conv1.weight", "D/b32.conv1.bias"]
        let before = try flags(original), after = try flags(frozen)
        #expect(before.values.allSatisfy { $0 })
        #expect(Set(after.filter { !$0.value }.keys) == expectedFrozen)
        #expect(after["D/b32.skip.weight"] == true)
        #expect(frozen.networkNames == original.networkNames)
        for network in original.networkNames {
            #expect(try frozen.tensorNames(network: network) == original.tensorNames(network: network))
            for name in try original.tensorNames(network: network) {
                let (a, b) = (try original.readTensor(network: network, name: name), try frozen.readTensor(network: network, name: name))
                #expect(a.data.bytes == b.data.bytes && a.data.dtype == b.data.dtype && a.data.shape == b.data.shape && a.kind == b.kind)
            }
        }
        #expect(frozen.trainingScalars == original.trainingScalars)
        #expect(frozen.extraNames == original.extraNames)
        #expect(frozen.provenance.count == original.provenance.count + 1)
        #expect(frozen.provenance.last?.operation == "freeze")
        #expect(frozen.provenance.last?.parameters["layers"] == .number(3))
    }

    @Test func unfreezeReversesFreeze() throws {
        let original = try flags(CheckpointReader.open(checkpoint))
        let frozen = try freeze(checkpoint, .layers(7), to: "frozen.h5")
        #expect(try flags(frozen).values.filter { !$0 }.count == 12)
        let thawed = try freeze(frozen.path, .layers(7), unfreeze: true, to: "thawed.h5")
        #expect(try flags(thawed) == original)
        #expect(thawed.provenance.last?.operation == "unfreeze")
    }

    @Test func blocksAndNamesSelectParametersOnly() throws {
        let byBlock = try flags(freeze(checkpoint, .blocks([16]), to: "blocks.h5")).filter { !$0.value }.keys.sorted()
        #expect(byBlock == ["D/b16.conv0.bias", "D/b16.conv0.weight", "D/b16.conv1.bias", "D/b16.conv1.weight", "D/b16.skip.weight"])
        let byName = try flags(freeze(checkpoint, .names(["fromrgb", "b8.conv*.weight"]), to: "names.h5")).filter { !$0.value }.keys.sorted()
        #expect(byName == ["D/b32.fromrgb.bias", "D/b32.fromrgb.weight", "D/b8.conv0.weight", "D/b8.conv1.weight"])
        let mapping = try flags(freeze(checkpoint, .names(["mapping.*"]), network: "G_ema", to: "mapping.h5")).filter { !$0.value }.keys
        #expect(Set(mapping) == ["G_ema/mapping.fc0.weight", "G_ema/mapping.fc0.bias", "G_ema/mapping.fc1.weight", "G_ema/mapping.fc1.bias"])
    }

    @Test func dryRunShowsTheLayerIndex() throws {
        let recipe = Recipe(action: .freeze(FreezeRecipe(checkpoint: checkpoint, selection: .layers(5))), output: folder.file("x.h5").path)
        let before = folder.contents
        guard case .planned(let text) = try RecipeRunner.run(recipe, dryRun: true) else { Issue.record("not a plan"); return }
        #expect(folder.contents == before)
        #expect(text.contains("b16.conv0.weight") && text.contains("selected: frozen (D layer 4 from the input) [frozen]"))
        let unselected = text.split(separator: "\n").filter { $0.hasPrefix("  b16.conv1.weight ") }
        #expect(unselected.count == 1 && !unselected[0].contains("selected"))
    }
}
