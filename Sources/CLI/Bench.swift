import ArgumentParser
import Benchmarks
import Checkpoint
import Distributed
import Engine
import Foundation
import Metrics
import Training

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks. Run them from a release build (`swift build -c release`); debug builds are 10–100× slower.",
        discussion: "The OpenBLAS kernel family is printed with every benchmark; set \(EngineThreads.blasCoreEnvironmentVariable) to compare (e.g. Haswell, SkylakeX).",
        subcommands: [BenchKernels.self, BenchGenerate.self, BenchInception.self, BenchTrain.self, BenchAllReduce.self, BenchSwap.self, BenchImport.self, BenchProject.self]
    )
}

/// `--against`: the same work timed again under a second convolution algorithm, the two alternated call by call.
struct AgainstOption: ParsableArguments {
    @Option(help: ArgumentHelp("Also time the work with this convolution algorithm, alternating with the process's own (TOONKIT_CONV, default auto) call by call, so a busy machine slows both alike; adds the other algorithm's time and how many times as long it takes.",
                               valueName: "algorithm"))
    var against: ConvolutionAlgorithm?
}

/// `bench generate` and `bench inception`: time the work as well with weights that keep no convolution transforms.
struct UnkeptTransformsOption: ParsableArguments {
    @Flag(help: "Also time the work with weights that keep no convolution transforms (packed taps and Winograd weights made again on every call, as before they were kept), alternating call by call with the process's own; adds that time and how many times as long it takes.")
    var againstUnkeptTransforms = false
}

/// Throws naming `option` unless `value` is a finite number ≥ 0, or above 0 when `positive`, and at most `limit` when one
/// is given: a NaN, infinite or astronomical time or rate would measure nothing or never end. Worded as
/// `TrainingOptions.validate` words its rules.
func requireFinite(_ value: Double, _ option: String, positive: Bool, atMost limit: Double? = nil) throws {
    guard value.isFinite && (positive ? value > 0 : value >= 0) && value <= (limit ?? .infinity) else {
        let bound = limit.map { ", at most \(boundText($0))" } ?? ""
        throw ValidationError("\(option) must be \(positive ? "a positive finite number" : "a finite number ≥ 0")\(bound) (got \(value))")
    }
}

/// A bound as the rules and the help print it: 3600, 1e+09.
private func boundText(_ bound: Double) -> String { String(format: "%g", bound) }

/// The longest a benchmark's `--seconds` may ask one measurement to take: an hour, far beyond any noise it could average.
let longestMeasurementSeconds = 3600.0
private let secondsBound = boundText(longestMeasurementSeconds)

/// Options every benchmark shares.
struct BenchOptions: ParsableArguments {
    @OptionGroup var threadOptions: ThreadOptions

    @Flag(help: "Print one JSON document instead of a table.")
    var json = false

    /// Sets the threads and prints what the benchmark runs on (to standard error, so --json stays one document).
    func apply() {
        threadOptions.apply()
        Console.info(MachineDescription.current.line)
    }
}

/// Where file benchmarks write, and how often they repeat.
struct BenchFiles: ParsableArguments {
    @Option(help: "Folder for the benchmark's files (default: a temporary folder, removed afterwards).") var dir: String?
    @Option(help: "Runs (of each kind; the median is reported).") var repeats = 3

    func validate() throws {
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
    }

    func withFolder<T>(named name: String, _ body: (URL) throws -> T) throws -> T {
        let folder = dir.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("toonkit-bench-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { if dir == nil { try? FileManager.default.removeItem(at: folder) } }
        return try body(folder)
    }
}

struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "3×3 convolution GFLOP/s on StyleGAN2-256 layer shapes (forward and both backward passes) and FID Inception's "
            + "stride-1 3×3, 5×5, 1×7, 7×1, 1×3 and 3×1 layers (forward, their weights' transforms kept as FID keeps them), "
            + "against OpenBLAS's sgemm 2048³ timed beside each row (and, where the engine sends such products to its own "
            + "blocked kernels, their rate on it once); "
            + "the engine's vector kernels with each instruction set the CPU supports.",
        discussion: roundTripHelp)

    @OptionGroup var options: BenchOptions
    @Option(help: "Batch size of every row (default: 4 for the StyleGAN2 rows, toonkit fid's 8 for the FID rows, as each runs).")
    var batch: Int?
    @Option(help: "Minimum seconds of each row's own calls, at most \(secondsBound) (the median call is reported); a convolution row's sgemm, timed in turns with it, takes about as long again.") var seconds = 0.5
    @Option(help: ArgumentHelp("Time only the rows whose layer and pass, or vector kernel name, contain this text (case-insensitive), e.g. 'up 3x3' or '@256x256 backward'; sgemm is always measured.",
                               valueName: "text"))
    var only: String?
    @OptionGroup var comparison: AgainstOption

    func validate() throws {
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1") }
        try requireFinite(seconds, "--seconds", positive: false, atMost: longestMeasurementSeconds)
    }

    func run() throws {
        options.apply()
        let against = comparison.against
        let report = try KernelBenchmark.run(batch: batch, minimumSeconds: seconds, only: only, against: against) { Console.info($0) }
        if let only, report.rows.isEmpty && report.vectorKernels.isEmpty {
            throw ValidationError("--only '\(only)' matches no layer, pass or vector kernel; run without it to see every row's name")
        }
        if options.json {
            print(JSONText.encode(report, pretty: true))
            return
        }
        let engineSet = KernelInstructionSet(rawValue: report.instructionSet)?.displayName ?? report.instructionSet
        print("OpenBLAS core: \(report.blasCore), threads: \(report.threads), sgemm 2048^3: \(String(format: "%.1f", report.sgemmGflops)) GFLOP/s"
              + (report.blockedGflops.map { String(format: "; the engine's blocked products 2048^3: %.1f GFLOP/s", $0) } ?? ""))
        print("engine kernels: \(engineSet) (\(KernelInstructionSet.environmentVariable)=\(KernelInstructionSet.allCases.map(\.rawValue).joined(separator: "|")) forces one)")
        print(CPURoundTrip.line(report.cpuRoundTrip))
        let againstTitle = against.map { String(format: "  %@ ms  as long", $0.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) } ?? ""
        print("ratio to sgemm: to sgemm 2048^3 timed beside each row, in turns with it (the sgemm column, GFLOP/s)")
        print("round trip: the CPUs' round trip measured after each turn of that sgemm, median (and range when it changed)")
        print("kernels: the engine's kernels in one more call, with their shares of its time (5 % or more)")
        print("layer                            pass            batch       ms      GFLOP/s  ratio to sgemm  sgemm" + againstTitle
              + "  round trip        kernels")
        for row in report.rows {
            let comparison = row.against.map { String(format: " %11.2f %8.2f×", $0.seconds * 1e3, $0.speedup) } ?? ""
            print(row.layer.padding(toLength: 33, withPad: " ", startingAt: 0) + row.pass.padding(toLength: 16, withPad: " ", startingAt: 0)
                  + String(format: "%5d %8.2f %10.1f %8.2f %12.1f", row.batch, row.seconds * 1e3, row.gflops, row.ratioToSgemm, row.sgemmGflops)
                  + comparison + "  " + (row.cpuRoundTrip?.summary ?? "-").padding(toLength: 16, withPad: " ", startingAt: 0) + "  "
                  + row.kernelSummary)
        }
        print("engine vector kernel                                  set          ms      GFLOP/s")
        for row in report.vectorKernels {
            print(row.kernel.padding(toLength: 54, withPad: " ", startingAt: 0) + row.instructionSet.padding(toLength: 9, withPad: " ", startingAt: 0)
                  + String(format: "%9.3f %10.1f", row.seconds * 1e3, row.gflops))
        }
    }
}

struct BenchSwap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swap",
        abstract: "Swap two paper256-sized checkpoints (G, G_ema, D; ~300 MB each): time with and without fsync, peak RSS.",
        discussion: """
        Writes two randomly initialised checkpoints into --dir (default: a temporary folder, removed \
        afterwards), then runs `swap --at R` on them --repeats times without fsync and as many times with \
        it. The time covers the whole operation (open, plan, stream, hash the inputs, commit). Peak RSS is \
        VmHWM from /proc/self/status, reset before each run; a streaming swap should stay within the \
        baseline (the process's RSS before the run) plus 3 × the largest tensor. The inputs are in the page \
        cache (just written), so this measures the tool, not the disk. CPU seconds (user + system, all \
        threads) do not depend on other load; wall time does: on a shared machine, `chrt -f 10 toonkit \
        bench swap` shows what an idle one would give.
        """)

    @Option(help: "Block resolution to swap at.") var at = 64
    @Flag(name: .customLong("keep-d"), help: "Swap with --keep-d (the output holds D too: ~300 MB instead of ~200 MB).") var keepD = false
    @OptionGroup var files: BenchFiles
    @OptionGroup var options: BenchOptions

    func run() throws {
        options.apply()
        try files.withFolder(named: "swap") { folder in try measure(in: folder) }
    }

    private func measure(in folder: URL) throws {
        let repeats = files.repeats
        let interrupt = InterruptFlag(message: "interrupt: stopping after the current step and removing the benchmark's files (Ctrl-C again to quit now)")
        let report: SwapBenchmarkReport
        do {
            report = try SwapBenchmark.run(directory: folder, at: at, repeats: repeats, keepDiscriminator: keepD,
                                           progress: { Console.info($0) }, shouldStop: { interrupt.isSet })
        } catch is CancellationError {
            Console.info("interrupted")
            throw ExitCode(130)
        }
        if options.json {
            print(JSONText.encode(report, pretty: true))
            return
        }
        let megabytes = { (bytes: Int) in String(format: "%.1f MB", Double(bytes) / 1e6) }
        print("\(report.preset) checkpoints: \(megabytes(report.checkpointBytes)) each, \(report.tensorsPerCheckpoint) tensors; "
              + "largest tensor \(report.largestTensor) \(megabytes(report.largestTensorBytes))")
        print("run  fsync  seconds  of which fsync  CPU seconds  written    peak RSS   baseline   growth     allowed (3 × largest)")
        for (index, run) in report.runs.enumerated() {
            print(String(format: "%-4d ", index) + (run.durable ? "yes" : "no").padding(toLength: 6, withPad: " ", startingAt: 0)
                  + String(format: " %7.3f  %14.3f  %11.3f  ", run.seconds, run.fsyncSeconds, run.cpuSeconds)
                  + megabytes(run.bytesWritten).padding(toLength: 11, withPad: " ", startingAt: 0)
                  + [run.peakRSSBytes, run.baselineRSSBytes, run.peakRSSBytes - run.baselineRSSBytes, report.allowedGrowthBytes]
                    .map { megabytes($0).padding(toLength: 10, withPad: " ", startingAt: 0) }.joined(separator: " "))
        }
        print(String(format: "median: %.3f s without fsync, %.3f s with fsync", report.medianSeconds(durable: false), report.medianSeconds(durable: true)))
    }
}

struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Images per second of a randomly initialised generator prepared for inference as generate prepares it (mapping + synthesis, const noise), its share of sgemm's rate, and a kernel profile.",
        discussion: "Networks: paper256 (256², channel_base 16384, 8 mapping layers), tiny64 (64², channel_base 512, max 64, the fixture's shape) and demo32 (the demo's base). \(sgemmShareHelp) \(atSgemmRateHelp) \(roundTripHelp)")

    @OptionGroup var options: BenchOptions
    @Option(help: "Network shape: paper256, tiny64 or demo32.") var network = "paper256"
    @Option(parsing: .upToNextOption, help: "Batch sizes (default: 1 4 for paper256, 8 otherwise).") var batch: [Int] = []
    @Option(help: "Minimum seconds per measurement (at most \(secondsBound)).") var seconds = 3.0
    @OptionGroup var comparison: AgainstOption
    @OptionGroup var unkept: UnkeptTransformsOption

    func validate() throws {
        if batch.contains(where: { $0 < 1 }) { throw ValidationError("--batch sizes must be at least 1") }
        try requireFinite(seconds, "--seconds", positive: true, atMost: longestMeasurementSeconds)
        if comparison.against != nil && unkept.againstUnkeptTransforms {
            throw ValidationError("--against and --against-unkept-transforms: one comparison at a time")
        }
    }

    func run() throws {
        options.apply()
        let architecture = try BenchmarkNetwork.architecture(named: network)
        let batches = batch.isEmpty ? (network == "paper256" ? [1, 4] : [8]) : batch
        let report = try GenerationBenchmark.run(architecture: architecture, name: network, batches: batches, minimumSeconds: seconds,
                                                 against: comparison.against, againstUnkeptTransforms: unkept.againstUnkeptTransforms) { Console.info($0) }
        if options.json { print(JSONText.encode(report, pretty: true)); return }
        print("\(report.network): OpenBLAS core \(report.blasCore), \(report.threads) threads")
        for row in report.rows {
            print(String(format: "batch %d: %.3f s per batch, %.2f img/s", row.batch, row.secondsPerBatch, row.imagesPerSecond)
                  + (row.against?.summary(unit: "s") ?? ""))
            print("  " + row.arithmetic.summary(per: "batch") + "; " + row.arithmetic.imagesAtSgemmRate(batch: row.batch))
            print("  " + CPURoundTrip.line(row.cpuRoundTrip))
        }
        printProfile(report.profile, title: "profile of one batch of \(batches.last!)")
    }
}

struct BenchInception: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inception",
        abstract: "Images per second of FID's Inception-v3 features (resized to 299² inside), its share of sgemm's rate, and a kernel profile.",
        discussion: "Formula weights: the work does not depend on the weights' values. scripts/bench_pytorch.py runs pytorch-fid's network on the same machine for comparison. \(sgemmShareHelp) \(atSgemmRateHelp) \(roundTripHelp)")

    @OptionGroup var options: BenchOptions
    @Option(help: "Side of the square input images (they are resized to 299² inside, as pytorch-fid does).") var size = 256
    @Option(help: "Images per pass (default: toonkit fid's).") var batch = FIDEvaluator.defaultBatchSize
    @Option(help: "Minimum seconds per measurement (at most \(secondsBound)).") var seconds = 3.0
    @OptionGroup var inceptionRounding: InceptionRoundingOption
    @OptionGroup var comparison: AgainstOption
    @Option(help: ArgumentHelp("Also time the network with this rounding, alternating call by call with --rounding's, as --against does for an algorithm.",
                               valueName: "rounding"))
    var againstRounding: ConvRounding?
    @OptionGroup var unkept: UnkeptTransformsOption

    func validate() throws {
        guard size >= 1, batch >= 1 else { throw ValidationError("--size and --batch must be at least 1") }
        try requireFinite(seconds, "--seconds", positive: false, atMost: longestMeasurementSeconds)
        let comparisons = [comparison.against != nil, againstRounding != nil, unkept.againstUnkeptTransforms].filter { $0 }.count
        guard comparisons <= 1 else {
            throw ValidationError("--against, --against-rounding and --against-unkept-transforms: one comparison at a time")
        }
    }

    func run() throws {
        options.apply()
        let report = try InceptionBenchmark.run(inputSize: size, batch: batch, minimumSeconds: seconds, against: comparison.against,
                                                rounding: inceptionRounding.chosen, againstRounding: againstRounding,
                                                againstUnkeptTransforms: unkept.againstUnkeptTransforms)
        if options.json { print(JSONText.encode(report, pretty: true)); return }
        print(String(format: "inception %d² batch %d, %@ rounding: %.3f s per batch, %.2f img/s (OpenBLAS core %@, %d threads)", report.inputSize,
                     report.batch, report.rounding.rawValue, report.secondsPerBatch, report.imagesPerSecond, report.blasCore, report.threads)
                     + (report.against?.summary(unit: "s") ?? ""))
        print(report.arithmetic.summary(per: "batch") + "; " + report.arithmetic.imagesAtSgemmRate(batch: report.batch))
        print(CPURoundTrip.line(report.cpuRoundTrip))
        printProfile(report.profile, title: "profile of one batch")
    }
}

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Seconds per training step (Gmain + Dmain + Greg/4 + Dreg/16, ADA bg at p = 0.328), kimg per hour, the share of sgemm's rate, and a kernel profile.",
        discussion: "Averages 16 iterations after one warm-up, which contain each regularisation phase exactly as often as the formula says. \(sgemmShareHelp) Networks: tiny64 (batch 8 by default) and paper256 (batch 4). \(roundTripHelp)")

    @OptionGroup var options: BenchOptions
    @Option(help: "Network shape: tiny64, demo32 (the demo's base) or paper256.") var network = "tiny64"
    @Option(help: "Batch size (default: 8 for tiny64, 4 for paper256).") var batch: Int?
    @Option(help: "Iterations to average (16 covers the regularisation schedule once).") var iterations = 16

    func validate() throws {
        if iterations < 1 { throw ValidationError("--iterations must be at least 1") }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1") }
    }

    func run() throws {
        options.apply()
        let report = try TrainingBenchmark.run(network: network, batch: batch ?? (network == "tiny64" ? 8 : 4), iterations: iterations) {
            Console.progress($0)
        }
        Console.finishProgress()
        if options.json { print(JSONText.encode(report, pretty: true)); return }
        print("\(report.network), batch \(report.batch): \(String(format: "%.3f", report.secondsPerIteration)) s per step, "
              + String(format: "%.3f kimg/h", report.kimgPerHour) + " (OpenBLAS core \(report.blasCore), \(report.threads) threads)")
        print(report.arithmetic.summary(per: "step"))
        print(CPURoundTrip.line(report.cpuRoundTrip))
        printProfile(report.profile, title: "profile per step")
    }
}

struct BenchAllReduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Under mpirun: bytes a data-parallel training step all-reduces, their time here, and a projection to more ranks.",
        discussion: """
        Run as `mpirun -np 2 toonkit bench allreduce --network paper256`. Measures MPI_Allreduce of buffers the size \
        of G's and D's parameters (the gradients of Gmain/Greg and Dmain/Dreg), amortised over the regularisation \
        intervals (G 1 + 1/4, D 1 + 1/16 per step). The projection assumes a ring all-reduce (each rank sends and \
        receives 2(R − 1)/R of the bytes) over --gbits, ignoring latency; with --compute-seconds (a step's compute \
        at the per-rank batch, e.g. from `toonkit bench train`) it adds the two, as toonkit does not overlap them.
        """)

    @OptionGroup var options: BenchOptions
    @Option(help: "Network shape: tiny64, demo32 or paper256.") var network = "paper256"
    @Option(help: "All-reduces to take the median of.") var repeats = 5
    @Option(name: .customLong("project-ranks"), help: "Ranks to project to.") var projectRanks = 8
    @Option(help: "Link speed for the projection, Gbit/s.") var gbits = 10.0
    @Option(name: .customLong("compute-seconds"), help: "Seconds of compute per step at the per-rank batch, for the projected step time.")
    var computeSeconds: Double?

    func validate() throws {
        guard repeats >= 1, projectRanks >= 2 else { throw ValidationError("--repeats ≥ 1 and --project-ranks ≥ 2") }
        try requireFinite(gbits, "--gbits", positive: true)
        if let computeSeconds { try requireFinite(computeSeconds, "--compute-seconds", positive: false) }
    }

    func run() throws {
        options.apply()
        guard let ranks = try MPICollective.launched() else {
            throw TrainingError("bench allreduce measures MPI all-reduces: run it under mpirun (e.g. `mpirun -np 2 toonkit bench allreduce`); alone there is nothing to all-reduce")
        }
        defer { ranks.finish() }
        let report = try AllReduceBenchmark.run(network: network, collective: ranks, repeats: repeats, projectedRanks: projectRanks,
                                                gigabitsPerSecond: gbits, computeSeconds: computeSeconds)
        guard ranks.share.rank == 0 else { return }
        if options.json { print(JSONText.encode(report, pretty: true)); return }
        print("\(report.network): G \(report.generatorParameters) and D \(report.discriminatorParameters) parameters; \(String(format: "%.1f", report.bytesPerStep / 1e6)) MB all-reduced per step")
        print(String(format: "measured over %d ranks on %@: G %.3f s, D %.3f s per all-reduce, %.3f s per step", report.ranks, ranks.hostName,
                     report.secondsPerGeneratorReduce, report.secondsPerDiscriminatorReduce, report.secondsPerStep))
        if let projection = report.projection {
            let step = projection.stepSeconds.map { String(format: ", step %.2f s with %.2f s compute", $0, projection.computeSeconds!) } ?? ""
            print(String(format: "projected for %d ranks over %.0f Gbit/s (ring): %.3f s communication per step", projection.ranks,
                         projection.gigabitsPerSecond, projection.communicationSeconds) + step)
        }
    }
}

private let sgemmShareHelp = "The share of sgemm's rate counts the direct multiply-adds of every convolution and matrix product that ran (also when a kernel, such as Winograd, does fewer), against OpenBLAS's sgemm 2048³ timed in the same process in turns with the work (one product after about every half second of batches, or after every training step, and once before), so a host whose speed changes within seconds moves both alike."
private let roundTripHelp = "It also prints the CPUs' round trip: how long a cache line took between two CPUs and back, measured beside the work (after each turn of the sgemm reference, or each training step). On a virtual machine it shows where the host placed the CPUs; work split over threads runs slower when they are far apart, so compare numbers taken at similar round trips (docs/engine-kernels.md \"The host's slow state\")."
private let atSgemmRateHelp = "\"img/s at sgemm's rate\" is the rate if all of that arithmetic ran at sgemm's speed: this machine's float32 yardstick for comparisons with other programs."

/// A kernel profile as a table: kernel, own seconds, share of the profiled time, seconds with the kernels it calls,
/// calls. Own times exclude the listed kernels a kernel calls (conv2d's excludes its sgemm), so the shares add up.
private func printProfile(_ profile: [ProfileLine], title: String) {
    let total = profile.reduce(0) { $0 + $1.ownSeconds }
    print("\(title) (kernel, own seconds, share of the profiled time, seconds with the kernels it calls, calls):")
    for line in profile {
        print(line.kernel.padding(toLength: 22, withPad: " ", startingAt: 0)
              + String(format: "%8.4f %6.1f%% %9.4f %6d", line.ownSeconds, 100 * line.ownSeconds / max(total, 1e-9), line.seconds, line.calls))
    }
}

struct BenchImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import throughput and peak memory: `toonkit import FILE` repeated, timed as a whole.",
        discussion: """
        Imports FILE --repeats times into a temporary folder (or --dir) and reports wall time, MB/s (the \
        file's size over the time) and peak RSS above the baseline, which counts the memory-mapped file's \
        pages once they are read. A paper256-shaped NVIDIA pickle (~296 MB) comes from \
        `python3 scripts/make_stylegan2_pickle.py paper256.pkl` (no torch needed).
        """)

    @Argument(help: "The file to import (any format `toonkit import` reads).") var file: String
    @OptionGroup var files: BenchFiles
    @OptionGroup var options: BenchOptions

    func run() throws {
        options.apply()
        let report = try files.withFolder(named: "import") { folder in
            try ImportBenchmark.run(file: URL(fileURLWithPath: file), directory: folder, repeats: files.repeats) { Console.info($0) }
        }
        if options.json { print(JSONText.encode(report, pretty: true)); return }
        print(String(format: "%@: %.1f MB, %@, %d tensors", report.file, Double(report.fileBytes) / 1e6, report.format, report.tensors))
        for (index, run) in report.runs.enumerated() {
            print(String(format: "run %d: %.3f s, %.0f MB/s, peak RSS %.1f MB (baseline %.1f MB)", index, run.seconds, run.megabytesPerSecond,
                         Double(run.peakRSSBytes) / 1e6, Double(run.baselineRSSBytes) / 1e6))
        }
        print(String(format: "median: %.3f s, %.0f MB/s; peak RSS growth %.2f × the file size", report.medianSeconds,
                     report.medianMegabytesPerSecond, report.peakGrowthOverFileSize))
    }
}
