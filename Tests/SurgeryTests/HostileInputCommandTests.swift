import Checkpoint
import Networks
import Foundation
import Interop
import TestSupport
import Testing

/// Broken and hostile inputs through the command line: every command exits 2 with `toonkit: error: FILE: …`,
/// never blocks on a pipe, and leaves nothing new behind.
@Suite(.enabled(if: Fixtures.available && Toonkit.executable != nil,
                "skipped: needs the fixtures and a toonkit executable next to the test bundle (run `swift build` first)"))
struct HostileInputCommandTests {
    /// Runs toonkit and checks the one error path: status 2 and a first line naming `file`.
    func expectRefused(_ arguments: [String], naming file: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let result = try Toonkit.run(arguments)
        #expect(result.status == 2, "\(arguments): status \(result.status)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("toonkit: error: \(file)"), "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
    }

    @Test func everyKindOfBadCheckpointIsNamedWithStatusTwo() throws {
        let folder = try TemporaryDirectory()
        let garbage = folder.path("garbage.h5")
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: garbage))
        for bad in [folder.path("missing.h5"), folder.path(""), garbage] {
            try expectRefused(["generate", bad, "--seeds", "0", "--grid", folder.path("g.png")], naming: bad)
            try expectRefused(["score", bad, "--images", garbage], naming: bad)
            try expectRefused(["inspect", bad], naming: bad)
        }
        #expect(folder.contents == ["garbage.h5"])
    }

    @Test func badImageAndLatentFilesAreNamedAndPipesDoNotBlock() throws {
        let folder = try TemporaryDirectory()
        let (base, _) = try Inputs.pair("tiny32", in: folder)
        let pipe = try HostileFiles.fifo(folder.path("pipe.npy"))
        let garbage = folder.path("garbage.npy")
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: garbage))
        for bad in [pipe, "/dev/zero", folder.url.path, garbage, folder.path("missing.npy")] {
            try expectRefused(["generate", base, "--ws", bad, "-o", folder.path("out")], naming: bad)
        }
        for bad in [pipe, "/dev/zero", garbage] {
            try expectRefused(["score", base, "--images", bad], naming: bad)
        }
        try expectRefused(["run", pipe], naming: pipe)
        try expectRefused(["fid", base, "--data", folder.url.path, "--inception", pipe], naming: pipe)
        #expect(!folder.contents.contains("out"))
    }

    @Test func usageErrorsAndErrorsWithoutAFileUseTheSamePrefixAndStatus() throws {
        let folder = try TemporaryDirectory()
        let (base, _) = try Inputs.pair("tiny32", in: folder)
        let seeds = try Toonkit.run(["generate", base, "--seeds", "x", "--grid", folder.path("g.png")])
        #expect(seeds.status == 2 && seeds.stderr.hasPrefix("toonkit: error: cannot parse seeds 'x'"), "\(seeds.stderr)")
        let usage = try Toonkit.run(["generate", base])
        #expect(usage.status == 2 && usage.stderr.hasPrefix("toonkit: error: give either --seeds or --ws"), "\(usage.stderr)")
        #expect(usage.stderr.contains("Usage: toonkit generate"))
        // Measurement options given to a training run that measures nothing are refused, not ignored.
        let unmeasured = try Toonkit.run(["train", "--data", folder.path("none.zip"), "--outdir", folder.path("runs"), "--kid", "--rounding", "standard"])
        #expect(unmeasured.status == 2 && unmeasured.stderr.hasPrefix("toonkit: error: --kid, --rounding: no FID is measured without --metrics fid"),
                "\(unmeasured.stderr)")
        #expect(!folder.contents.contains("runs"))
        let help = try Toonkit.run(["generate", "--help"])
        #expect(help.status == 0 && help.stderr.isEmpty)
    }

    @Test func controlCharactersInNamesAreEscaped() throws {
        let folder = try TemporaryDirectory()
        let name = folder.path("evil\u{1B}[2J\nname.h5")
        let result = try Toonkit.run(["inspect", name])
        #expect(result.status == 2)
        #expect(!result.stderr.contains("\u{1B}"))
        #expect(result.stderr.hasPrefix("toonkit: error: \(folder.url.path)/evil\\u{1b}[2J\\u{a}name.h5"), "\(result.stderr)")
    }

    @Test func nanWeightsAndInfiniteWsAreWrittenAndReported() throws {
        let folder = try TemporaryDirectory()
        let (base, _) = try Inputs.pair("tiny32", in: folder)
        let poisoned = folder.path("nan.h5")
        try Tampered.write(base, to: poisoned) { _, entry in
            guard entry.name == "synthesis.b4.const" else { return entry }
            var values = try entry.data.floats()
            values[0] = .nan
            return TensorEntry(name: entry.name, kind: entry.kind, trainable: entry.trainable,
                               data: try TensorData(float32: values, shape: entry.data.shape))
        }
        let grid = folder.path("grid.png")
        let nan = try Toonkit.run(["generate", poisoned, "--seeds", "0-1", "--grid", grid, "-o", folder.path("images")])
        #expect(nan.status == 0, "\(nan.stderr)")
        #expect(nan.stderr.contains("toonkit: warning: \(grid): "), "\(nan.stderr)")
        #expect(nan.stderr.contains("toonkit: warning: \(folder.path("images")): "), "\(nan.stderr)")
        #expect(nan.stderr.contains("were NaN or infinite"))
        #expect(FileManager.default.fileExists(atPath: folder.path("images/seed0001.png")))

        let architecture = try CheckpointReader.open(base).architecture
        let ws = folder.path("inf.npy")
        var values = [Float](repeating: 0, count: architecture.numWs * architecture.wDim)
        values[0] = .infinity
        try NumpyArray.write(TensorData(float32: values, shape: [1, architecture.numWs, architecture.wDim]), to: URL(fileURLWithPath: ws))
        let infinite = try Toonkit.run(["generate", base, "--ws", ws, "--grid", grid])
        #expect(infinite.status == 0, "\(infinite.stderr)")
        #expect(infinite.stderr.contains("toonkit: warning: \(grid): "), "\(infinite.stderr)")
    }

    @Test func aFailedGenerateLeavesNoImagesBehind() throws {
        let folder = try TemporaryDirectory()
        let (base, _) = try Inputs.pair("tiny32", in: folder)
        let before = folder.contents
        // The folder of PNGs is written first; the grid then fails (its folder does not exist).
        let result = try Toonkit.run(["generate", base, "--seeds", "0-1", "-o", folder.path("new/images"), "--grid", folder.path("nowhere/grid.png")])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("toonkit: error: \(folder.path("nowhere/grid.png")): cannot write"), "\(result.stderr)")
        #expect(folder.contents == before)
    }

    @Test func aDataSetConversionThatFailsLeavesNoTemporaryFile() throws {
        let folder = try TemporaryDirectory()
        try FileManager.default.createDirectory(at: folder.file("source"), withIntermediateDirectories: true)
        let bomb = folder.path("source/bomb.png")
        try HostileFiles.pngDeclaring(width: 1_000_000, height: 1_000_000).write(to: URL(fileURLWithPath: bomb))
        try expectRefused(["dataset", folder.path("source"), "-o", folder.path("out.zip"), "--resolution", "8"], naming: bomb)
        #expect(folder.contents == ["source"])
    }
}
