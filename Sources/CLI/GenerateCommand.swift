import ArgumentParser
import Engine
import Checkpoint
import Foundation
import Generation
import Networks

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate images from seeds (or given ws) with a checkpoint's generator.",
        discussion: """
        Seeds draw z exactly as the reference generate.py does (numpy RandomState(seed).randn), so the same \
        seed gives the same image. -o OUT.npy writes the raw synthesis output, float32 [N, C, R, R], in seed \
        order; -o FOLDER writes seedNNNN.png per seed (uint8 = floor(clamp(x·127.5 + 128, 0, 255))); --grid \
        writes all images tiled into one PNG. Uses G_ema unless --network says otherwise. Values that are \
        not finite (from NaN or infinite weights or ws) are written to PNGs as mid-grey 128 (NaN), 255 (+∞) \
        or 0 (−∞), and a warning says how many there were. If writing fails, the files and folders \
        written so far are removed.

        Examples:
          toonkit generate ffhq.h5 --seeds 0-15 --trunc 0.7 --grid grid.png
          toonkit generate toon.h5 --seeds 0,1,2,7 -o out.npy
          toonkit generate toon.h5 --ws latents.npy -o images/
          toonkit generate toon.h5 --ws latent.npz -o toonified/
        """)

    @Argument(help: "Checkpoint (.h5).") var checkpoint: String
    @Option(help: "Seeds: a list and/or ranges, e.g. 0,1,2,7 or 0-15 (repeatable).") var seeds: [String] = []
    @Option(help: "ws [N, num_ws, w_dim] to synthesise instead of seeds: a .npy, or an .npz holding them as 'w' (what `toonkit project` and the reference projector write).") var ws: String?
    @Option(help: "Truncation psi (1 = none).") var trunc: Float = 1
    @Option(name: .customLong("trunc-cutoff"), help: "Truncate only the first K ws.") var truncCutoff: Int?
    @Option(help: "Noise: const (stored buffers, as generate.py), random, or none.") var noise: NoiseMode = .const
    @Option(name: .customLong("class"), help: "Class index for conditional models.") var classIndex: Int?
    @Option(help: "Network to use.") var network = "G_ema"
    @Option(name: .shortAndLong, help: "Output: a .npy file or a folder for PNGs.") var output: String?
    @Option(help: "Also write all images as one grid PNG.") var grid: String?
    @Option(name: .customLong("grid-scale"), help: "Enlarge every image of the grid N times (nearest neighbour), e.g. 4 for 32² models.") var gridScale = 1
    @Option(help: "Images per forward pass. Batches of \(ConvolutionAlgorithm.smallestWinogradBatch(onPlanesOf: 8)) or more compute 8² layers by Winograd, smaller ones by im2col, and batches of more than \(ConvolutionAlgorithm.largestPixelMajorUpsamplingBatch) sum the up-sampling from 8² in another order: the raw outputs then differ by about 1e-6 relative (docs/engine-kernels.md \"Narrow planes\", \"Pixel-major columns\").") var batch = 4
    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        if seeds.isEmpty == (ws == nil) { throw ValidationError("give either --seeds or --ws") }
        if gridScale < 1 { throw ValidationError("--grid-scale must be at least 1") }
        if output == nil && grid == nil { throw ValidationError("give -o OUT (.npy or folder) and/or --grid FILE.png") }
        if !trunc.isFinite { throw ValidationError("--trunc must be a finite number") }
        if let truncCutoff, truncCutoff < 0 { throw ValidationError("--trunc-cutoff must be at least 0") }
    }

    func run() throws {
        threadOptions.apply()
        let source: GenerateJob.Source
        if let ws { source = .ws(URL(fileURLWithPath: ws)) } else {
            source = .seeds(try seeds.flatMap { try Latents.parseSeeds($0) })
        }
        var job = GenerateJob(checkpoint: URL(fileURLWithPath: checkpoint), source: source)
        job.network = network
        job.truncation = Truncation(psi: trunc, cutoff: truncCutoff)
        job.noise = noise
        job.classIndex = classIndex
        job.output = output.map { URL(fileURLWithPath: $0) }
        job.grid = grid.map { URL(fileURLWithPath: $0) }
        job.gridMagnification = gridScale
        job.batchSize = batch
        let result = try job.run { Console.progress($0) }
        Console.finishProgress()
        result.warnings.forEach(Console.warn)
        print("generated \(result.images) images: " + result.written.prefix(3).map(\.path).joined(separator: ", ") + (result.written.count > 3 ? ", …" : ""))
    }
}

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Discriminator logits and per-image R1 penalties for a batch of images.",
        discussion: """
        Images: a .npy of float32 [N, C, R, R] in [-1, 1] (like the generator's output) or a folder of PNGs \
        (read as x/127.5 - 1). The whole set runs as one minibatch, in the given order, so minibatch-std \
        groups match the reference. The R1 penalty of image i is the sum of squares of d(sum of logits)/d(image i).
        A conditional discriminator (c_dim > 0) needs labels: --labels with one row per image, or --class for all.
        """)

    @Argument(help: "Checkpoint (.h5).") var checkpoint: String
    @Option(help: "Images: .npy [N, C, R, R] or a folder of PNGs.") var images: String
    @Option(help: "Labels: .npy float32 [N, c_dim], one-hot (conditional models).") var labels: String?
    @Option(name: .customLong("class"), help: "One class index for every image, instead of --labels (conditional models).") var classIndex: Int?
    @Option(help: "Network to use.") var network = "D"
    @Flag(help: "Print one JSON object with \"logits\" and \"r1_penalty\".") var json = false

    func run() throws {
        var job = ScoreJob(checkpoint: URL(fileURLWithPath: checkpoint), images: URL(fileURLWithPath: images),
                           labels: labels.map { URL(fileURLWithPath: $0) })
        job.network = network
        job.classIndex = classIndex
        let result = try job.run()
        if json { print(JSONText.encode(result, pretty: true)); return }
        print("image  logit         r1_penalty")
        for i in result.logits.indices {
            let name = result.files?[i] ?? "\(i)"
            print(name.padding(toLength: 6, withPad: " ", startingAt: 0) + String(format: " %-13.7g %-13.7g", result.logits[i], result.r1Penalty[i]))
        }
    }
}
