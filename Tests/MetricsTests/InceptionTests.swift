import Checkpoint
import Networks
import Engine
import Foundation
@testable import Interop
@testable import Metrics
import Testing
import TestSupport

/// toonkit's FID Inception against pytorch-fid 0.3.0's InceptionV3 (FID variant, PyTorch CPU) with the
/// same formula weights, on formula images (fixtures/inception/make_reference.py).
///
/// Acceptance: max |toonkit − torch| ≤ 1e-4 · max |torch| over each case's features. Measured:
/// about 1e-6 (float32 rounding, and the batch norm folded into the convolutions here).
@Suite(.serialized) struct InceptionTests {
    static let tolerance = 1e-4

    /// (case, image indices, size, resize): the cases of make_reference.py.
    static let cases: [(String, [Int], Int, Bool)] = [("small", [0, 1], 107, false), ("up299", [2], 64, true), ("down299", [3], 320, true)]

    @Test func formulaImagesMatchTheScript() throws {
        let reference = try MetricsFixtures.arrays("reference_features.npz")
        for (key, indices, size, _) in Self.cases {
            let expected = try reference["\(key)_checksums"]!.integers()
            let actual = indices.flatMap { MetricsFixtures.checksums(MetricsFixtures.image(index: $0, size: size)) }
            #expect(actual == expected, "\(key): the Swift formula images differ from the script's")
        }
    }

    @Test(arguments: cases)
    func featuresMatchPytorchFid(key: String, indices: [Int], size: Int, resize: Bool) throws {
        let reference = try MetricsFixtures.arrays("reference_features.npz")
        let expected = try reference["\(key)_features"]!.floats()
        let batch = try MetricsFixtures.batch(indices: indices, size: size)
        // The default (relaxed) rounding FID uses, and standard for comparison; they round differently, so the relaxed
        // kernels did run.
        #expect(MetricsFixtures.formulaNetwork.rounding == InceptionNetwork.defaultRounding)
        var byRounding: [[Float]] = []
        for network in [MetricsFixtures.formulaNetwork, MetricsFixtures.standardRoundingNetwork] {
            let started = Date()
            let features = resize ? try network.features(of: batch)
                                  : try network.features(unitRange: batch.unitRangeTensor(), resizeInput: false)
            #expect(features.shape == [indices.count, InceptionArchitecture.featureDimension])
            let error = maxDifferences(features.scalars, expected)
            print("Inception parity \(key) (\(indices.count) × \(size)², resize \(resize), \(network.rounding) rounding): max abs "
                  + "\(String(format: "%.3e", error.absolute)), relative to max |feature| \(String(format: "%.3e", error.relative)), "
                  + "\(String(format: "%.2f", Date().timeIntervalSince(started))) s")
            #expect(error.relative <= Self.tolerance, "\(network.rounding) rounding")
            byRounding.append(features.scalars)
        }
        #expect(byRounding[0] != byRounding[1], "relaxed and standard rounding gave the same bits")
    }

    /// A branch_pool layer pools its output instead of its input: the same function up to rounding, and refused for a
    /// layer that is not 1×1.
    @Test func branchPoolAfterItsConvolutionIsTheSameFunction() throws {
        let network = MetricsFixtures.formulaNetwork
        let pool = PoolOptions(kernel: 3, stride: 1, padding: 1, countIncludePad: false)
        let x = try Tensor(shape: [2, 768, 9, 11], values: (0..<(2 * 768 * 99)).map { Float(($0 * 37) % 101) / 50 - 1 })
        let after = try network.layer("Mixed_6b.branch_pool", x, averagePooledFirst: pool).scalars
        let before = try network.layer("Mixed_6b.branch_pool", Tensor.avgPool2d(x, pool)).scalars
        let largest = before.map(abs).max() ?? 0
        #expect(largest > 0)
        #expect(zip(after, before).map { abs($0 - $1) }.max()! <= 1e-5 * largest)
        #expect(throws: MetricsError.self) { try network.layer("Mixed_6b.branch7x7_2", try Tensor.zeros([1, 128, 9, 9]), averagePooledFirst: pool) }
    }

    /// The forward pass visits each of the 94 layers exactly once (the layer list, which the weight
    /// checks and the formula use, and the block code agree).
    @Test func everyLayerRunsExactlyOnce() throws {
        let network = MetricsFixtures.formulaNetwork
        var visited: [String] = []
        var x = try Tensor.zeros([1, 3, InceptionArchitecture.minimumInputSize, InceptionArchitecture.minimumInputSize])
        for block in InceptionBlock.all {
            x = try block.forward(x) { name, input, pool in
                visited.append(name)
                return try network.layer(name, input, averagePooledFirst: pool)
            }
        }
        #expect(x.shape == [1, InceptionArchitecture.featureDimension, 1, 1])
        #expect(visited.sorted() == InceptionArchitecture.convs.map(\.name).sorted())
        #expect(InceptionArchitecture.convs.count == 94)
    }

    /// The real file's layout (torch.save of the full state dict: fc, num_batches_tracked and all) in the
    /// legacy and the zip serialisation, as `make_reference.py --write-pth` writes them. About 95 MB each,
    /// so not in the repository: taken from fixtures/inception where the script was run there, else
    /// written now into a temporary folder by the script (~10 s) when python3 has torch, torchvision and
    /// pytorch-fid; nil (test skipped) otherwise.
    static let formulaFiles: [URL]? = {
        let names = ["formula.pth", "formula-zip.pth"]
        func present(_ urls: [URL]) -> Bool { urls.allSatisfy { FileManager.default.fileExists(atPath: $0.path) } }
        let inFixtures = names.map { MetricsFixtures.directory.appendingPathComponent($0) }
        if present(inFixtures) { return inFixtures }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("toonkit-inception-pth-\(UUID().uuidString)")
        let script = MetricsFixtures.directory.appendingPathComponent("make_reference.py")
        guard (try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)) != nil,
              let result = try? TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, "--out", folder.path, "--write-pth"]),
              result.status == 0 else { return nil }
        let written = names.map { folder.appendingPathComponent($0) }
        return present(written) ? written : nil
    }()

    @Test(.enabled(if: formulaFiles != nil,
                   "needs fixtures/inception/formula*.pth, or python3 with torch, torchvision and pytorch-fid to write them with make_reference.py --write-pth"))
    func importsTheRealFileLayout() throws {
        let files = try #require(Self.formulaFiles)
        defer {
            // Written for this run only: ~190 MB not worth keeping in the temporary folder.
            if files[0].deletingLastPathComponent().path != MetricsFixtures.directory.path {
                try? FileManager.default.removeItem(at: files[0].deletingLastPathComponent())
            }
        }
        let formula = InceptionWeights.formula()
        for url in files {
            let loaded = try InceptionWeights.load(from: url)
            for (name, _) in InceptionWeights.expectedTensors {
                #expect(try mismatch(loaded.values(name), formula.values(name)) == nil, "\(url.lastPathComponent): \(name) differs from the formula")
            }
            #expect(!loaded.isStandard)
            #expect(loaded.comparabilityWarning?.contains("not the standard") == true)
            let network = try InceptionNetwork(weights: loaded)
            let batch = try MetricsFixtures.batch(indices: [0], size: 75)
            let input = try batch.unitRangeTensor()
            let viaFile = try network.features(unitRange: input, resizeInput: false)
            #expect(mismatch(viaFile.scalars, try MetricsFixtures.formulaNetwork.features(unitRange: input, resizeInput: false).scalars) == nil)
        }
    }

    @Test func missingWeightsFileSaysWhichFileAndWhere() throws {
        let error = try #require(throws: MetricsError.self) { try InceptionWeights.load(from: URL(fileURLWithPath: "/nonexistent/inception.pth")) }
        #expect(error.description.contains("does not exist"))
        #expect(error.description.contains(InceptionWeights.standardFileName))
        #expect(error.description.contains(InceptionWeights.standardURL))
    }

    @Test func wrongFilesSayWhatIsWrong() throws {
        let folder = try TemporaryDirectory()
        let garbage = folder.file("garbage.pth")
        try Data("not a torch file".utf8).write(to: garbage)
        let unreadable = try #require(throws: MetricsError.self) { try InceptionWeights.load(from: garbage) }
        #expect(unreadable.description.contains("not a readable torch.save state dict"))
        #expect(unreadable.description.contains(InceptionWeights.standardURL))

        // A state dict with one tensor of the wrong shape and everything else missing.
        let wrongShape = folder.file("wrong.pth")
        let tensor = try TensorData(float32: [Float](repeating: 0, count: 32 * 3 * 5 * 5), shape: [32, 3, 5, 5])
        try TorchSaveWriter.write(.orderedDict([("Conv2d_1a_3x3.conv.weight", .tensor(tensor))]), to: wrongShape)
        let shapes = try #require(throws: MetricsError.self) { try InceptionWeights.load(from: wrongShape) }
        #expect(shapes.description.contains("tensor Conv2d_1a_3x3.conv.weight has shape [32, 3, 5, 5], expected [32, 3, 3, 3]"))
        #expect(shapes.description.contains("missing tensor Conv2d_1a_3x3.bn.weight"))
        #expect(shapes.description.contains(InceptionWeights.standardFileName))

        // torchvision's ImageNet weights have the same conv names but a 1000-class head.
        let torchvision = folder.file("torchvision.pth")
        let classifier = try TensorData(float32: [Float](repeating: 0, count: 1000 * 2048), shape: [1000, 2048])
        try TorchSaveWriter.write(.orderedDict([("fc.weight", .tensor(classifier))]), to: torchvision)
        let imagenet = try #require(throws: MetricsError.self) { try InceptionWeights.load(from: torchvision) }
        #expect(imagenet.description.contains("torchvision's ImageNet Inception-v3"))
    }

    @Test func formulaWeightsAreFlaggedAsNotComparable() throws {
        let weights = InceptionWeights.formula()
        #expect(!weights.isStandard)
        #expect(weights.comparabilityWarning?.contains("NOT comparable with published FIDs") == true)
        #expect(MetricsFixtures.formulaNetwork.comparabilityWarning != nil)
        #expect(weights.identity == "formula-weights-v\(FormulaWeights.version)")
    }

    @Test func rejectsInputsTooSmallForTheNetwork() throws {
        let tiny = try Tensor.zeros([1, 3, 74, 74])
        #expect(throws: MetricsError.self) { try MetricsFixtures.formulaNetwork.features(unitRange: tiny, resizeInput: false) }
    }
}
