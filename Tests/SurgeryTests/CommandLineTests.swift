import Checkpoint
import Foundation
import TestSupport
import Testing

/// The commands as a user runs them: exit status 2 and an error naming the file, nothing left behind.
@Suite(.enabled(if: Fixtures.available && Toonkit.executable != nil,
                "skipped: needs the fixtures and a toonkit executable next to the test bundle (run `swift build` first)"))
struct CommandLineTests {
    @Test func incompatibleInputsExitTwoAndWriteNothing() throws {
        let folder = try TemporaryDirectory()
        let (small, _) = try Inputs.pair("tiny32", in: folder)
        let (large, _) = try Inputs.pair("tiny64", in: folder)
        let before = folder.contents
        let result = try Toonkit.run(["swap", "--base", small, "--style", large, "--at", "8", "-o", folder.file("out.h5").path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("toonkit: error: \(small) and \(large) cannot be combined"))
        #expect(result.stderr.contains("G_ema/synthesis.b64.conv0.weight: only in \(large)"))
        #expect(folder.contents == before)
    }

    @Test func everyCommandPlansWithDryRunAndRunsARecipe() throws {
        let folder = try TemporaryDirectory()
        let (base, style) = try Inputs.pair("tiny32", in: folder)
        let out = folder.file("out.h5").path
        let before = folder.contents
        let commands: [[String]] = [
            ["swap", "--base", base, "--style", style, "--at", "8", "--keep-d"],
            ["blend", "--base", base, "--style", style, "--width", "0.5", "--at", "8"],
            ["blend", "--base", base, "--style", style, "--weights", "8=0.5,16=1"],
            ["freeze", base, "--layers", "4"],
            ["merge", base, style, "--weights", "0.5,0.5", "--method", "slerp"],
            ["sweep", "--base", base, "--style", style, "--seeds", "0-1", "--trunc", "0.7"],
        ]
        for command in commands {
            let result = try Toonkit.run(command + ["-o", out, "--dry-run"])
            #expect(result.status == 0, "\(command): \(result.stderr)")
            #expect(result.stdout.hasSuffix("dry run: nothing written\n"))
        }
        #expect(folder.contents == before)
        let bad = try Toonkit.run(["blend", "--base", base, "--style", style, "--at", "8", "-o", out])
        #expect(bad.status == 2 && bad.stderr.contains("give either --weights, or --width and --at"))
        let recipe = folder.file("r.yaml").path
        try "toonkit_recipe: 1\noperation: freeze\ninputs: {checkpoint: tiny32.base.h5}\nparameters: {blocks: [16]}\noutput: frozen.h5\n"
            .write(toFile: recipe, atomically: true, encoding: .utf8)
        let run = try Toonkit.run(["run", recipe])
        #expect(run.status == 0 && run.stdout.contains("freeze: wrote \(folder.file("frozen.h5").path)"))
        let missing = try Toonkit.run(["run", folder.file("missing.yaml").path])
        #expect(missing.status == 2 && missing.stderr.contains("missing.yaml: no such file"))
    }
}
