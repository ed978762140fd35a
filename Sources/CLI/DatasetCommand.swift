import ArgumentParser
import Checkpoint
import Foundation
import Imaging
import Training

struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Make training data sets: convert a folder or zip of PNGs, or draw a synthetic set.",
        discussion: """
        The output is the reference dataset_tool.py's format, which `toonkit train` and the reference's \
        train.py both read: a stored (uncompressed) zip of PNGs named NNNNN/imgNNNNNNNN.png plus a \
        dataset.json holding {"labels": [[name, label], ...]} or {"labels": null}. -o takes any path; the \
        file is written to a temporary name beside it and renamed when complete.

        `toonkit dataset SRC -o DATA` runs `convert` (the default subcommand); see \
        `toonkit dataset convert --help` for its options.

        Examples:
          toonkit dataset cartoonset10k/ -o cartoons.zip --resolution 256
          toonkit dataset photos.zip -o faces-64.zip --resolution 64 --filter box
          toonkit dataset synth --kind cartoons -n 2000 --resolution 64 --seed 1 -o toons.zip
          toonkit dataset info toons.zip --grid preview.png
        """,
        subcommands: [DatasetConvertCommand.self, DatasetSynthCommand.self, DatasetInfoCommand.self],
        defaultSubcommand: DatasetConvertCommand.self)
}

struct DatasetConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a folder or zip of PNG images into a training set.",
        discussion: """
        SRC is walked recursively; images are taken in sorted order of their relative paths. Every file in \
        it must be a regular file (symbolic links are followed): a named pipe or device is refused by name. \
        PNGs over 8192×8192 pixels are refused from their header. Only PNG is \
        read (JPEG and other formats are skipped and counted: convert them to PNG first); other files, such \
        as the CSV attribute files the Cartoon Set ships next to each PNG, are skipped and counted. Images \
        become RGB (alpha dropped), are center-cropped to a square (--crop center) or stretched to one \
        (--crop none), and resized to --resolution with Lanczos-3 (default) or box (area averaging, the \
        reference's advice for FFHQ at 256). Without --resolution the size is kept and must be a square \
        power of two, the same for every image.

        Labels: a dataset.json in SRC's root, {"labels": [[relative_path, label], ...]}, is carried over \
        (class indices or vectors); if any image lacks a label the output says "labels": null, as the \
        reference does. --labels none ignores it, --labels FILE reads another file of the same form.

        Examples:
          toonkit dataset cartoonset10k/ -o cartoons.zip --resolution 256
          toonkit dataset convert shots/ -o set.data --resolution 128 --crop none --labels none --json
        """)

    @Argument(help: "A folder or zip archive of PNG images.") var source: String
    @Option(name: .shortAndLong, help: "Output file (a zip, whatever its name).") var output: String
    @Option(help: "Output resolution: a power of two (default: keep the images' size).") var resolution: Int?
    @Option(help: "center (cut the central square) or none (stretch to a square).") var crop = "center"
    @Option(help: "Resize filter: lanczos or box.") var filter = "lanczos"
    @Option(help: "Labels: auto (SRC/dataset.json if present), none, or a labels file.") var labels = "auto"
    @Option(name: .customLong("max-images"), help: "Keep only the first N images.") var maxImages: Int?
    @Flag(help: "Print the summary as one JSON object on stdout.") var json = false

    func validate() throws {
        if CropMode(rawValue: crop) == nil { throw ValidationError("--crop must be center or none, got '\(crop)'") }
        if ResizeFilter(rawValue: filter) == nil { throw ValidationError("--filter must be lanczos or box, got '\(filter)'") }
    }

    func run() throws {
        var conversion = DatasetConversion(resolution: resolution)
        conversion.crop = CropMode(rawValue: crop)!
        conversion.filter = ResizeFilter(rawValue: filter)!
        conversion.maxImages = maxImages
        switch labels {
        case "auto": conversion.labels = .automatic
        case "none": conversion.labels = .ignore
        default: conversion.labels = .file(URL(fileURLWithPath: labels))
        }
        let progress = ThrottledProgress()
        let summary = try conversion.run(source: URL(fileURLWithPath: source), output: URL(fileURLWithPath: output)) { done, total in
            progress.report(done, of: total) { "dataset: \(done)/\(total) images" }
        }
        Console.finishProgress()
        try DatasetReport.print(summary, json: json)
    }
}

struct DatasetSynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Draw a procedural training set (faces or cartoons) with no downloads.",
        discussion: """
        faces: softly lit portraits (skin-toned ovals with eyes, brows, nose, mouth and hair on a gradient \
        background; varied pose, proportions, colours and expression), a stand-in for FFHQ. cartoons: the \
        same people in flat colours with thick dark outlines, a stand-in for the Cartoon Set. Image i \
        depends only on (seed, i): the same seed gives identical files, and the face and the cartoon with \
        the same seed and index share pose and layout, so blends between models trained on them are \
        easy to read.

        Examples:
          toonkit dataset synth --kind faces -n 5000 --resolution 64 -o faces.zip
          toonkit dataset synth --kind cartoons -n 1000 --resolution 64 --seed 1 -o toons.zip
        """)

    @Option(help: "What to draw.") var kind: SyntheticKind
    @Option(name: [.customShort("n"), .customLong("count")], help: "Number of images.") var count: Int
    @Option(help: "Resolution: a power of two ≥ 4.") var resolution = 256
    @Option(help: "Seed (0…4294967295).") var seed: UInt32 = 0
    @Option(name: .shortAndLong, help: "Output file (a zip, whatever its name).") var output: String
    @Flag(help: "Print the summary as one JSON object on stdout.") var json = false

    func run() throws {
        let dataset = try SyntheticDataset(kind: kind, count: count, resolution: resolution, seed: seed)
        let progress = ThrottledProgress()
        let summary = try dataset.write(to: URL(fileURLWithPath: output)) { done, total in
            progress.report(done, of: total) { "synth \(kind): \(done)/\(total) images" }
        }
        Console.finishProgress()
        try DatasetReport.print(summary, json: json)
    }
}

struct DatasetInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a training set (zip or folder of PNGs); optionally check every image or save a preview grid.",
        discussion: """
        Examples:
          toonkit dataset info cartoons.zip
          toonkit dataset info cartoons.zip --verify --grid first16.png
        """)

    struct Description: Encodable {
        let source: String
        let images: Int
        let resolution: Int
        let channels: Int
        let labelDimension: Int
        let ignoredFiles: Int
        let verified: Bool
    }

    @Argument(help: "A data set: zip or folder of PNGs.") var data: String
    @Flag(help: "Decode every image to find corrupt files.") var verify = false
    @Option(help: "Write the first --count images tiled into this PNG.") var grid: String?
    @Option(help: "Images in the preview grid.") var count = 16
    @Flag(help: "Print one JSON object on stdout.") var json = false

    func validate() throws {
        if count < 1 { throw ValidationError("--count must be at least 1") }
    }

    func run() throws {
        let dataset = try PNGDataset(url: URL(fileURLWithPath: data))
        if verify {
            let progress = ThrottledProgress()
            try dataset.verifyAll { done in progress.report(done, of: dataset.count) { "verify: \(done)/\(dataset.count) images" } }
            Console.finishProgress()
        }
        if let grid { try PNG.write(try dataset.previewGrid(count: count), to: URL(fileURLWithPath: grid)) }
        let description = Description(source: dataset.source, images: dataset.count, resolution: dataset.resolution, channels: dataset.channels,
                                      labelDimension: dataset.labelDimension, ignoredFiles: dataset.ignoredFileCount, verified: verify)
        if json { Swift.print(JSONText.encode(description, pretty: true)); return }
        Swift.print("\(description.source): \(description.images) images, \(description.resolution)×\(description.resolution), " +
                    (description.channels == 1 ? "grey" : "RGB") + ", " +
                    (description.labelDimension > 0 ? "labels of dimension \(description.labelDimension)" : "unlabelled") +
                    (description.ignoredFiles > 0 ? ", \(description.ignoredFiles) other files ignored" : "") +
                    (verify ? "; every image decodes" : ""))
    }
}

/// The human (or JSON) summary of a written data set.
enum DatasetReport {
    static func print(_ summary: DatasetSummary, json: Bool) throws {
        if summary.imagesWithoutLabel > 0 {
            Console.warn("\(summary.imagesWithoutLabel) images have no label: wrote \"labels\": null, as the reference tool does")
        }
        if json { Swift.print(JSONText.encode(summary, pretty: true)); return }
        Swift.print("wrote \(summary.images) images (\(summary.resolution)×\(summary.resolution) RGB) to \(summary.output) in "
                    + String(format: "%.1f s", summary.seconds))
        Swift.print("skipped \(summary.skippedNonImageCount) non-image files" + breakdown(summary.skippedNonImages))
        if summary.skippedUnsupportedImageCount > 0 {
            Swift.print("skipped \(summary.skippedUnsupportedImageCount) images in unsupported formats" + breakdown(summary.skippedUnsupportedImages)
                        + ": toonkit reads PNG only")
        }
        Swift.print("labels: " + (summary.labelled ? "yes (dimension \(summary.labelDimension))" : "no"))
    }

    private static func breakdown(_ counts: [String: Int]) -> String {
        counts.isEmpty ? "" : " (" + counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"
    }
}

/// Progress lines at most twice a second, and the last one always: batches finish faster than
/// anyone reads, and on a pipe every line stays in the log.
final class ThrottledProgress {
    private var lastReport = Date.distantPast

    func report(_ done: Int, of total: Int, _ line: () -> String) {
        let now = Date()
        guard done == total || now.timeIntervalSince(lastReport) >= 0.5 else { return }
        lastReport = now
        Console.progress(line())
    }
}
