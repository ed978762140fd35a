import Checkpoint
import Networks
import Foundation
import Surgery
import TestSupport
import Testing

/// Where every tensor of a swap comes from, what is dropped, and what is recorded.
@Suite(.enabled(if: Fixtures.available, Fixtures.missing))
struct SwapTests {
    let folder: TemporaryDirectory
    let base: String
    let style: String

    init() throws {
        folder = try TemporaryDirectory()
        (base, style) = try Inputs.pair("tiny32", in: folder)
    }

    /// Expected source of each generator tensor for a swap at 8 (non-inverted): style for parameters of b16 and b32.
    func fromStyle(_ name: String, invert: Bool) -> Bool {
        guard name.hasPrefix("synthesis.b"), !name.hasSuffix("noise_const"), !name.hasSuffix("resample_filter") else { return false }
        let above = name.hasPrefix("synthesis.b16.") || name.hasPrefix("synthesis.b32.")
        return invert ? !above : above
    }

    @Test(arguments: [false, true])
    func everyTensorComesFromTheRightInput(invert: Bool) throws {
        let output = folder.file("swap.h5").path
        _ = try Inputs.swap(base, style, at: 8, output: output, invert: invert)
        let (a, b, out) = (try CheckpointReader.open(base), try CheckpointReader.open(style), try CheckpointReader.open(output))
        #expect(out.networkNames == ["G", "G_ema"])
        for network in ["G", "G_ema"] {
            let baseDigests = try Inputs.digests(a, network), styleDigests = try Inputs.digests(b, network)
            #expect(try out.tensorNames(network: network) == a.tensorNames(network: network))
            var fromStyleCount = 0
            for (name, digest) in try Inputs.digests(out, network) {
                let expected = fromStyle(name, invert: invert) ? styleDigests[name] : baseDigests[name]
                #expect(digest == expected, "\(network)/\(name)")
                if fromStyle(name, invert: invert) { fromStyleCount += 1 }
            }
            // The style really differs where it is used, so a swap that copied the base everywhere would fail.
            #expect(baseDigests["synthesis.b16.conv0.weight"] != styleDigests["synthesis.b16.conv0.weight"])
            #expect(fromStyleCount > 20)
        }
        #expect(!out.hasTrainingState)
        #expect(out.extraNames.isEmpty)
    }

    @Test func swapAtTheOutputResolutionCopiesTheBase() throws {
        let output = folder.file("full.h5").path
        _ = try Inputs.swap(base, style, at: 32, output: output)
        let (a, out) = (try CheckpointReader.open(base), try CheckpointReader.open(output))
        for network in ["G", "G_ema"] { #expect(try Inputs.digests(out, network) == Inputs.digests(a, network)) }
    }

    @Test func discriminatorIsDroppedOrTheStyles() throws {
        let dropped = folder.file("dropped.h5").path, kept = folder.file("kept.h5").path
        _ = try Inputs.swap(base, style, at: 8, output: dropped)
        _ = try Inputs.swap(base, style, at: 8, output: kept, keepD: true)
        #expect(try !CheckpointReader.open(dropped).networkNames.contains("D"))
        let keptReader = try CheckpointReader.open(kept)
        #expect(keptReader.networkNames.contains("D"))
        #expect(try Inputs.digests(keptReader, "D") == Inputs.digests(CheckpointReader.open(style), "D"))
    }

    @Test func provenanceCarriesTheBaseLogAndRecordsTheSwap() throws {
        let output = folder.file("swap.h5").path
        _ = try Inputs.swap(base, style, at: 16, output: output)
        let baseLog = try CheckpointReader.open(base).provenance
        let log = try CheckpointReader.open(output).provenance
        #expect(log.count == baseLog.count + 1)
        #expect(Array(log.dropLast()) == baseLog)
        let record = try #require(log.last)
        #expect(record.operation == "swap")
        #expect(record.inputs == [ProvenanceInput(path: base, sha256: try Checksum.sha256Hex(ofFileAt: base)),
                                  ProvenanceInput(path: style, sha256: try Checksum.sha256Hex(ofFileAt: style))])
        #expect(record.parameters["at"] == .number(16))
        #expect(record.parameters["style_weights"] == ["4": 0, "8": 0, "16": 0, "32": 1])
        guard case .string(let text)? = record.parameters["recipe"] else { Issue.record("no recipe text"); return }
        let recipe = try Recipe.parse(text)
        #expect(recipe.action == .blend(BlendRecipe(base: base, style: style, schedule: .swap(at: 16))))
    }

    @Test func dryRunPrintsThePlanAndWritesNothing() throws {
        let before = folder.contents
        let output = folder.file("never.h5").path
        let recipe = Recipe(action: .blend(BlendRecipe(base: base, style: style, schedule: .logistic(at: 8, width: 1))), output: output)
        guard case .planned(let text) = try RecipeRunner.run(recipe, dryRun: true) else { Issue.record("not a plan"); return }
        #expect(folder.contents == before)
        #expect(text.contains("synthesis.b16.conv0.weight"))
        #expect(text.contains("mapping.w_avg") && text.contains("w_avg: from the base"))
        // m(b16) = logistic((2 - 1 - 0.5) / 1) = 0.6225 and the tensor's source shows both weights.
        #expect(text.contains("0.6225"))
        #expect(text.contains("0.3775·base + 0.6225·style"))
    }

    @Test func blendWritesTheInterpolationInTheBaseDtype() throws {
        let output = folder.file("blend.h5").path
        let recipe = Recipe(action: .blend(BlendRecipe(base: base, style: style, schedule: .weights([16: 0.25]))), output: output)
        _ = try SurgeryJob(recipe).run(durable: false)
        let name = "synthesis.b16.conv1.weight"
        let a = try CheckpointReader.open(base).readTensor(network: "G_ema", name: name).data.floats()
        let b = try CheckpointReader.open(style).readTensor(network: "G_ema", name: name).data.floats()
        let blended = try CheckpointReader.open(output).readTensor(network: "G_ema", name: name).data
        #expect(blended.dtype == .float32)
        let expected = zip(a, b).map { Float(Double($0) * 0.75 + Double($1) * 0.25) }
        #expect(maxDifferences(try blended.floats(), expected).relative < 1e-6)
    }
}
