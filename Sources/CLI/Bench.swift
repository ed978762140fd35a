import ArgumentParser
import Engine
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks. Run them from a release build (`swift build -c release`); debug builds are 10–100× slower.",
        discussion: "The OpenBLAS kernel family is printed with every benchmark; set OPENBLAS_CORETYPE to compare (e.g. Haswell, SkylakeX).",
        subcommands: [BenchKernels.self]
    )
}

/// Options every benchmark shares.
struct BenchOptions: ParsableArguments {
    @Option(help: "Threads for GEMM and the engine's kernels (default: all cores).")
    var threads: Int?

    @Flag(help: "Print one JSON document instead of a table.")
    var json = false

    func apply() { if let threads { EngineThreads.count = threads } }
}

struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "3×3 convolution GFLOP/s on StyleGAN2-256 layer shapes (forward and both backward passes), against sgemm 2048³.")

    @OptionGroup var options: BenchOptions
    @Option(help: "Batch size.") var batch = 4
    @Option(help: "Minimum seconds per measurement (the median of repeated calls is reported).") var seconds = 0.5

    func run() throws {
        options.apply()
        let report = try KernelBenchmark.run(batch: batch, minimumSeconds: seconds) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        if options.json {
            print(try JSONOutput.encode(report))
            return
        }
        print("OpenBLAS core: \(report.blasCore), threads: \(report.threads), sgemm 2048^3: \(String(format: "%.1f", report.sgemmGflops)) GFLOP/s")
        print("layer                         pass              ms      GFLOP/s  ratio to sgemm")
        for row in report.rows {
            print(row.layer.padding(toLength: 30, withPad: " ", startingAt: 0) + row.pass.padding(toLength: 16, withPad: " ", startingAt: 0)
                  + String(format: "%8.2f %10.1f %8.2f", row.seconds * 1e3, row.gflops, row.ratioToSgemm))
        }
    }
}
