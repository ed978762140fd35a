import Foundation
import Testing

/// The shared StyleGAN2 fixtures live beside the repository in `../shared/fixtures/stylegan2`.
enum Fixtures {
    static let directory: URL? = {
        // This file is <repo>/Tests/InteropTests/Support/Fixtures.swift.
        let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let folder = repository.deletingLastPathComponent().appendingPathComponent("shared/fixtures/stylegan2")
        return FileManager.default.fileExists(atPath: folder.appendingPathComponent("README.md").path) ? folder : nil
    }()

    static var available: Bool { directory != nil }
    static let missing: Comment = "StyleGAN2 fixtures not found in ../shared/fixtures/stylegan2 beside the repository"

    static func url(_ name: String) -> URL { directory!.appendingPathComponent(name) }

    static let names = ["tiny32", "tiny64"]
}
