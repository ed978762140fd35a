import Checkpoint
import Foundation
import Interop

/// torchvision's VGG16 `features` as LPIPS reads them (docs/projection.md §LPIPS): thirteen 3×3
/// convolutions with padding 1 and ReLU, a 2×2 max pool between stages, and the last ReLU of each
/// of the five stages tapped (relu1_2 … relu5_3).
enum VGG16Architecture {
    struct Convolution {
        /// The index in torchvision's `features` Sequential, which names the tensors (`features.N.weight`).
        let index: Int
        let inChannels: Int
        let outChannels: Int
        let poolsBefore: Bool
        /// Whether LPIPS compares this convolution's ReLU output.
        let isTapped: Bool

        var weightName: String { "features.\(index).weight" }
        var biasName: String { "features.\(index).bias" }
        var weightShape: [Int] { [outChannels, inChannels, 3, 3] }
    }

    /// Output channels of each stage's convolutions (configuration "D" of the VGG paper); torchvision's
    /// final pool is not part of LPIPS's slices.
    static let stages = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]]

    static let convolutions: [Convolution] = {
        var result: [Convolution] = []
        var index = 0, channels = 3
        for (stage, widths) in stages.enumerated() {
            if stage > 0 { index += 1 }  // the max pool's slot in the Sequential
            for (position, width) in widths.enumerated() {
                result.append(Convolution(index: index, inChannels: channels, outChannels: width,
                                          poolsBefore: stage > 0 && position == 0, isTapped: position == widths.count - 1))
                index += 2  // the convolution and its ReLU
                channels = width
            }
        }
        return result
    }()

    static var tappedChannels: [Int] { stages.map { $0.last! } }

    static var expectedTensors: [(String, [Int])] {
        convolutions.flatMap { [($0.weightName, $0.weightShape), ($0.biasName, [$0.outChannels])] }
    }
}

/// The tensors LPIPS-VGG16 needs: the backbone (torchvision's ImageNet VGG16 state dict, or
/// `FormulaWeights` for tests) and lpips v0.1's five linear heads (`lin{k}.model.1.weight`, [1, C, 1, 1]).
public struct LPIPSWeights: Sendable {
    public static let backboneFileName = "vgg16-397923af.pth"
    public static let backboneURL = "https://download.pytorch.org/models/vgg16-397923af.pth"
    public static let headsFileName = "vgg.pth"
    public static let headsSource = "inside the lpips pip package at lpips/weights/v0.1/vgg.pth, or from https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1/vgg.pth"

    /// "file <path>" or "formula": what the backbone is, for reports.
    public let backboneOrigin: String
    let backbone: [String: [Float]]
    let heads: [[Float]]

    static func headName(_ index: Int) -> String { "lin\(index).model.1.weight" }

    /// Reads and checks both files; errors name the expected file, where users get it, and what is wrong.
    public static func load(backbone backboneURL: URL, heads headsURL: URL) throws -> LPIPSWeights {
        let stored = try WeightsFile.entries(backboneURL) { MetricsError.backboneWeights(backboneURL.path, problem: $0) }
        let (backbone, problems) = WeightsFile.floatTensors(stored, expected: VGG16Architecture.expectedTensors)
        guard problems.isEmpty else {
            throw MetricsError.backboneWeights(backboneURL.path, problem: "it is not torchvision's VGG16 state dict: \(WeightsFile.summary(problems))")
        }
        return LPIPSWeights(backboneOrigin: "file \(backboneURL.path)", backbone: backbone, heads: try loadHeads(headsURL))
    }

    /// The formula backbone with the heads from a file: what the parity tests use, since lpips ships
    /// its heads but the ImageNet VGG16 cannot be fetched in CI. Distances mean nothing perceptually.
    public static func formulaBackbone(heads headsURL: URL) throws -> LPIPSWeights {
        LPIPSWeights(backboneOrigin: "formula", backbone: formula().backbone, heads: try loadHeads(headsURL))
    }

    /// Formula backbone and formula heads: for benchmarks, whose timings do not depend on the values.
    public static func formula() -> LPIPSWeights {
        var backbone: [String: [Float]] = [:]
        for (name, shape) in VGG16Architecture.expectedTensors {
            backbone[name] = FormulaWeights.tensor(name: name, shape: shape)
        }
        let heads = headShapes.map { FormulaWeights.tensor(name: $0.0, shape: $0.1)! }
        return LPIPSWeights(backboneOrigin: "formula", backbone: backbone, heads: heads)
    }

    static var headShapes: [(String, [Int])] {
        VGG16Architecture.tappedChannels.enumerated().map { (headName($0.offset), [1, $0.element, 1, 1]) }
    }

    private static func loadHeads(_ url: URL) throws -> [[Float]] {
        let stored = try WeightsFile.entries(url) { MetricsError.headWeights(url.path, problem: $0) }
        let (tensors, problems) = WeightsFile.floatTensors(stored, expected: headShapes)
        guard problems.isEmpty else {
            throw MetricsError.headWeights(url.path, problem: "it is not lpips v0.1's VGG heads: \(WeightsFile.summary(problems))")
        }
        return headShapes.map { tensors[$0.0]! }
    }

    func backboneValues(_ name: String) throws -> [Float] {
        guard let values = backbone[name] else { throw MetricsError("LPIPS weights: no tensor '\(name)'") }
        return values
    }
}

extension MetricsError {
    static func backboneWeights(_ path: String, problem: String) -> MetricsError {
        weightsFile(path, usedAs: "the LPIPS VGG16 backbone", problem: problem, expected: """
            torchvision's ImageNet VGG16 state dict \(LPIPSWeights.backboneFileName), from \(LPIPSWeights.backboneURL) \
            (torchvision.models.vgg16(weights="IMAGENET1K_V1") also saves it under ~/.cache/torch/hub/checkpoints)
            """)
    }

    static func headWeights(_ path: String, problem: String) -> MetricsError {
        weightsFile(path, usedAs: "the LPIPS linear heads", problem: problem,
                    expected: "lpips v0.1's \(LPIPSWeights.headsFileName), \(LPIPSWeights.headsSource)")
    }
}
