import Foundation
import Imaging
import UntrustedInput

public enum CropMode: String, CaseIterable, Codable, Sendable {
    /// Cut the central square (side = the shorter edge), then resize: the reference's center-crop.
    case center
    /// Resize the whole image to a square, stretching non-square images.
    case none
}

/// Where the labels of a conversion come from.
public enum LabelSource: Equatable, Sendable {
    /// `dataset.json` in the source's root when there is one, in the reference's form
    /// `{"labels": [[relative_path, label], …]}`.
    case automatic
    /// Write `{"labels": null}` whatever the source holds.
    case ignore
    /// A labels file elsewhere, in the same form, keyed by paths relative to the source root.
    case file(URL)
}

/// What a conversion or a synthetic set wrote.
public struct DatasetSummary: Codable, Equatable, Sendable {
    public var output: String
    public var images: Int
    public var resolution: Int
    public var channels: Int
    public var labelled: Bool
    public var labelDimension: Int
    /// Source files that are not images (CSV attribute files, notes, …), by extension.
    public var skippedNonImages: [String: Int]
    /// Images in formats toonkit does not decode (JPEG and the like), by extension.
    public var skippedUnsupportedImages: [String: Int]
    /// Images without an entry in the labels file (any such image makes the output unlabelled).
    public var imagesWithoutLabel: Int
    public var seconds: Double

    public var skippedNonImageCount: Int { skippedNonImages.values.reduce(0, +) }
    public var skippedUnsupportedImageCount: Int { skippedUnsupportedImages.values.reduce(0, +) }
}

/// `toonkit dataset SRC -o DATA`: a folder or zip of PNG images (found recursively, in sorted order)
/// into the reference's training-set zip. Images become RGB, are cropped to their central square
/// (unless `crop` is `.none`) and resized to `resolution` (Lanczos-3 by default); without a
/// resolution the size is kept and must be a square power of two, the same for all images.
public struct DatasetConversion {
    public var resolution: Int?
    public var crop: CropMode = .center
    public var filter: ResizeFilter = .lanczos
    public var labels: LabelSource = .automatic
    /// Keep only the first N images in sorted order (as the reference's --max-images).
    public var maxImages: Int?

    public init(resolution: Int? = nil) { self.resolution = resolution }

    /// Converts `source` into the zip `output`; `progress(done, total)` is called after each batch.
    public func run(source: URL, output: URL, progress: (Int, Int) -> Void = { _, _ in }) throws -> DatasetSummary {
        let started = Date()
        if let resolution { try Self.checkResolution(resolution, what: "--resolution \(resolution)") }
        if let maxImages, maxImages < 1 { throw TrainingError("--max-images must be at least 1") }
        guard source.standardizedFileURL.path != output.standardizedFileURL.path else {
            throw TrainingError("\(output.path): the output would overwrite the source")
        }
        let files = try DatasetFileListing.open(source)
        var inventory = SourceInventory(files.names)
        if let maxImages { inventory.images = Array(inventory.images.prefix(maxImages)) }
        guard !inventory.images.isEmpty else {
            throw DatasetFileListing.noImagesError(files.location, unsupported: inventory.unsupportedImages.values.reduce(0, +))
        }
        let (labels, unlabelled) = try readLabels(files, images: inventory.images)
        let labelDimension = try labels.map { try DatasetLabelTable.dimension($0, names: inventory.images, source: files.location) } ?? 0
        let target = try resolution ?? naturalResolution(files, first: inventory.images[0])
        try DatasetArchiveWriter.write(to: output, count: inventory.images.count, labels: labels,
                                       progress: { progress($0, inventory.images.count) }) { index in
            try prepare(files, name: inventory.images[index], resolution: target)
        }
        return DatasetSummary(output: output.path, images: inventory.images.count, resolution: target, channels: 3,
                              labelled: labels != nil, labelDimension: labelDimension,
                              skippedNonImages: inventory.nonImages, skippedUnsupportedImages: inventory.unsupportedImages,
                              imagesWithoutLabel: unlabelled, seconds: Date().timeIntervalSince(started))
    }

    /// One source image, decoded to RGB, cropped and resized; checked against the target size.
    func prepare(_ files: DatasetFiles, name: String, resolution target: Int?) throws -> Image8 {
        let path = files.displayPath(name)
        var image = try files.decodePNG(name)
        if crop == .center { image = ImageResampler.centerSquare(image) }
        if let resolution { return ImageResampler.resize(image, width: resolution, height: resolution, filter: filter) }
        guard image.width == image.height else {
            throw TrainingError("\(path): not square (\(image.width)×\(image.height)); use --crop center or --resolution")
        }
        if let target, image.width != target {
            throw TrainingError("\(path): \(image.width)×\(image.height) pixels, the first image is \(target)×\(target); give --resolution to resize all images")
        }
        return image
    }

    private func naturalResolution(_ files: DatasetFiles, first: String) throws -> Int {
        let side = try prepare(files, name: first, resolution: nil).width
        try Self.checkResolution(side, what: "\(files.displayPath(first)): the image size \(side)")
        return side
    }

    static func checkResolution(_ resolution: Int, what: String) throws {
        guard resolution >= 4, resolution & (resolution - 1) == 0 else {
            throw TrainingError("\(what) is not a power of two ≥ 4 (StyleGAN2 needs square power-of-two images); give --resolution")
        }
    }

    private func readLabels(_ files: DatasetFiles, images: [String]) throws -> (labels: [DatasetLabel]?, unlabelled: Int) {
        let table: DatasetLabelTable
        switch labels {
        case .ignore: return (nil, 0)
        case .automatic:
            guard files.names.contains(DatasetFileListing.labelsName) else { return (nil, 0) }
            let path = files.displayPath(DatasetFileListing.labelsName)
            table = try DatasetLabelTable.parse(files.contents(of: DatasetFileListing.labelsName), source: path)
        case .file(let url):
            try InputFile.checkRegular(url.path)
            let data: Data
            do { data = try Data(contentsOf: url) } catch { throw TrainingError("\(url.path): cannot read the labels file") }
            table = try DatasetLabelTable.parse(data, source: url.path)
        }
        guard let known = table.labels else { return (nil, 0) }
        let found = images.map { known[$0] }
        let missing = found.filter { $0 == nil }.count
        // The reference writes "labels": null as soon as one image lacks a label.
        return missing == 0 ? (found.map { $0! }, 0) : (nil, missing)
    }
}

/// The files of a source sorted into PNG images, other images and non-images.
struct SourceInventory {
    var images: [String] = []
    var unsupportedImages: [String: Int] = [:]
    var nonImages: [String: Int] = [:]

    init(_ names: [String]) {
        for name in names where name != DatasetFileListing.labelsName {
            switch DatasetFileListing.kind(of: name) {
            case .png: images.append(name)
            case .unsupportedImage: unsupportedImages[DatasetFileListing.extensionLabel(name), default: 0] += 1
            case .other: nonImages[DatasetFileListing.extensionLabel(name), default: 0] += 1
            }
        }
    }
}
