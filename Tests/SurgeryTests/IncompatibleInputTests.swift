import Checkpoint
import Networks
import Foundation
import Surgery
import TestSupport
import Testing

/// Inputs that cannot be combined are refused with every mismatch listed, and nothing is written.
@Suite(.enabled(if: Fixtures.available, Fixtures.missing))
struct IncompatibleInputTests {
    func expectRefusal(_ recipe: Recipe, in folder: TemporaryDirectory, mentioning expected: [String]) throws {
        let before = folder.contents
        for dryRun in [false, true] {
            do {
                _ = try RecipeRunner.run(recipe, dryRun: dryRun)
                Issue.record("\(recipe.operation) was not refused")
            } catch SurgeryError.incompatible(_, let mismatches) {
                for text in expected { #expect(mismatches.contains { $0.contains(text) }, "no mismatch mentions \(text): \(mismatches)") }
            }
        }
        #expect(folder.contents == before)
    }

    @Test func differentResolutionsListEveryMismatch() throws {
        let folder = try TemporaryDirectory()
        let (small, _) = try Inputs.pair("tiny32", in: folder)
        let (large, _) = try Inputs.pair("tiny64", in: folder)
        let output = folder.file("out.h5").path
        let swap = Recipe(action: .blend(BlendRecipe(base: small, style: large, schedule: .swap(at: 8))), output: output)
        try expectRefusal(swap, in: folder, mentioning: ["architecture.resolution: 32", "architecture.channel_base",
                                                          "G_ema/synthesis.b4.const: shape [32, 4, 4]", "G_ema/synthesis.b64.torgb.bias: only in \(large)"])
        let merge = Recipe(action: .merge(MergeRecipe(inputs: [small, large], weights: [0.5, 0.5])), output: output)
        try expectRefusal(merge, in: folder, mentioning: ["architecture.resolution", "D/b64.fromrgb.weight: only in \(large)"])
    }

    @Test func renamedAndReshapedTensorsAreListed() throws {
        let folder = try TemporaryDirectory()
        let (base, style) = try Inputs.pair("tiny32", in: folder)
        let edited = folder.file("edited.h5").path
        try Tampered.write(style, to: edited) { network, entry in
            var entry = entry
            if entry.name == "synthesis.b8.conv0.bias" { entry.name = "synthesis.b8.conv0.bias_renamed" }
            if entry.name == "synthesis.b16.torgb.bias" { entry.data = try TensorData(float32: [1, 2], shape: [2]) }
            return entry
        }
        let output = folder.file("out.h5").path
        let blend = Recipe(action: .blend(BlendRecipe(base: base, style: edited, schedule: .weights([8: 0.5]))), output: output)
        // Such a file contradicts its own architecture, so it is refused as it is opened, every tensor named.
        let before = folder.contents
        for dryRun in [false, true] {
            let error = try #require(throws: CheckpointError.self) { try RecipeRunner.run(blend, dryRun: dryRun) }
            for text in ["\(edited): does not follow the checkpoint format v1 schema", "network G_ema lacks synthesis.b8.conv0.bias [32]",
                         "network G has an unexpected tensor synthesis.b8.conv0.bias_renamed",
                         "network G_ema: synthesis.b16.torgb.bias has shape [2] but the architecture"] {
                #expect("\(error)".contains(text), "\(error)")
            }
        }
        #expect(folder.contents == before)
    }

    @Test func invalidParametersWriteNothing() throws {
        let folder = try TemporaryDirectory()
        let (base, style) = try Inputs.pair("tiny32", in: folder)
        let before = folder.contents
        let output = folder.file("out.h5").path
        let cases: [(Recipe.Action, String)] = [
            (.blend(BlendRecipe(base: base, style: style, schedule: .swap(at: 12))), "--at 12 is not a block resolution"),
            (.blend(BlendRecipe(base: base, style: style, schedule: .weights([128: 1]))), "resolution 128 is not a block resolution"),
            (.blend(BlendRecipe(base: base, style: style, schedule: .logistic(at: 8, width: 0))), "--width must be a positive number"),
            (.merge(MergeRecipe(inputs: [base, style], weights: [1])), "--weights has 1 values for 2 checkpoints"),
            (.merge(MergeRecipe(inputs: [base, style, base], weights: [1, 1, 1], method: .slerp)), "slerp merges exactly two"),
            (.freeze(FreezeRecipe(checkpoint: base, selection: .layers(11))), "has 10 freezable layers"),
            (.freeze(FreezeRecipe(checkpoint: base, selection: .names(["nothing*"]))), "matches no parameter"),
            (.freeze(FreezeRecipe(checkpoint: base, selection: .blocks([128]))), "has no block at 128"),
        ]
        for (action, message) in cases {
            #expect { try RecipeRunner.run(Recipe(action: action, output: output)) } throws: { error in
                "\(error)".contains(message)
            }
        }
        #expect(folder.contents == before)
    }

    @Test func aFailureWhileWritingLeavesNoFile() throws {
        let folder = try TemporaryDirectory()
        let (base, style) = try Inputs.pair("tiny32", in: folder)
        // A corrupted tensor in the style is found by its checksum while streaming, after the writer has started.
        let corrupted = folder.file("corrupted.h5").path
        try FileManager.default.copyItem(atPath: style, toPath: corrupted)
        let info = try CheckpointReader.open(corrupted).tensorInfo(network: "G_ema", name: "synthesis.b32.conv1.weight")
        let data = try Data(contentsOf: URL(fileURLWithPath: corrupted))
        let original = try CheckpointReader.open(corrupted).readTensor(network: "G_ema", name: info.name).data.bytes
        let offset = try #require(data.range(of: original)).lowerBound
        var damaged = data
        damaged[offset] ^= 0xff
        try damaged.write(to: URL(fileURLWithPath: corrupted))
        let before = folder.contents
        #expect { try Inputs.swap(base, corrupted, at: 8, output: folder.file("out.h5").path) } throws: { error in
            "\(error)".contains("sha256 mismatch")
        }
        #expect(folder.contents == before)
    }
}
