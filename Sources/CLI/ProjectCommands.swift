import ArgumentParser
import Checkpoint
import Engine
import Foundation
import Generation
import Imaging
import Metrics
import Networks
import Projection
import Surgery

/// What `project` and `toonify` share: the distance's weights and the projector's settings.
struct ProjectionOptions: ParsableArguments {
    @Flag(name: .customLong("w-plus"), help: "After the W projection, refine one w per synthesis input (W+) for as many steps again.") var wPlus = false
    @Option(help: "Optimisation steps.") var steps = ProjectionSettings().steps
    @Option(name: .customLong("vgg16"), help: "torchvision's ImageNet VGG16 state dict \(LPIPSWeights.backboneFileName) (the LPIPS backbone).")
    var vgg16: String?
    @Option(name: .customLong("lpips-heads"), help: "lpips v0.1's VGG heads, \(LPIPSWeights.headsFileName) from the lpips pip package (lpips/weights/v0.1/vgg.pth).")
    var lpipsHeads: String?
    @Flag(name: .customLong("formula-vgg16"), help: "Fill the VGG16 backbone with deterministic formula weights instead of --vgg16 (tests and benchmarks only: the distance is then not perceptual).")
    var formulaVGG16 = false
    @Option(help: "Add the mean squared pixel difference with this weight (images in [-1, 1]).") var mse: Float?
    @Option(name: .customLong("average-samples"), help: "Mapped z samples whose mean w is the starting point.") var averageSamples = ProjectionSettings().averageSamples
    @Flag(name: .customLong("keep-noise"), help: "Keep the network's stored noise images fixed instead of optimising fresh ones as the reference does; the saved latent then renders exactly what was optimised.")
    var keepNoise = false
    @Option(help: "Seed of the initial noise images and of the noise added to w.") var seed: UInt32 = 0
    @Option(name: .customLong("loss-curve"), help: "Also write the distance and loss per step as a PNG plot.") var lossCurve: String?

    func validate() throws {
        if steps < 1 { throw ValidationError("--steps must be at least 1") }
        if averageSamples < 1 { throw ValidationError("--average-samples must be at least 1") }
        if let mse, !(mse > 0 && mse.isFinite) { throw ValidationError("--mse must be a positive number") }
        if vgg16 != nil && formulaVGG16 { throw ValidationError("give either --vgg16 or --formula-vgg16, not both") }
        if (vgg16 != nil || formulaVGG16) != (lpipsHeads != nil) {
            throw ValidationError("LPIPS needs both a backbone (--vgg16 \(LPIPSWeights.backboneFileName) or --formula-vgg16) and --lpips-heads \(LPIPSWeights.headsFileName)")
        }
        if lpipsHeads == nil && mse == nil {
            throw ValidationError("give the LPIPS weights (--vgg16 \(LPIPSWeights.backboneFileName) --lpips-heads \(LPIPSWeights.headsFileName)), --mse WEIGHT, or both")
        }
    }

    func lpips() throws -> LPIPS? {
        guard let lpipsHeads else { return nil }
        let heads = URL(fileURLWithPath: lpipsHeads)
        let weights = try vgg16.map { try LPIPSWeights.load(backbone: URL(fileURLWithPath: $0), heads: heads) } ?? .formulaBackbone(heads: heads)
        return try LPIPS(weights: weights)
    }

    var settings: ProjectionSettings {
        var settings = ProjectionSettings()
        settings.steps = steps
        settings.averageSamples = averageSamples
        settings.wPlus = wPlus
        settings.pixelWeight = mse ?? 0
        settings.seed = seed
        settings.optimizesNoise = !keepNoise
        return settings
    }

    /// Projects the photo with the progress bar and Ctrl-C handling, and writes the loss curve if asked.
    func project(photo: String, generator: Generator) throws -> (ProjectionTarget, ProjectionResult) {
        let lpips = try lpips()
        if formulaVGG16 { Console.warn("the VGG16 backbone uses formula weights (--formula-vgg16): the distance is not perceptual") }
        if lpips == nil { Console.note("distance: mean squared pixel difference only (no LPIPS weights given)") }
        let projector = try Projector(generator: generator, lpips: lpips, settings: settings)
        let target = try ProjectionTarget(photo: URL(fileURLWithPath: photo), resolution: generator.architecture.resolution)
        let interrupt = InterruptFlag(message: "interrupt: stopping after the current step and keeping the best latent so far (Ctrl-C again to quit now)")
        let start = Date()
        var bar = EstimatingProgress()
        let result = try projector.project(target: target.tensor) { step in
            let perStep = Date().timeIntervalSince(start) / Double(step.step)
            bar.update(fraction: Double(step.step) / Double(step.steps),
                       String(format: "step %d/%d  dist %.4f  %.2f s/step", step.step, step.steps, step.distance, perStep))
            return !interrupt.isSet
        }
        Console.finishProgress()
        if result.stoppedEarly { Console.warn("interrupted after \(result.history.count) of \(result.history.last?.steps ?? 0) steps") }
        if let lossCurve { try Self.writeLossCurve(result.history, to: URL(fileURLWithPath: lossCurve)) }
        return (target, result)
    }

    static func writeLossCurve(_ history: [ProjectionStep], to url: URL) throws {
        let plot = LinePlot(title: "projection", xLabel: "step", yLabel: "loss", series: [
            .init(label: "distance", points: history.map { (Double($0.step), Double($0.distance)) }),
            .init(label: "distance + noise reg.", points: history.map { (Double($0.step), Double($0.loss)) }),
        ])
        try PNG.write(plot.render(), to: url)
    }
}

struct ProjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project",
        abstract: "Find the latent whose image is closest to a photo (StyleGAN2-ADA's projector).",
        discussion: """
        The photo should show a face aligned and cropped like FFHQ (eyes level, at the same place); it is \
        centre-cropped to a square and resized (Lanczos) to the network's resolution, as projector.py does. \
        Nothing here detects or aligns faces.

        Method (docs/projection.md): start at the mean w of --average-samples mapped z, then --steps of Adam \
        (lr 0.1 with a 5 % warm-up and a cosine ramp-down over the last 25 %) on w and on the network's noise \
        images (--keep-noise keeps the stored ones), with decaying noise added to w and the noise \
        images kept noise-like by an autocorrelation penalty and renormalisation; --w-plus then refines one w per synthesis input from there. The distance is \
        LPIPS-VGG16 v0.1 as the lpips package computes it, from weights you supply: torchvision's \
        \(LPIPSWeights.backboneFileName) (\(LPIPSWeights.backboneURL)) and lpips's heads \(LPIPSWeights.headsFileName), \
        \(LPIPSWeights.headsSource); toonkit neither bundles nor downloads them. --mse adds a pixel term.

        Writes -o LATENT.npz: ws [1, num_ws, w_dim] under 'w', the layout of the reference's projected_w.npz; \
        `toonkit generate CHECKPOINT --ws LATENT.npz` renders it with any compatible model. Ctrl-C stops \
        after the current step and still writes the best latent found so far.

        Example:
          toonkit project me.png --network ffhq.h5 --vgg16 vgg16-397923af.pth --lpips-heads vgg.pth --w-plus -o me.npz
        """)

    @Argument(help: "The photo (PNG), aligned and cropped like FFHQ.") var photo: String
    @Option(help: "The checkpoint to project into (.h5; its G_ema).") var network: String
    @Option(name: .shortAndLong, help: "Output latent (.npz).") var output: String
    @OptionGroup var projection: ProjectionOptions
    @OptionGroup var threadOptions: ThreadOptions

    func run() throws {
        threadOptions.apply()
        let generator = try Generator(reader: CheckpointReader(path: network))
        let (_, result) = try projection.project(photo: photo, generator: generator)
        try LatentFile.write(result.ws, to: URL(fileURLWithPath: output))
        print(String(format: "projected: wrote %@ (best distance %.5f at step %d of %d)", output, result.bestDistance, result.bestStep, result.history.count))
    }
}

struct ToonifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "toonify",
        abstract: "Project a photo into the base model and render its latent with the base/style blend.",
        discussion: """
        Runs `toonkit project PHOTO --network BASE` (same options, same method), blends BASE and STYLE as \
        `toonkit swap --at R` does (or `toonkit blend --width W --at R` with --width), renders the latent with \
        both the base and the blend, and writes -o OUT.png: photo | reconstruction | toonified, side by side \
        at the network's resolution. Also writes the latent beside it (OUT.npz) and the loss curve \
        (OUT.loss.png) unless --loss-curve names another file. The photo should be aligned and cropped like FFHQ.

        Example:
          toonkit toonify me.png --base ffhq.h5 --style toon.h5 --at 32 --vgg16 vgg16-397923af.pth --lpips-heads vgg.pth -o me-toon.png
        """)

    @Argument(help: "The photo (PNG), aligned and cropped like FFHQ.") var photo: String
    @Option(help: "The photo model (.h5) the photo is projected into.") var base: String
    @Option(help: "The fine-tuned style model (.h5), with the base's shapes.") var style: String
    @Option(help: "Block resolution R from which the style's synthesis blocks are used.") var at: Int
    @Option(help: "Width of a logistic transition around R instead of a hard swap (as `toonkit blend`).") var width: Double?
    @Option(name: .shortAndLong, help: "Output PNG: photo | reconstruction | toonified.") var output: String
    @OptionGroup var projection: ProjectionOptions
    @OptionGroup var threadOptions: ThreadOptions

    func run() throws {
        threadOptions.apply()
        let outputURL = URL(fileURLWithPath: output)
        let stem = outputURL.deletingPathExtension()
        let baseGenerator = try Generator(reader: CheckpointReader(path: base))
        let blended = try blendedGenerator()
        var options = projection
        options.lossCurve = projection.lossCurve ?? stem.appendingPathExtension("loss.png").path
        let (target, result) = try options.project(photo: photo, generator: baseGenerator)
        let renders = try [baseGenerator, blended].flatMap { generator in
            try GenerateJob.pngImages(GradMode.withoutGrad { try generator.synthesize(ws: result.ws, noise: .const) })
        }
        try PNG.write(ImageGrid.tiled([target.image] + renders, columns: 3), to: outputURL)
        let latent = stem.appendingPathExtension("npz")
        try LatentFile.write(result.ws, to: latent)
        print("toonified: wrote \(output), \(latent.path) and \(options.lossCurve!) (best distance \(String(format: "%.5f", result.bestDistance)) at step \(result.bestStep))")
    }

    /// The blend, made in a temporary file by the surgery code `toonkit swap`/`blend` run.
    private func blendedGenerator() throws -> Generator {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("toonkit-toonify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("blend.h5")
        let schedule: BlockSchedule = width.map { .logistic(at: at, width: $0) } ?? .swap(at: at)
        _ = try SurgeryJob(Recipe(action: .blend(BlendRecipe(base: base, style: style, schedule: schedule)), output: file.path)).run(durable: false)
        return try Generator(reader: CheckpointReader(path: file.path))
    }
}
