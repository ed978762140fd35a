import Checkpoint
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

    public func run(monitor: FIDMonitor, progress: @escaping (String) -> Void = { _ in }) throws -> Report {
        try FileManager.default.createDirectory(at: outdir, withIntermediateDirectories: true)
        progress("FID of the base model")
        let baseFID = try monitor.measure(Generator(reader: CheckpointReader.open(base.path), network: "G_ema"))
        var rows: [Row] = []
        var lastResult = baseFID
        for variant in variants {
            var variantOptions = options
            variantOptions.augmentation = variant.augmentation
            variantOptions.freezeD = variant.freezeD
            if variant.augmentation == .noaug { variantOptions.augmentP = nil }
            let run = try TrainingRun(resumeFrom: base, options: variantOptions, datasetCount: dataset.count, mode: .networksOnly)
            let session = try TrainingSession(run: run, dataset: dataset, outdir: outdir, description: Self.slug(variant.name))
            var points: [[Double]] = [[0, baseFID.fid]]
            var finalKID: Double?
            session.snapshotMetric = { _, run in
                lastResult = try monitor.measure(run.generatorEMA)
                points.append([run.kimg, lastResult.fid])
                finalKID = lastResult.kid
                progress("\(variant.name): kimg \(String(format: "%.3f", run.kimg)), FID \(String(format: "%.3f", lastResult.fid))")
                return ["fid": lastResult.fid] .merging(lastResult.kid.map { ["kid": $0] } ?? [:]) { $1 }
            }
            let snapshots = try session.train(progress: { step in
                progress("\(variant.name): training kimg \(String(format: "%.3f", Double(step.imagesSeen) / 1000))/\(String(format: "%.3f", Double(step.totalImages) / 1000))")
            })
            rows.append(Row(variant: variant, runDirectory: session.runDirectory.path, finalSnapshot: snapshots.last?.path ?? "",
                            fidOverKimg: points, finalFID: points.last![1], finalKID: finalKID))
        }
        let plot = outdir.appendingPathComponent("compare-fid.png")
        let chart = LinePlot(title: "FID over kimg", xLabel: "kimg (thousands of real images shown)", yLabel: "FID",
                             series: rows.map { row in LinePlot.Series(label: row.variant.name, points: row.fidOverKimg.map { ($0[0], $0[1]) }) })
        try PNG.write(chart.render(), to: plot)
        let report = Report(base: base.path, data: dataset.source, kimg: options.kimg, rows: rows, plot: plot.path,
                            extractor: lastResult.extractor, comparableWithPublished: lastResult.comparableWithPublished,
                            warning: lastResult.warning)
        try JSONText.encode(report, pretty: true).write(to: outdir.appendingPathComponent("compare.json"), atomically: true, encoding: .utf8)
        return report
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
