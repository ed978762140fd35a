import Checkpoint
import Foundation
import Metrics

/// The demo's steps with their rough cost, so that one fraction covers the whole job: a progress bar
/// and its ETA then move steadily instead of restarting at every step.
struct DemoPlan {
    static let sampleModels = "Sample the bundled models"
    static let drawCartoons = "Draw the cartoon data set"
    static let fineTune = "Fine-tune live with ADA and FreezeD"
    static let sweep = "Sweep the layer swap"
    static let blend = "Write blended checkpoints"
    static let measure = "Measure the effect"
    static let titles = [sampleModels, drawCartoons, fineTune, sweep, blend, measure]

    /// Rough costs on 2 cores, only to weigh the steps against each other (the ETA follows the actual pace).
    static let secondsPerKimg = 30.0
    static let secondsPerInceptionImage = 0.25
    static let secondsPerSmallStep = 3.0

    private let weights: [String: Double]
    private let total: Double
    private var finished = 0.0
    private var current: String?
    private let sink: (DemoJob.Progress) -> Void

    init(kimg: Double, effectRows: Int, effectImages: Int, report sink: @escaping (DemoJob.Progress) -> Void) {
        var weights = Dictionary(uniqueKeysWithValues: Self.titles.map { ($0, Self.secondsPerSmallStep) })
        weights[Self.fineTune] = kimg * Self.secondsPerKimg
        weights[Self.measure] = Double(effectRows * effectImages) * Self.secondsPerInceptionImage
        self.weights = weights
        total = weights.values.reduce(0, +)
        self.sink = sink
    }

    mutating func begin(_ title: String) {
        if let current { finished += weights[current] ?? 0 }
        current = title
        report(within: 0, title)
    }

    /// `fraction` of the current step is done.
    func report(within fraction: Double, _ line: String) {
        let weight = current.flatMap { weights[$0] } ?? 0
        sink(DemoJob.Progress(fraction: min(1, (finished + min(max(fraction, 0), 1) * weight) / total), line: line))
    }
}

/// REPORT.md: which model came from where, what each step did and wrote, and the effect measured.
struct DemoReport {
    let job: DemoJob
    let steps: [DemoJob.Step]
    let effect: ToonifyEffect.Report?

    func markdown() throws -> String {
        var text = "# toonkit demo\n\nThe toonify pipeline on procedural data, run by `toonkit demo`. The picture to look at first: "
            + "`sweep.png`, the face model, its swaps with the cartoon model and the cartoon model side by side for six seeds.\n\n" + (try origins())
        for (index, step) in steps.enumerated() {
            text += "## \(index + 1). \(step.title) (\(String(format: "%.1f", step.seconds)) s)\n\n\(step.detail)\n\n"
            text += step.files.map { "- `\($0)`" }.joined(separator: "\n") + "\n\n"
        }
        if let effect { text += Self.effectSection(effect) }
        text += "Next: `toonkit inspect` any checkpoint above, `toonkit blend --width 1 --at 8` for a smooth transition, or train longer with `toonkit train --resume`.\n"
        return text
    }

    private func origins() throws -> String {
        let sessions = try Self.trainingSessionKimg(job.cartoonModel, after: job.base).map { String(format: "%g", $0) }
        let cartoonLength = sessions.isEmpty ? "no training after the face model's in its provenance log"
            : "its provenance log records training sessions after the face model's ending at \(sessions.joined(separator: " and ")) kimg of their runs"
        return """
        ## Where the models come from

        - **Face model** `\(job.base.path)`: bundled; trained from scratch on procedural faces by `scripts/train-demo-base.sh` \
        (its provenance log lists every session: `toonkit inspect \(job.base.path)`).
        - **Cartoon model** `\(job.cartoonModel.path)`: bundled; the face model fine-tuned on procedural cartoons by \
        `scripts/train-demo-cartoon.sh` (the recipe of step 3 at batch 8, the second session at lr 0.005, for much longer: \(cartoonLength); `toonkit inspect \(job.cartoonModel.path)`). \
        The sweep, the blended checkpoints and the measurements use it.
        - **Live fine-tune**: made by this run (step 3), \(String(format: "%g", job.kimg)) kimg from the face model; shown in `sweep-live.png` \
        and the last row of the table, to show training from an imported checkpoint within the demo's minutes.


        """
    }

    /// Where each training session in a checkpoint's provenance log that `origin`'s log lacks ended, in kimg of its run.
    static func trainingSessionKimg(_ checkpoint: URL, after origin: URL) throws -> [Double] {
        let inherited = try CheckpointReader.open(origin.path).provenance
        return try CheckpointReader.open(checkpoint.path).provenance.filter { $0.operation == "train" && !inherited.contains($0) }.compactMap { record in
            guard case .number(let kimg)? = record.parameters["kimg"] else { return nil }
            return kimg
        }
    }

    static func effectSection(_ effect: ToonifyEffect.Report) -> String {
        var text = "## The effect, measured\n\n"
        text += "\(effect.images) images per row: the first \(effect.images) of each data set, and for every model the same seeds 0–\(effect.images - 1) "
            + "mapped by the face model at ψ \(String(format: "%g", effect.truncation)) (as in the sweep). KID is StyleGAN2-ADA's (×10³; lower is closer); "
            + "edge density is the fraction of pixels with a luma step above \(Int(RenderingStatistics.edgeStep * 100)) % to a neighbour (ink outlines).\n\n"
        if let warning = effect.warning { text += "Note: \(warning)\n\n" }
        text += "KID is an unbiased estimate, so two samples of one distribution can come out slightly below zero.\n\n"
        text += ToonifyEffect.table(effect) + "\n"
        if let ratio = effect.cartoonToBaseRatio {
            text += String(format: "- The cartoon model's KID to the cartoon data is %.2f× the face model's (%@).\n", ratio,
                           ratio <= 0.5 ? "at most half, as the demo aims for" : "more than half: the cartoon model is not far enough from the faces")
        }
        for (label, between) in effect.swapsBetween {
            text += "- \(label): its KID to the cartoon data \(between ? "lies" : "does NOT lie") between the face model's and the cartoon model's.\n"
        }
        return text + "\n"
    }
}
