import Foundation
import Testing

/// The shared StyleGAN2 reference fixtures, beside the repository in `../shared/fixtures/stylegan2`.
public enum Fixtures {
    /// <repo>/Tests/TestSupport/Fixtures.swift → <repo>.
    public static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static let directory: URL? = {
        let folder = repository.deletingLastPathComponent().appendingPathComponent("shared/fixtures/stylegan2")
        return FileManager.default.fileExists(atPath: folder.appendingPathComponent("README.md").path) ? folder : nil
    }()

    public static var available: Bool { directory != nil }
    public static let missing: Comment = "StyleGAN2 fixtures not found in ../shared/fixtures/stylegan2 beside the repository: skipped"

    public static func url(_ name: String) -> URL { directory!.appendingPathComponent(name) }

    public static let names = ["tiny32", "tiny64"]
}

/// A fresh folder under the system temporary directory, removed when the value is released.
public final class TemporaryDirectory {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("toonkit-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    public func path(_ name: String) -> String { file(name).path }

    /// Names of the files in the folder (to check that nothing, not even a temporary, was left).
    public var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: url.path).sorted()) ?? [] }
}

/// Largest |a − b| and largest |a − b| / max|b| over two equally long arrays.
public func maxDifferences(_ a: [Float], _ b: [Float]) -> (absolute: Double, relative: Double) {
    precondition(a.count == b.count, "arrays differ in length: \(a.count) vs \(b.count)")
    let absolute = zip(a, b).map { abs(Double($0) - Double($1)) }.max() ?? 0
    let scale = b.map { abs(Double($0)) }.max() ?? 0
    return (absolute, absolute / max(scale, 1e-30))
}
