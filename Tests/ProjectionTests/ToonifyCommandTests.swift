import Foundation
import Imaging
import Interop
import Testing
import TestSupport

/// `project`, `generate --ws` and `toonify` as a user runs them, on tiny64 and its fine-tuned stand-in.
@Suite(.enabled(if: Fixtures.available && Toonkit.executable != nil,
                "skipped: needs the fixtures and a toonkit executable next to the test bundle (run `swift build` first)"))
struct ToonifyCommandTests {
    static let quick = ["--mse", "1", "--keep-noise", "--steps", "12", "--average-samples", "100"]

    @Test func toonifyWritesThreePanelsTheLatentAndTheLossCurve() throws {
        let folder = try TemporaryDirectory()
        let base = ProjectorTests.checkpoint.path
        let style = folder.file("style.h5")
        try ModelImporter.importCheckpoint(from: Fixtures.url("tiny64.b.pkl"), to: style)
        let photos = folder.file("photos")
        #expect(try Toonkit.run(["generate", base, "--seeds", "7", "-o", photos.path]).status == 0)
        let photo = photos.appendingPathComponent("seed0007.png").path

        let toonify = try Toonkit.run(["toonify", photo, "--base", base, "--style", style.path, "--at", "16", "-o", folder.path("me.png")] + Self.quick)
        #expect(toonify.status == 0, "\(toonify.stderr)")
        let panels = try PNG.read(folder.file("me.png"))
        #expect((panels.width, panels.height) == (3 * 64, 64))
        #expect(try PNG.read(folder.file("me.loss.png")).width > 0)

        // The latent renders with the style model, and `project` alone writes the same latent.
        #expect(try Toonkit.run(["generate", style.path, "--ws", folder.path("me.npz"), "-o", folder.path("toon")]).status == 0)
        let project = try Toonkit.run(["project", photo, "--network", base, "-o", folder.path("projected.npz")] + Self.quick)
        #expect(project.status == 0, "\(project.stderr)")
        #expect(try NumpyArchive.read(folder.file("projected.npz"))["w"]?.floats() == NumpyArchive.read(folder.file("me.npz"))["w"]?.floats())
    }

    @Test func projectWithoutADistanceSaysWhichWeightsToGive() throws {
        let folder = try TemporaryDirectory()
        let result = try Toonkit.run(["project", "photo.png", "--network", ProjectorTests.checkpoint.path, "-o", folder.path("w.npz")])
        #expect(result.status == 2)
        #expect(result.stderr.contains("vgg16-397923af.pth"))
        #expect(result.stderr.contains("--mse"))
        #expect(folder.contents.isEmpty)
    }
}
