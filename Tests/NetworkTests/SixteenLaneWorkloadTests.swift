import Engine
import Foundation
import TestSupport
import Testing

/// AVX-512's 16-lane kernels through whole commands, on any machine with AVX2 (`avx2x16`, docs/engine-kernels.md "A check
/// of the 16-lane kernels"): the fixtures' 64² generator, whose up-sampling into 64² and stride-1 layers take Winograd's
/// 16-lane stores there, writes AVX2's bytes, and two training steps from it end in AVX2's tensors. The kernel tests
/// compare the sets call by call; this covers what lies between the calls (bands, kept transforms, the layers' paths).
@Suite(.enabled(if: Toonkit.executable != nil && Fixtures.available && KernelInstructionSet.avx2x16.isSupported,
                "needs the toonkit executable, the StyleGAN2 fixtures and AVX2"))
struct SixteenLaneWorkloadTests {
    @Test func generationAndTrainingGiveAVX2sBits() throws {
        let folder = try TemporaryDirectory()
        let checkpoint = folder.path("tiny64.h5")
        try succeed(["import", Fixtures.url("tiny64.pkl").path, "-o", checkpoint])
        try succeed(["generate", checkpoint, "--seeds", "0-7", "-o", folder.path("images")])
        try succeed(["dataset", "convert", folder.path("images"), "-o", folder.path("data.zip")])
        let sets: [KernelInstructionSet] = [.avx2, .avx2x16]
        var images: [Data] = []
        for set in sets {
            let output = folder.path("\(set.rawValue).npy")
            try succeed(["generate", checkpoint, "--seeds", "0-3", "-o", output], set: set)
            images.append(try Data(contentsOf: URL(fileURLWithPath: output)))
            try succeed(["train", "--data", folder.path("data.zip"), "--resume", checkpoint, "--batch", "4", "--kimg", "0.008", "--tick", "0.004",
                         "--snap", "2", "--aug", "ada", "--metrics", "none", "--outdir", folder.path("runs-\(set.rawValue)")], set: set)
        }
        #expect(images[0] == images[1], "generate: avx2x16 against avx2")
        let snapshots = try sets.map { try snapshot(in: folder.file("runs-\($0.rawValue)")) }
        let diff = try Toonkit.run(["diff", snapshots[0], snapshots[1]])
        #expect(diff.status == 0, "train: avx2x16 against avx2: \(diff.stdout.suffix(400))")
    }

    /// The one run's last snapshot under a training output folder.
    private func snapshot(in runs: URL) throws -> String {
        let files = FileManager.default
        let run = runs.appendingPathComponent(try #require(try files.contentsOfDirectory(atPath: runs.path).first, "no run in \(runs.path)"))
        let name = try #require(try files.contentsOfDirectory(atPath: run.path).filter { $0.hasPrefix("snapshot-") }.max(), "no snapshot in \(run.path)")
        return run.appendingPathComponent(name).path
    }

    private func succeed(_ arguments: [String], set: KernelInstructionSet? = nil) throws {
        var environment = ProcessInfo.processInfo.environment
        if let set { environment[KernelInstructionSet.environmentVariable] = set.rawValue }
        let result = try Toonkit.run(arguments, environment: environment)
        #expect(result.status == 0, "toonkit \(arguments.joined(separator: " ")): \(result.stderr.suffix(600))")
    }
}
