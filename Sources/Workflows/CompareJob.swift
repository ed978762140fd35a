import Checkpoint
import Engine
import Foundation
import Imaging
import Metrics
import Networks
import Training

/// `toonkit compare`: the 2023 capstone's study in one run. The same base is fine-tuned on the same
/// data for the same length three ways — plain StyleGAN2 (no augmentation), ADA, and ADA + FreezeD —
/// measuring FID (and KID) of G_ema at every snapshot; the result is a table and a plot of FID over kimg.
public struct CompareJob {
    public struct Variant: Codable, Sendable {
        public var name: String
        public var augmentation: TrainingOptions.Augmentation
        public var freezeD: Int
    }

    public var base: URL
    public var dataset: ImageDataset
    public var outdir: URL
    /// Shared by all variants; each variant sets augmentation and FreezeD on top.
    public var options: TrainingOptions
    public var variants: [Variant]

    public init(base: URL, dataset: ImageDataset, outdir: URL, options: TrainingOptions, freezeD: Int) {
        self.base = base
        self.dataset = dataset
        self.outdir = outdir
        self.options = options
        variants = [Variant(name: "StyleGAN2", augmentation: .noaug, freezeD: 0),
                    Variant(name: "ADA", augmentation: .ada, freezeD: 0),
                    Variant(name: "ADA + FreezeD", augmentation: .ada, freezeD: freezeD)]
    }

    public struct Row: Codable, Sendable {
        public var variant: Variant
        public var runDirectory: String
        public var finalSnapshot: String
        /// (kimg, FID) at the start (the base) and at every snapshot.
        public var fidOverKimg: [[Double]]
        public var finalFID: Double
        public var finalKID: Double?
    }

    public struct Report: Codable, Sendable {
        public var base: String
        public var data: String
        public var kimg: Double
        public var rows: [Row]
        public var plot: String
        public var extractor: String
        public var comparableWithPublished: Bool
        public var warning: String?
    }

    /// Trains and measures the variants in turn. After each variant the table data, plot and compare.json
    /// are rewritten, so a stop (`shouldStop`, e.g. Ctrl-C) or a crash keeps what was measured so far;
    /// a stopped variant ends with a final snapshot and is reported with the points it has.
    public func run(monitor: FIDMonitor, progress: @escaping (String) -> Void = { _ in },
                    shouldStop: @escaping () -> Bool = { false }) throws -> Report {
        try checkInputs()
        try FileManager.default.createDirectory(at: outdir, withIntermediateDirectories: true)
        progress("FID of the base model")
        // The base as training starts from it (G_ema, or G for a file with one generator).
        let start = try TrainingRun(resumeFrom: base, options: options, datasetCount: dataset.count, mode: .networksOnly)
        let baseResult = try monitor.measure(start.generatorEMA)
        ProcessMemory.releaseHeldBuffers()  // Inception's, before the variants load and train (their sessions free them again)
        var report = Report(base: base.path, data: dataset.source, kimg: options.kimg, rows: [], plot: outdir.appendingPathComponent("compare-fid.png").path,
                            extractor: baseResult.extractor, comparableWithPublished: baseResult.comparableWithPublished, warning: baseResult.warning)
        for variant in variants where !shouldStop() {
            report.rows.append(try train(variant, baseFID: baseResult.fid, monitor: monitor, progress: progress, shouldStop: shouldStop))
            try write(report)
        }
        return report
    }

    /// Refuses a data set the base cannot train on, and a FreezeD deeper than its discriminator, before anything is
    /// measured or written.
    public func checkInputs() throws {
        let reader = try CheckpointReader.open(base.path)
        let resolution = try reader.architecture.resolution
        guard dataset.resolution == resolution else {
            throw TrainingError("\(dataset.source) holds \(dataset.resolution)² images; the base \(base.path) generates \(resolution)²")
        }
        try TrainingRun.requireFineTunable(reader, url: base, freezeD: variants.map(\.freezeD).max() ?? 0)
    }

    private func train(_ variant: Variant, baseFID: Double, monitor: FIDMonitor,
                       progress: @escaping (String) -> Void, shouldStop: @escaping () -> Bool) throws -> Row {
        var variantOptions = options
        variantOptions.augmentation = variant.augmentation
        variantOptions.freezeD = variant.freezeD
        if variant.augmentation == .noaug { variantOptions.augmentP = nil }
        let run = try TrainingRun(resumeFrom: base, options: variantOptions, datasetCount: dataset.count, mode: .networksOnly)
        let session = try TrainingSession(run: run, dataset: dataset, outdir: outdir, description: Self.slug(variant.name))
        var points: [[Double]] = [[0, baseFID]]
        var finalKID: Double?
        session.snapshotMetric = { _, run in
            let measured = try monitor.measure(run.generatorEMA)
            points.append([run.kimg, measured.fid])
            finalKID = measured.kid
            progress("\(variant.name): kimg \(String(format: "%.3f", run.kimg)), FID \(String(format: "%.3f", measured.fid))")
            return FIDMonitor.values(measured)
        }
        let snapshots = try session.train(progress: { step in
            progress("\(variant.name): training kimg \(String(format: "%.3f", Double(step.imagesSeen) / 1000))/\(String(format: "%.3f", Double(step.totalImages) / 1000))")
        }, shouldStop: shouldStop)
        return Row(variant: variant, runDirectory: session.runDirectory.path, finalSnapshot: snapshots.last?.path ?? "",
                   fidOverKimg: points, finalFID: points.last![1], finalKID: finalKID)
    }

    private func write(_ report: Report) throws {
        let chart = LinePlot(title: "FID over kimg", xLabel: "kimg (thousands of real images shown)", yLabel: "FID",
                             series: report.rows.map { row in LinePlot.Series(label: row.variant.name, points: row.fidOverKimg.map { ($0[0], $0[1]) }) })
        try PNG.write(chart.render(), to: URL(fileURLWithPath: report.plot))
        try JSONText.encode(report, pretty: true).write(to: outdir.appendingPathComponent("compare.json"), atomically: true, encoding: .utf8)
    }

    /// The table printed at the end.
    public static func table(_ report: Report) -> String {
        var lines = ["variant          FID (final)   KID×10³   run"]
        for row in report.rows {
            let kid = row.finalKID.map { String(format: "%8.3f", $0 * 1000) } ?? "       –"
            lines.append(row.variant.name.padding(toLength: 16, withPad: " ", startingAt: 0)
                         + String(format: " %11.3f", row.finalFID) + "  " + kid + "   " + row.runDirectory)
        }
        if let warning = report.warning { lines.append("NOTE: \(warning).") }
        return lines.joined(separator: "\n")
    }

    static func slug(_ name: String) -> String {
        name.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
            .replacingOccurrences(of: "---", with: "-")
    }
}
