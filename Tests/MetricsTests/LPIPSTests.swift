import Checkpoint
import Engine
import Foundation
@testable import Interop
@testable import Metrics
import Testing
import TestSupport

/// LPIPS-VGG16 against the `lpips` package: fixtures/lpips holds the package's real v0.1 heads and the
/// distances and image gradients scripts/make_lpips_reference.py computed with the formula backbone.
@Suite struct LPIPSTests {
    static let directory = Fixtures.repository.appendingPathComponent("fixtures/lpips")
    static let heads = directory.appendingPathComponent("vgg.pth")
    static let pairSizes = [(32, 32), (32, 32), (24, 40)]
    static let network: LPIPS = try! LPIPS(weights: .formulaBackbone(heads: heads))

    /// make_lpips_reference.py's pair_images: hash noise a, and b = a/2 + other noise/2.
    static func pair(_ index: Int, height: Int, width: Int) throws -> (Tensor, Tensor) {
        let count = 3 * height * width
        let a = FormulaWeights.uniform(seed: FormulaWeights.nameSeed("lpips.pair\(index).a"), count: count)
        let noise = FormulaWeights.uniform(seed: FormulaWeights.nameSeed("lpips.pair\(index).b"), count: count)
        let b = zip(a, noise).map { 0.5 * $0 + 0.5 * $1 }
        return (try Tensor(shape: [1, 3, height, width], values: a), try Tensor(shape: [1, 3, height, width], values: b))
    }

    @Test(arguments: 0..<3) func matchesTheLpipsPackage(pair index: Int) throws {
        let reference = try NumpyArchive.read(Self.directory.appendingPathComponent("reference.npz"))
        let (height, width) = Self.pairSizes[index]
        let (a, b) = try Self.pair(index, height: height, width: width)
        let image = a.requiringGrad()
        let distance = try Self.network.distance(image, b)
        let value = try distance.item()
        let expected = try #require(reference["distance\(index)"]).floats()[0]
        let distanceError = abs(Double(value) - Double(expected)) / Double(expected)
        #expect(distanceError < 1e-5, "distance \(value) vs lpips \(expected): relative error \(distanceError)")

        let gradient = try gradients(of: distance, withRespectTo: [image])[0]
        let expectedGradient = try #require(reference["gradient\(index)"]).floats()
        let gradientError = GradCheck.relativeError(gradient.scalars, expectedGradient)
        #expect(gradientError < 1e-4, "gradient relative error \(gradientError) (‖Δ‖ / ‖lpips gradient‖)")
        let largest = maxDifferences(gradient.scalars, expectedGradient).relative
        #expect(largest < 1e-4, "largest gradient difference \(largest) of the largest |lpips gradient|")
    }

    /// The backbone through the file reader: a torchvision-layout state dict of the formula values (plus a
    /// classifier tensor, which torchvision's file has and LPIPS ignores) gives the formula network's distance.
    @Test func readsTheBackboneFromATorchvisionStateDict() throws {
        let folder = try TemporaryDirectory()
        let file = folder.file(LPIPSWeights.backboneFileName)
        var entries: [(String, TorchExportValue)] = try VGG16Architecture.expectedTensors.map { name, shape in
            (name, .tensor(try TensorData(float32: FormulaWeights.tensor(name: name, shape: shape)!, shape: shape)))
        }
        entries.append(("classifier.6.bias", .tensor(try TensorData(float32: [Float](repeating: 0, count: 1000), shape: [1000]))))
        try TorchSaveWriter.write(.orderedDict(entries), to: file)
        let viaFile = try LPIPS(weights: .load(backbone: file, heads: Self.heads))
        let (a, b) = try Self.pair(1, height: 16, width: 16)
        #expect(try viaFile.distance(a, b).item() == Self.network.distance(a, b).item())
        #expect(viaFile.backboneOrigin == "file \(file.path)")
    }

    @Test func identicalImagesAreAtDistanceZero() throws {
        let (a, _) = try Self.pair(0, height: 16, width: 16)
        #expect(try Self.network.distance(a, a).item() == 0)
    }

    @Test func missingWeightsSayWhichFileAndWhere() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/vgg16.pth")
        let backbone = try #require(throws: MetricsError.self) { try LPIPSWeights.load(backbone: missing, heads: Self.heads) }
        #expect(backbone.description.contains("does not exist"))
        #expect(backbone.description.contains(LPIPSWeights.backboneFileName))
        #expect(backbone.description.contains(LPIPSWeights.backboneURL))
        let heads = try #require(throws: MetricsError.self) { try LPIPSWeights.formulaBackbone(heads: missing) }
        #expect(heads.description.contains("LPIPS linear heads"))
        #expect(heads.description.contains("lpips/weights/v0.1/vgg.pth"))
    }

    @Test func swappedFilesSayWhatIsWrong() throws {
        // The heads file given as the backbone: every VGG tensor is missing.
        let swapped = try #require(throws: MetricsError.self) { try LPIPSWeights.load(backbone: Self.heads, heads: Self.heads) }
        #expect(swapped.description.contains("missing tensor features.0.weight"))
        #expect(swapped.description.contains(LPIPSWeights.backboneFileName))

        let folder = try TemporaryDirectory()
        let wrongHeads = folder.file("heads.pth")
        let head = try TensorData(float32: [Float](repeating: 0, count: 32), shape: [1, 32, 1, 1])
        try TorchSaveWriter.write(.orderedDict([("lin0.model.1.weight", .tensor(head))]), to: wrongHeads)
        let shapes = try #require(throws: MetricsError.self) { try LPIPSWeights.formulaBackbone(heads: wrongHeads) }
        #expect(shapes.description.contains("tensor lin0.model.1.weight has shape [1, 32, 1, 1], expected [1, 64, 1, 1]"))
        #expect(shapes.description.contains("missing tensor lin4.model.1.weight"))
    }

    @Test func rejectsImagesTooSmallForRelu53() throws {
        let small = try Tensor.zeros([1, 3, 15, 32])
        #expect(throws: MetricsError.self) { try Self.network.normalizedFeatures(small) }
    }
}
