import Checkpoint
import Networks
import Foundation
import Surgery
import TestSupport
import Testing

struct SlerpCoefficientTests {
    @Test func orthogonalTensorsFollowTheArc() {
        let (s0, s1) = TensorMath.slerpCoefficients(dot: 0, normA: 1, normB: 1, t: 0.5)
        #expect(abs(s0 - 0.5.squareRoot()) < 1e-12 && abs(s1 - 0.5.squareRoot()) < 1e-12)
        let (e0, e1) = TensorMath.slerpCoefficients(dot: 0, normA: 2, normB: 3, t: 0)
        #expect(e0 == 1 && e1 == 0)
    }

    @Test func nearlyParallelOrZeroTensorsFallBackToLinear() {
        #expect(TensorMath.slerpCoefficients(dot: 0.9996, normA: 1, normB: 1, t: 0.3) == (0.7, 0.3))
        #expect(TensorMath.slerpCoefficients(dot: -0.9996, normA: 1, normB: 1, t: 0.3) == (0.7, 0.3))
        #expect(TensorMath.slerpCoefficients(dot: 0, normA: 0, normB: 1, t: 0.3) == (0.7, 0.3))
        let (s0, _) = TensorMath.slerpCoefficients(dot: 0.9994, normA: 1, normB: 1, t: 0.3)
        #expect(s0 != 0.7)
    }
}

struct TensorMathTests {
    func tensor(_ values: [Float], _ dtype: DType) throws -> TensorData {
        let float32 = try TensorData(float32: values, shape: [values.count])
        switch dtype {
        case .float16: return try TensorData(dtype: .float16, shape: [values.count], bytes: values.map(\.float16Bits).withUnsafeBufferPointer { Data(buffer: $0) })
        case .bfloat16:
            let bits = values.map { UInt16($0.bitPattern >> 16) }  // exact for these values
            return try TensorData(dtype: .bfloat16, shape: [values.count], bytes: bits.withUnsafeBufferPointer { Data(buffer: $0) })
        default: return float32
        }
    }

    /// Half-precision inputs are computed in float32 and stored back in the first input's dtype.
    @Test(arguments: [DType.float32, .float16, .bfloat16])
    func linearKeepsTheFirstInputsDtype(dtype: DType) throws {
        let a = try tensor([1, -2, 0.5, 1024], dtype), b = try tensor([3, 2, 0.25, 2048], dtype)
        let inputs = [a, b]
        var returned = 0
        let result = try TensorMath.linear(weights: [0.25, 0.75], shape: [4], dtype: dtype, input: { inputs[$0] }, finished: { _ in returned += 1 })
        #expect(result.dtype == dtype && result.shape == [4] && returned == 2)
        #expect(try result.floats() == [2.5, 1, 0.3125, 1792])
    }

    @Test func integerTensorsAreRefused() throws {
        let integers = try TensorData(dtype: .int32, shape: [1], bytes: Data(count: 4))
        #expect(throws: SurgeryError.self) {
            try TensorMath.linear(weights: [1], shape: [1], dtype: .float32, input: { _ in integers })
        }
    }
}

/// merge: which tensors are combined how, checked against independent double-precision arithmetic.
@Suite(.enabled(if: Fixtures.available, Fixtures.missing))
struct MergeTests {
    let folder: TemporaryDirectory
    let a: String
    let b: String

    init() throws {
        folder = try TemporaryDirectory()
        (a, b) = try Inputs.pair("tiny32", in: folder)
    }

    func merge(_ recipe: MergeRecipe, _ name: String) throws -> CheckpointReader {
        let output = folder.file(name).path
        _ = try SurgeryJob(Recipe(action: .merge(recipe), output: output)).run(durable: false)
        return try CheckpointReader.open(output)
    }

    func values(_ path: String, _ network: String, _ name: String) throws -> [Double] {
        try CheckpointReader.open(path).readTensor(network: network, name: name).data.floats().map(Double.init)
    }

    @Test func linearUsesTheWeightsAsGivenOrNormalised() throws {
        let given = try merge(MergeRecipe(inputs: [a, b], weights: [0.25, 0.75]), "given.h5")
        let normalised = try merge(MergeRecipe(inputs: [a, b], weights: [1, 3], normalize: true), "normalised.h5")
        let unnormalised = try merge(MergeRecipe(inputs: [a, b], weights: [1, 3]), "sum4.h5")
        #expect(given.networkNames == ["G", "D", "G_ema"])
        for name in ["synthesis.b16.conv0.weight", "mapping.fc1.weight", "mapping.w_avg", "synthesis.b8.conv1.noise_strength"] {
            let x = try values(a, "G_ema", name), y = try values(b, "G_ema", name)
            let expected = zip(x, y).map { Float($0 * 0.25 + $1 * 0.75) }
            #expect(maxDifferences(try given.readTensor(network: "G_ema", name: name).data.floats(), expected).relative < 1e-6, "\(name)")
            #expect(try normalised.readTensor(network: "G_ema", name: name).data.bytes == given.readTensor(network: "G_ema", name: name).data.bytes)
            let doubled = zip(x, y).map { Float($0 + $1 * 3) }
            #expect(maxDifferences(try unnormalised.readTensor(network: "G_ema", name: name).data.floats(), doubled).relative < 1e-6)
        }
        let noise = "synthesis.b16.conv0.noise_const"
        #expect(try given.tensorInfo(network: "G_ema", name: noise).sha256 == CheckpointReader.open(a).tensorInfo(network: "G_ema", name: noise).sha256)
        #expect(!given.hasTrainingState)
        #expect(given.provenance.last?.operation == "merge")
        #expect(given.provenance.last?.inputs.map(\.path) == [a, b])
    }

    /// One input at weight 1 ships a checkpoint's networks unchanged, bit for bit.
    @Test func oneInputAtWeightOneIsABitExactCopy() throws {
        let copy = try merge(MergeRecipe(inputs: [a], weights: [1]), "copy.h5")
        let original = try CheckpointReader.open(a)
        #expect(copy.networkNames == original.networkNames)
        for network in original.networkNames {
            for info in try original.tensorInfos(network: network) {
                #expect(try copy.tensorInfo(network: network, name: info.name).sha256 == info.sha256, "\(network)/\(info.name)")
            }
        }
        #expect(!copy.hasTrainingState && copy.provenance.last?.operation == "merge")
    }

    @Test func slerpFollowsTheArcPerTensorAndAveragesWAvgLinearly() throws {
        let merged = try merge(MergeRecipe(inputs: [a, b], weights: [0.7, 0.3], method: .slerp, networks: ["G_ema"]), "slerp.h5")
        #expect(merged.networkNames == ["G_ema"])
        let t = 0.3
        let name = "synthesis.b32.conv1.weight"
        let x = try values(a, "G_ema", name), y = try values(b, "G_ema", name)
        let dot = zip(x, y).map(*).reduce(0, +), normX = x.map { $0 * $0 }.reduce(0, +).squareRoot(), normY = y.map { $0 * $0 }.reduce(0, +).squareRoot()
        let theta = acos(dot / (normX * normY))
        #expect(theta > 0.05, "the fixture's tensors must not be parallel for this test to mean anything")
        let expected = zip(x, y).map { Float(sin((1 - t) * theta) / sin(theta) * $0 + sin(t * theta) / sin(theta) * $1) }
        let linear = zip(x, y).map { Float((1 - t) * $0 + t * $1) }
        let result = try merged.readTensor(network: "G_ema", name: name).data.floats()
        #expect(maxDifferences(result, expected).relative < 1e-5)
        #expect(maxDifferences(result, linear).relative > 1e-3)
        for scalarOrAverage in ["synthesis.b8.conv1.noise_strength", "mapping.w_avg"] {
            let p = try values(a, "G_ema", scalarOrAverage), q = try values(b, "G_ema", scalarOrAverage)
            let lerp = zip(p, q).map { Float((1 - t) * $0 + t * $1) }
            #expect(maxDifferences(try merged.readTensor(network: "G_ema", name: scalarOrAverage).data.floats(), lerp).relative < 1e-6)
        }
    }

    @Test func dryRunListsEveryTensorsRule() throws {
        let recipe = Recipe(action: .merge(MergeRecipe(inputs: [a, b], weights: [0.5, 0.5], method: .slerp)), output: folder.file("m.h5").path)
        guard case .planned(let text) = try RecipeRunner.run(recipe, dryRun: true) else { Issue.record("not a plan"); return }
        #expect(text.contains("slerp(input1 → input2, t=0.5)"))
        #expect(text.contains("0.5·input1 + 0.5·input2") && text.contains("w_avg: always linear"))
        #expect(text.contains("buffer: from the first input"))
    }
}
