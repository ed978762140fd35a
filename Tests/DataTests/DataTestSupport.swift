import Foundation
import Imaging
import Interop
import TestSupport
@testable import Training

/// Small PNG sources for the data set tests.
enum DataFixtures {
    /// A deterministic RGB test card: every pixel of every image differs a little.
    static func card(_ seed: Int, width: Int, height: Int, channels: Int = 3) -> Image8 {
        var image = Image8(width: width, height: height, channels: channels)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<channels { image.pixels[(y * width + x) * channels + c] = UInt8(truncatingIfNeeded: seed * 37 + x * 11 + y * 5 + c * 71) }
            }
        }
        return image
    }

    static func write(_ image: Image8, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try PNG.write(image, to: url)
    }

    static func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// A stored zip with the given members (a trailing '/' makes a directory entry), as other tools write them.
    static func zip(_ members: [(String, Data)], to url: URL) throws {
        try AtomicFile.write(to: url) { sink in
            let writer = ZipWriter(sink: sink)
            for (name, data) in members { try data.withUnsafeBytes { try writer.addStoredEntry(name: name, parts: [$0]) } }
            try writer.finish()
        }
    }

    /// The HWC picture as the CHW bytes a data set returns.
    static func planar(_ image: Image8) -> [UInt8] { image.planar(channels: image.channels) }

    static func labelsJSON(_ pairs: [(String, String)]) -> String {
        "{\"labels\": [" + pairs.map { "[\"\($0.0)\", \($0.1)]" }.joined(separator: ", ") + "]}"
    }

    /// The error's description, for checking that messages name the file and the problem.
    static func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        return "(no error)"
    }
}
