// Toonify with the Toonkit library, the calls behind `toonkit demo` in miniature: fine-tune a style model
// from a base checkpoint on procedural cartoons, swap the two at a block resolution, and render the result.
//
//     swift run --package-path Examples SwapAndGenerate [BASE.h5] [OUTDIR] [STEPS]
//
// from the repository root (defaults: fixtures/demo/base-faces32.h5, example-output, 4 steps). A few steps
// only show the calls working; the demo's 6 kimg (`toonkit demo`) is what makes the style model a cartoonist.
import Checkpoint
import Foundation
import Generation
import Networks
import Surgery
import Training

let arguments = Array(CommandLine.arguments.dropFirst())
let base = URL(fileURLWithPath: arguments.count > 0 ? arguments[0] : "fixtures/demo/base-faces32.h5")
let outdir = URL(fileURLWithPath: arguments.count > 1 ? arguments[1] : "example-output")
let steps = arguments.count > 2 ? Int(arguments[2]) ?? 4 : 4

do {
    try FileManager.default.createDirectory(at: outdir, withIntermediateDirectories: true)
    let resolution = try CheckpointReader.open(base.path).architecture.resolution

    // The style model: the base fine-tuned on cartoons with the capstone's settings (ADA, FreezeD, x-flips).
    let cartoons = try SyntheticDataset(kind: .cartoons, count: 64, resolution: resolution, seed: 7)
    var options = TrainingOptions.capstoneFineTune(resolution: resolution, kimg: 6, seed: 7)
    options.batch = 4
    var run = try TrainingRun(resumeFrom: base, options: options, datasetCount: cartoons.count, mode: .networksOnly)
    for step in 1...steps {
        _ = try run.step(dataset: cartoons)
        print("fine-tuning: step \(step)/\(steps)")
    }
    let style = outdir.appendingPathComponent("style.h5")
    try run.writeSnapshot(to: style)

    // Blocks up to `at` from the base (face structure), the rest from the style (cartoon rendering).
    let at = resolution / 4
    let swapped = outdir.appendingPathComponent("toon-swap\(at).h5")
    _ = try RecipeRunner.run(Recipe(action: .blend(BlendRecipe(base: base.path, style: style.path, schedule: .swap(at: at))),
                                    output: swapped.path))

    var generate = GenerateJob(checkpoint: swapped, source: .seeds(Array(0..<8)))
    generate.truncation = Truncation(psi: 0.7)
    generate.grid = outdir.appendingPathComponent("toon-swap\(at).png")
    let result = try generate.run()
    print("wrote \(style.path), \(swapped.path) and \(generate.grid!.path) (\(result.images) images)")
} catch {
    FileHandle.standardError.write(Data("SwapAndGenerate: error: \(error)\n".utf8))
    exit(1)
}
