import Foundation
import Testing
import TestSupport
import Engine
@testable import Checkpoint

@Suite(.enabled(if: Toonkit.executable != nil, Comment(rawValue: Toonkit.missing)))
struct CLITests {
    func toonkitRun(_ arguments: String...) throws -> ProcessResult { try Toonkit.run(arguments) }

    /// A quick benchmark, for its machine line.
    static let benchmarkWithMachineLine = ["bench", "generate", "--network", "tiny64", "--batch", "1", "--seconds", "0.01"]

    /// The CLI restarts itself once with OPENBLAS_THREAD_TIMEOUT=16 unless the caller set it (docs/engine-kernels.md
    /// "OpenBLAS's idle threads"); the benchmarks' machine line shows the spin the process runs with.
    @Test func restartsWithTheBLASThreadTimeoutUnlessSet() throws {
        let bench = Self.benchmarkWithMachineLine
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_THREAD_TIMEOUT"] = nil
        let restarted = try Toonkit.run(bench, environment: environment)
        #expect(restarted.status == 0, "\(restarted.stderr)")
        #expect(restarted.stderr.contains("idle-thread spin 2^16 cycles (OPENBLAS_THREAD_TIMEOUT)"), "\(restarted.stderr)")
        environment["OPENBLAS_THREAD_TIMEOUT"] = "20"
        let kept = try Toonkit.run(bench, environment: environment)
        #expect(kept.status == 0, "\(kept.stderr)")
        #expect(kept.stderr.contains("idle-thread spin 2^20 cycles"), "\(kept.stderr)")
    }

    /// The machine line says whether OpenBLAS detected its kernel family or OPENBLAS_CORETYPE named it: an environment
    /// that names one changes sgemm's speed without a trace otherwise (docs/engine-kernels.md "OpenBLAS's kernel family").
    @Test func machineLineSaysHowOpenBLASChoseItsFamily() throws {
        let name = EngineThreads.blasCoreEnvironmentVariable
        var environment = ProcessInfo.processInfo.environment
        environment[name] = nil
        let detected = try Toonkit.run(Self.benchmarkWithMachineLine, environment: environment)
        #expect(detected.status == 0, "\(detected.stderr)")
        #expect(detected.stderr.contains(" (detected);"), "\(detected.stderr)")
        // Naming the family this test process runs is sure to be accepted on this CPU.
        environment[name] = EngineThreads.blasCoreName
        let named = try Toonkit.run(Self.benchmarkWithMachineLine, environment: environment)
        #expect(named.status == 0, "\(named.stderr)")
        #expect(named.stderr.contains("OpenBLAS core \(EngineThreads.blasCoreName) (\(name)=\(EngineThreads.blasCoreName));"), "\(named.stderr)")
    }

    /// bench generate states each batch's direct multiply-adds against sgemm's rate: the generator's arithmetic is per
    /// image, so a batch of 2 counts exactly twice a batch of 1, and the share is the measured rate over sgemm's.
    @Test func generateBenchmarkCountsArithmeticPerBatch() throws {
        let result = try toonkitRun("bench", "generate", "--network", "tiny64", "--batch", "1", "2", "--seconds", "0.01", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let rows = try #require(report?["rows"] as? [[String: Any]])
        let shares = try rows.map { try #require($0["arithmetic"] as? [String: Double]) }
        try #require(shares.count == 2)
        #expect(shares[0]["multiplyAdds"]! > 1e6)
        #expect(shares[1]["multiplyAdds"] == 2 * shares[0]["multiplyAdds"]!)
        for (row, share) in zip(rows, shares) {
            let seconds = try #require(row["secondsPerBatch"] as? Double)
            #expect(abs(share["gflops"]! - 2 * share["multiplyAdds"]! / seconds / 1e9) <= 1e-9 * share["gflops"]!)
            #expect(abs(share["fraction"]! - share["gflops"]! / share["sgemmGflops"]!) <= 1e-12)
        }
    }

    /// bench train times its sgemm yardstick between the steps with the profiler paused: a step of tiny64 at batch 8 is
    /// about 1.4e9 multiply-adds, and one 2048³ product counted into it would add 8.6e9.
    @Test func trainBenchmarkKeepsItsSgemmYardstickOutOfTheStep() throws {
        let result = try toonkitRun("bench", "train", "--network", "tiny64", "--iterations", "1", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let share = try #require(report?["arithmetic"] as? [String: Double])
        #expect(share["multiplyAdds"]! > 1e8 && share["multiplyAdds"]! < 2048 * 2048 * 2048)
        #expect(share["sgemmGflops"]! > 0)
        #expect(abs(share["fraction"]! - share["gflops"]! / share["sgemmGflops"]!) <= 1e-12)
        if ProcessInfo.processInfo.activeProcessorCount >= 2 {
            let roundTrip = try #require(report?["cpuRoundTrip"] as? [String: Any])
            let taken = (roundTrip["measurements"] as? Int ?? 0) + (roundTrip["unanswered"] as? Int ?? 0)
            #expect(taken >= 2, "one before the step, one after it: \(roundTrip)")
        }
    }

    /// Every benchmark row states the CPUs' round trip measured beside it (docs/engine-kernels.md "The host's slow state"):
    /// a time that a cache line can take between two CPUs, measured once per turn of the sgemm reference (a measurement the
    /// other CPU, busy with other tests, does not finish in time is counted as unanswered); a process held to one CPU
    /// measures none and says why.
    @Test func benchmarksStateTheCPUsRoundTrip() throws {
        guard ProcessInfo.processInfo.activeProcessorCount >= 2 else { return }
        let result = try toonkitRun("bench", "kernels", "--only", "FID 1x3", "--seconds", "0.01", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let rows = try #require(report["rows"] as? [[String: Any]])
        let roundTrips = try [#require(report["cpuRoundTrip"] as? [String: Any])] + rows.map { try #require($0["cpuRoundTrip"] as? [String: Any]) }
        for (index, roundTrip) in roundTrips.enumerated() {
            #expect(roundTrip["firstCPU"] as? Int != roundTrip["secondCPU"] as? Int)
            // The report's one before the table; a row's one after each of its at least 3 turns.
            let measured = roundTrip["measurements"] as? Int ?? 0
            #expect(measured + (roundTrip["unanswered"] as? Int ?? 0) >= (index == 0 ? 1 : 3), "\(roundTrip)")
            guard measured > 0 else { continue }
            let nanoseconds = ["minimumNanoseconds", "medianNanoseconds", "maximumNanoseconds"].map { roundTrip[$0] as? Double ?? .nan }
            #expect(nanoseconds[0] > 1 && nanoseconds[0] <= nanoseconds[1] && nanoseconds[1] <= nanoseconds[2] && nanoseconds[2] < 1e6, "\(roundTrip)")
        }
        #expect(roundTrips.contains { $0["measurements"] as? Int ?? 0 > 0 }, "\(roundTrips)")
        guard let taskset = ["/usr/bin/taskset", "/bin/taskset"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }),
              let executable = Toonkit.executable, let cpu = roundTrips[0]["firstCPU"] as? Int else { return }
        let oneCPU = try run(URL(fileURLWithPath: taskset), ["-c", "\(cpu)", executable.path, "bench", "kernels", "--only", "FID 1x3", "--seconds", "0.01"])
        #expect(oneCPU.status == 0, "\(oneCPU.stderr)")
        #expect(oneCPU.stderr.contains("CPU round trip: not measured (the process may run on one CPU only)"), "\(oneCPU.stderr)")
        #expect(oneCPU.stdout.contains("CPU round trip: not measured"), "\(oneCPU.stdout)")
    }

    /// bench kernels times the StyleGAN2 rows at batch 4 and the FID rows at toonkit fid's batch, as each runs, unless
    /// --batch sets every row's.
    @Test func kernelBenchmarkRowsRunAtTheirWorkloadsBatch() throws {
        func batches(_ extra: String...) throws -> [String: Int] {
            let result = try Toonkit.run(["bench", "kernels", "--only", "512->512 @8x8 forward", "--seconds", "0.01", "--json"] + extra)
            #expect(result.status == 0, "\(result.stderr)")
            let fid = try Toonkit.run(["bench", "kernels", "--only", "FID 1x3", "--seconds", "0.01", "--json"] + extra)
            #expect(fid.status == 0, "\(fid.stderr)")
            let rows = try [result, fid].flatMap { run in
                try #require((JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["rows"] as? [[String: Any]])
            }
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["layer"] as? String ?? "?", $0["batch"] as? Int ?? 0) })
        }
        #expect(try batches() == ["3x3 512->512 @8x8": 4, "FID 1x3 384->384 @8x8 pad 0,1": 8])
        #expect(try batches("--batch", "2") == ["3x3 512->512 @8x8": 2, "FID 1x3 384->384 @8x8 pad 0,1": 2])
        let refused = try toonkitRun("bench", "kernels", "--batch", "0")
        #expect(refused.status != 0 && refused.stderr.contains("--batch must be at least 1"), "\(refused.stderr)")
    }

    /// bench kernels names the kernels each row ran, from one more profiled call: the 8² layer's forward pass by im2col and
    /// a product (OpenBLAS's, or the engine's blocked one on 16-lane sets) at batch 1, by Winograd at batch 4
    /// (docs/engine-kernels.md "Narrow planes").
    @Test func kernelBenchmarkNamesEachRowsKernels() throws {
        func kernels(batch: Int) throws -> [String] {
            let result = try toonkitRun("bench", "kernels", "--only", "512->512 @8x8 forward", "--batch", "\(batch)", "--seconds", "0.01", "--json")
            #expect(result.status == 0, "\(result.stderr)")
            let rows = try #require((JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])?["rows"] as? [[String: Any]])
            try #require(rows.count == 1)
            return try #require(rows[0]["kernels"] as? [[String: Any]]).compactMap { $0["kernel"] as? String }
        }
        let one = try kernels(batch: 1), four = try kernels(batch: 4)
        #expect(one.contains("im2col") && (one.contains("sgemm") || one.contains("gemm (blocked)")) && !one.contains("conv3x3 winograd"), "\(one)")
        #expect(four.contains("conv3x3 winograd") && !four.contains("sgemm"), "\(four)")
        let table = try toonkitRun("bench", "kernels", "--only", "512->512 @8x8 forward", "--batch", "4", "--seconds", "0.01")
        #expect(table.status == 0 && table.stdout.contains("conv3x3 winograd "), "\(table.stdout)")
    }

    /// bench kernels --against times each row with a second algorithm in the same loop and states how many times as long it
    /// took; bench inception and bench generate --against do so for the whole batch, bench inception --against-rounding
    /// with the network's other rounding, and both --against-unkept-transforms with weights that keep no convolution transforms.
    @Test func kernelBenchmarkComparesAgainstAnotherAlgorithm() throws {
        let result = try toonkitRun("bench", "kernels", "--only", "FID 1x3", "--against", "im2col", "--batch", "1", "--seconds", "0.01", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let rows = try #require(report?["rows"] as? [[String: Any]])
        try #require(rows.count == 1)
        let against = try #require(rows[0]["against"] as? [String: Any])
        #expect(against["variant"] as? String == "im2col")
        let (seconds, other) = (try #require(rows[0]["seconds"] as? Double), try #require(against["seconds"] as? Double))
        #expect(seconds > 0 && other > 0)
        #expect(abs(try #require(against["speedup"] as? Double) - other / seconds) <= 1e-12 * other / seconds)
        let inception = try toonkitRun("bench", "inception", "--size", "75", "--batch", "1", "--seconds", "0", "--against", "direct", "--json")
        #expect(inception.status == 0, "\(inception.stderr)")
        let whole = try JSONSerialization.jsonObject(with: Data(inception.stdout.utf8)) as? [String: Any]
        #expect((whole?["against"] as? [String: Any])?["variant"] as? String == "direct")
        #expect(whole?["rounding"] as? String == "relaxed")
        let rounding = try toonkitRun("bench", "inception", "--size", "75", "--batch", "1", "--seconds", "0", "--rounding", "standard",
                                      "--against-rounding", "relaxed", "--json")
        #expect(rounding.status == 0, "\(rounding.stderr)")
        let rounded = try JSONSerialization.jsonObject(with: Data(rounding.stdout.utf8)) as? [String: Any]
        #expect(rounded?["rounding"] as? String == "standard")
        #expect((rounded?["against"] as? [String: Any])?["variant"] as? String == "relaxed rounding")
        let both = try toonkitRun("bench", "inception", "--against", "im2col", "--against-rounding", "standard")
        #expect(both.status != 0 && both.stderr.contains("one comparison at a time"), "\(both.stderr)")
        let generation = try toonkitRun("bench", "generate", "--network", "demo32", "--batch", "1", "--seconds", "0.01", "--against", "im2col", "--json")
        #expect(generation.status == 0, "\(generation.stderr)")
        let generated = try JSONSerialization.jsonObject(with: Data(generation.stdout.utf8)) as? [String: Any]
        let generatedRows = try #require(generated?["rows"] as? [[String: Any]])
        #expect((generatedRows.first?["against"] as? [String: Any])?["variant"] as? String == "im2col")
        for workload in [["inception", "--size", "75", "--batch", "1", "--seconds", "0"], ["generate", "--network", "demo32", "--batch", "1", "--seconds", "0.01"]] {
            let unkept = try Toonkit.run(["bench"] + workload + ["--against-unkept-transforms", "--json"])
            #expect(unkept.status == 0, "\(unkept.stderr)")
            let document = try JSONSerialization.jsonObject(with: Data(unkept.stdout.utf8)) as? [String: Any]
            let against = (document?["against"] ?? (document?["rows"] as? [[String: Any]])?.first?["against"]) as? [String: Any]
            #expect(against?["variant"] as? String == "unkept transforms", "\(workload[0]): \(unkept.stdout)")
            let two = try Toonkit.run(["bench"] + workload + ["--against-unkept-transforms", "--against", "im2col"])
            #expect(two.status != 0 && two.stderr.contains("one comparison at a time"), "\(two.stderr)")
        }
        let refused = try toonkitRun("bench", "kernels", "--against", "fft")
        #expect(refused.status != 0 && refused.stderr.contains("'auto', 'direct' or 'im2col'"), "\(refused.stderr)")
    }

    @Test func validateExitsZeroOrTwo() throws {
        let folder = try TemporaryDirectory()
        let good = try Samples.write(folder.path("good.h5"))
        let bad = try Samples.write(folder.path("bad.h5"))
        try Tamper.flipByte(bad, at: try Tamper.dataOffset(bad, network: "toy", name: "synthesis.b4.const"))
        let text = folder.path("text.h5")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: text))

        #expect(try toonkitRun("validate", good).status == 0)
        let invalid = try toonkitRun("validate", bad)
        #expect(invalid.status == 2)
        #expect(invalid.stdout.isEmpty)
        #expect(invalid.stderr.hasPrefix("toonkit: error: \(bad): invalid, 1 problem(s):\n"))
        #expect(invalid.stderr.contains("toonkit: error: \(bad): /networks/toy/synthesis.b4.const: sha256 mismatch"))
        let invalidJSON = try toonkitRun("validate", bad, "--json")
        #expect(invalidJSON.status == 2)
        #expect(try JSONSerialization.jsonObject(with: Data(invalidJSON.stdout.utf8)) is [String: Any])
        let unreadable = try toonkitRun("validate", text)
        #expect(unreadable.status == 2)
        #expect(unreadable.stderr.contains("\(text): not an HDF5 file"))
    }

    /// An OpenSSL configuration that forbids SHA-256 (FIPS properties without the FIPS provider) stops with status 2
    /// and OpenSSL's reason, not a crash.
    @Test func aForbiddenChecksumIsAnErrorNotACrash() throws {
        let folder = try TemporaryDirectory()
        let checkpoint = try Samples.write(folder.path("good.h5"))
        let configuration = folder.path("fips-only.cnf")
        try Data("openssl_conf = init\n[init]\nalg_section = algorithms\n[algorithms]\ndefault_properties = fips=yes\n".utf8)
            .write(to: URL(fileURLWithPath: configuration))
        var environment = ProcessInfo.processInfo.environment
        environment["OPENSSL_CONF"] = configuration
        let refused = try Toonkit.run(["validate", checkpoint], environment: environment)
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.hasPrefix("toonkit: error: OpenSSL's EVP_DigestInit_ex failed for SHA-256: error:"), "\(refused.stderr)")
        #expect(refused.stderr.contains("(OPENSSL_CONF=\(configuration))"), "\(refused.stderr)")
    }

    @Test func inspectJSONIsExactlyOneDocument() throws {
        let folder = try TemporaryDirectory()
        let path = try Samples.write(folder.path("g.h5"))
        let result = try toonkitRun("inspect", path, "--json")
        #expect(result.status == 0)
        let document = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect((document?["networks"] as? [String: Any])?.keys.sorted() == ["toy"])

        let missing = try toonkitRun("inspect", folder.path("missing.h5"), "--json")
        #expect(missing.status == 2)
        #expect(missing.stdout.isEmpty)
        #expect(missing.stderr.contains("missing.h5: no such file"))
    }

    @Test func diffExitsByOutcomeAndPrintsJSON() throws {
        let folder = try TemporaryDirectory()
        let a = try Samples.write(folder.path("a.h5"))
        let b = try Samples.write(folder.path("b.h5"), networks: [("toy", Array(Samples.generator.dropLast()))])
        #expect(try toonkitRun("diff", a, a).status == 0)
        let different = try toonkitRun("diff", a, b, "--json", "--atol", "1e-6", "--networks", "toy")
        #expect(different.status == 1)
        let document = try JSONSerialization.jsonObject(with: Data(different.stdout.utf8)) as? [String: Any]
        let tensors = try #require(document?["tensors"] as? [[String: Any]])
        #expect(tensors.last?["status"] as? String == "only_a")
        #expect(tensors.last?["name"] as? String == Samples.generator.last?.name)
        #expect(try toonkitRun("diff", a, folder.path("nope.h5")).status == 2)
    }

    /// Numbers no run or measurement can use are refused by the option's name with status 2 before any work: NaN and
    /// infinities included, which pass a plain `> 0` (docs/training-loop.md §1). Before, `bench kernels --seconds nan` ran
    /// every row, `train --lr=-1` trained, `train --kimg inf` crashed and `generate --trunc-cutoff=-1` failed in a slice.
    /// Most cases are quick runs if their check is missing (the train cases' data is absent, the benchmarks' rows are few);
    /// `--seconds 1e300` would run for ever, so every case runs under a time limit and a lost check fails instead of hanging.
    @Test(arguments: [
        (["bench", "kernels", "--only", "FID 1x3", "--seconds", "nan"], "--seconds must be a finite number ≥ 0, at most 3600 (got nan)"),
        (["bench", "kernels", "--only", "FID 1x3", "--seconds", "1e300"], "--seconds must be a finite number ≥ 0, at most 3600 (got 1e+300)"),
        (["bench", "generate", "--network", "tiny64", "--batch", "1", "--seconds=-1"], "--seconds must be a positive finite number, at most 3600 (got -1.0)"),
        (["bench", "inception", "--size", "32", "--batch", "1", "--seconds", "nan"], "--seconds must be a finite number ≥ 0, at most 3600 (got nan)"),
        (["bench", "allreduce", "--gbits", "nan"], "--gbits must be a positive finite number (got nan)"),
        (["train", "--data", "absent.zip", "--outdir", "/nonexistent/runs", "--lr=-1"], "--lr must be a positive finite number (got -1.0)"),
        (["train", "--data", "absent.zip", "--outdir", "/nonexistent/runs", "--kimg", "1e16"], "--kimg must be a positive number of thousands of images, at most 1e+09 (got 1e+16)"),
        (["train", "--data", "absent.zip", "--outdir", "/nonexistent/runs", "--target", "nan"], "--target must be in [0, 1] (got nan)"),
        (["train", "--data", "absent.zip", "--outdir", "/nonexistent/runs", "--channel-max=-4"], "--channel-max must be at least 1 (got -4)"),
        (["generate", "absent.h5", "--seeds", "0", "--trunc-cutoff=-1", "-o", "absent.npy"], "--trunc-cutoff must be at least 0"),
        (["dataset", "info", "absent.zip", "--count", "0"], "--count must be at least 1"),
    ])
    func unusableNumbersAreRefusedByName(arguments: [String], message: String) throws {
        let result = try Toonkit.run(arguments, timeLimit: 120)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("toonkit: error: \(message)\n"), "\(result.stderr)")
    }

    /// The demo's bundled face model (`DemoJob.bundledBase`, in a module these tests do not import), by its absolute path.
    static let demoBase = Fixtures.repository.appendingPathComponent("fixtures/demo/base-faces32.h5").path

    /// `compare` and `demo` write a run folder, data sets and images before they train: their training settings are refused
    /// first, the folder never made; compare checks its FreezeD depth against the base's discriminator before it measures
    /// the data. Without the check each would first train or measure for minutes, so a lost check shows here as a slow
    /// failure, not a hang: the demo stops at once on its NaN, and compare's run is one tick long.
    @Test(arguments: [
        (["compare", "--gamma=-2", "--kimg", "0.004", "--tick", "0.004", "--fid-num", "2", "--synthetic-images", "8"],
         "--gamma must be a finite number ≥ 0 (got -2.0)"),
        (["demo", "--kimg", "nan"], "--kimg must be a positive number of thousands of images, at most 1e+09 (got nan)"),
        (["compare", "--base", demoBase, "--freezed", "100", "--kimg", "0.004", "--tick", "0.004", "--fid-num", "2", "--synthetic-images", "8"],
         "\(demoBase): --freezed 100: network D has 10 freezable layers (0…10)"),
    ])
    func workflowsRefuseSettingsBeforeWriting(arguments: [String], message: String) throws {
        let folder = try TemporaryDirectory()
        let result = try Toonkit.run(arguments + ["--outdir", folder.path("runs")], timeLimit: 600)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("toonkit: error: \(message)\n"), "\(result.stderr)")
        #expect(folder.contents.isEmpty, "nothing written before the refusal: \(folder.contents)")
    }
}
