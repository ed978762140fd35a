import Foundation
import Imaging

public enum SyntheticKind: String, CaseIterable, Codable, Sendable {
    /// Softly lit portraits: skin-toned ovals with eyes, brows, nose, mouth and hair on a gradient
    /// background, varied in pose, proportions, colour and expression (a stand-in for FFHQ).
    case faces
    /// The same people in flat colours with thick dark outlines (a stand-in for the Cartoon Set).
    case cartoons
}

/// The embedded procedural data sets: image `i` is drawn from a hash of (seed, i) alone, so the set
/// needs no files, any image can be drawn at any time, and the face and the cartoon with the same
/// seed and index show the same person in the same pose.
public struct SyntheticDataset: ImageDataset, Sendable {
    public let kind: SyntheticKind
    public let count: Int
    public let resolution: Int
    public let seed: UInt32
    public let channels = 3
    public let labelDimension = 0

    public init(kind: SyntheticKind, count: Int, resolution: Int, seed: UInt32 = 0) throws {
        guard count >= 1 else { throw TrainingError("a synthetic set needs at least one image, got \(count)") }
        try DatasetConversion.checkResolution(resolution, what: "the resolution \(resolution)")
        self.kind = kind
        self.count = count
        self.resolution = resolution
        self.seed = seed
    }

    public var source: String { "synthetic \(kind.rawValue) (seed \(seed), \(count) images at \(resolution)×\(resolution))" }

    /// Image `index` as an 8-bit RGB picture (HWC), drawn directly.
    func render(at index: Int) throws -> Image8 {
        guard (0..<count).contains(index) else { throw TrainingError("\(source): no image \(index)") }
        return FacePainter.render(FaceParameters(seed: seed, index: index), size: resolution, cartoon: kind == .cartoons)
    }

    public func image(at index: Int) throws -> [UInt8] { try render(at: index).planar(channels: 3) }

    public func label(at index: Int) throws -> [Float] {
        guard (0..<count).contains(index) else { throw TrainingError("\(source): no image \(index)") }
        return []
    }

    /// Writes the set in the training-set zip format (as `toonkit dataset` does), unlabelled.
    public func write(to url: URL, progress: (Int, Int) -> Void = { _, _ in }) throws -> DatasetSummary {
        let started = Date()
        try DatasetArchiveWriter.write(to: url, count: count, labels: nil, progress: { progress($0, count) }) { try render(at: $0) }
        return DatasetSummary(output: url.path, images: count, resolution: resolution, channels: 3, labelled: false, labelDimension: 0,
                              skippedNonImages: [:], skippedUnsupportedImages: [:], imagesWithoutLabel: 0,
                              seconds: Date().timeIntervalSince(started))
    }
}
