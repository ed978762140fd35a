import ArgumentParser
import Benchmarks
import Checkpoint
import Engine
import Foundation

struct BenchProject: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project",
        abstract: "Seconds per projection step (synthesis, LPIPS-VGG16 and their backward pass, Adam) of a randomly initialised generator.",
        discussion: """
        Runs `toonkit project`'s optimisation (docs/projection.md §Method) on the generator's own image of \
        seed 0, with formula LPIPS weights (timings do not depend on the values), and reports the median \
        wall time of --steps steps after one warm-up step, and the one-off time of the mean-w start. \
        Networks: paper256 (256²), tiny64, demo32. Wall time depends on other load on a shared machine.
        """)

    @OptionGroup var options: BenchOptions
    @Option(help: "Network shape: paper256, tiny64 or demo32.") var network = "paper256"
    @Option(help: "Measured steps per stage (--w-plus has two: W, then the W+ refinement).") var steps = 5
    @Flag(name: .customLong("w-plus"), help: "Optimise W+ instead of W.") var wPlus = false
    @Option(name: .customLong("average-samples"), help: "Mapped z samples for the mean-w start.") var averageSamples = 10_000

    func validate() throws {
        if steps < 1 { throw ValidationError("--steps must be at least 1") }
        if averageSamples < 1 { throw ValidationError("--average-samples must be at least 1") }
    }

    func run() throws {
        options.apply()
        let architecture = try BenchmarkNetwork.architecture(named: network)
        let interrupt = InterruptFlag(message: "interrupt: stopping after the current step (Ctrl-C again to quit now)")
        let report = try ProjectionBenchmark.run(architecture: architecture, name: network, steps: steps, wPlus: wPlus, averageSamples: averageSamples,
                                                 progress: { Console.info($0) }, shouldStop: { interrupt.isSet })
        if options.json { print(JSONText.encode(report, pretty: true)); return }
        print("\(report.network) (\(report.resolution)², \(report.wPlus ? "W+" : "W")): OpenBLAS core \(report.blasCore), \(report.threads) threads")
        print(String(format: "%.3f s per projection step (median of %d); mean-w start from %d samples: %.2f s",
                     report.secondsPerStep, report.steps, report.averageSamples, report.startSeconds))
    }
}
