import Checkpoint
import Networks
import Foundation
import UntrustedInput
import Interop

/// The parameters of the FID Inception network by state-dict name (conv weights and batch-norm
/// tensors of the 94 layers), from the standard pytorch-fid file or from `FormulaWeights`.
public struct InceptionWeights: Sendable {
    public enum Origin: Equatable, Sendable {
        /// A weights file, with the SHA-256 of its bytes.
        case file(path: String, sha256: String)
        /// `FormulaWeights` (tests, CI, and runs without a weights file).
        case formula
    }

    public static let standardFileName = "pt_inception-2015-12-05-6726825d.pth"
    public static let standardURL = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth"
    /// torch.hub names files `<name>-<first 8 hex digits of the SHA-256>.<ext>`.
    public static let standardSHA256Prefix = "6726825d"

    public let origin: Origin
    let tensors: [String: [Float]]

    init(origin: Origin, tensors: [String: [Float]]) {
        self.origin = origin
        self.tensors = tensors
    }

    /// Reads and checks the weights file (torch.save of the state dict, either serialisation).
    /// Throws `MetricsError` naming the expected file, where it comes from, and what is wrong.
    public static func load(from url: URL) throws -> InceptionWeights {
        let stored = try WeightsFile.entries(url) { MetricsError.weights(url.path, problem: $0) }
        let tensors = try checkedTensors(stored, path: url.path)
        return InceptionWeights(origin: .file(path: url.path, sha256: try Checksum.sha256Hex(ofFileAt: url.path)), tensors: tensors)
    }

    /// Every tensor from `FormulaWeights` (no file needed).
    public static func formula() -> InceptionWeights {
        var tensors: [String: [Float]] = [:]
        for (name, shape) in expectedTensors {
            tensors[name] = FormulaWeights.tensor(name: name, shape: shape)
        }
        return InceptionWeights(origin: .formula, tensors: tensors)
    }

    /// Whether FIDs with these weights can be compared with published pytorch-fid / TF FIDs: only
    /// for the standard file, recognised by its SHA-256 prefix.
    public var isStandard: Bool {
        if case .file(_, let sha256) = origin { return sha256.hasPrefix(Self.standardSHA256Prefix) }
        return false
    }

    /// Identifies the feature extractor in cache keys and results.
    public var identity: String {
        switch origin {
        case .file(_, let sha256): return "pytorch-fid-inception-v3 sha256:\(sha256)"
        case .formula: return "formula-weights-v\(FormulaWeights.version)"
        }
    }

    /// In words, why FIDs from these weights are not comparable with published ones (nil when they are).
    public var comparabilityWarning: String? {
        switch origin {
        case .formula:
            return "the Inception network uses formula weights (no --inception file was given), so these FIDs are NOT comparable with published FIDs; they only compare runs measured the same way"
        case .file(let path, let sha256) where !sha256.hasPrefix(Self.standardSHA256Prefix):
            return "\(path) is not the standard \(Self.standardFileName) (its SHA-256 starts with \(sha256.prefix(8)), not \(Self.standardSHA256Prefix)), so these FIDs are NOT comparable with published FIDs"
        case .file:
            return nil
        }
    }

    /// (name, shape) of every float tensor the feature network reads.
    static var expectedTensors: [(String, [Int])] {
        InceptionArchitecture.convs.flatMap { conv in
            [("\(conv.name).conv.weight", conv.weightShape)]
                + InceptionArchitecture.batchNormSuffixes.map { ("\(conv.name).\($0)", [conv.outChannels]) }
        }
    }

    func values(_ name: String) throws -> [Float] {
        guard let values = tensors[name] else { throw MetricsError("Inception weights: no tensor '\(name)'") }
        return values
    }

    private static func checkedTensors(_ stored: [String: TensorData], path: String) throws -> [String: [Float]] {
        if let classifier = stored["fc.weight"], classifier.shape == [1000, InceptionArchitecture.featureDimension] {
            throw MetricsError.weights(path, problem: "it holds torchvision's ImageNet Inception-v3 (a 1000-class classifier), not the FID weights (1008 classes, ported from TensorFlow)")
        }
        var (tensors, problems) = WeightsFile.floatTensors(stored, expected: expectedTensors)
        for (name, values) in tensors where name.hasSuffix("running_var") {
            if let bad = values.first(where: { !($0 >= 0) }) {
                problems.append("tensor \(name) holds a negative or NaN variance (\(bad))")
                tensors[name] = nil
            }
        }
        guard problems.isEmpty else {
            throw MetricsError.weights(path, problem: "it is not the FID Inception state dict: \(WeightsFile.summary(problems))")
        }
        return tensors
    }
}
