import Foundation

/// A plain measure of how an image is rendered, to show without Inception features where a picture
/// lies between a softly lit portrait and a flat cartoon with ink outlines. Edge density: the fraction
/// of pixels whose luma differs from the right or the lower neighbour's by more than `edgeStep` (of the
/// full range); ink outlines raise it, soft shading does not.
public struct RenderingStatistics: Sendable, Codable, Equatable {
    public static let edgeStep = 0.25

    public var images: Int
    /// Mean over the images, in [0, 1].
    public var edgeDensity: Double

    enum CodingKeys: String, CodingKey { case images, edgeDensity = "edge_density" }

    /// Of every image of `source`.
    public init(of source: ImageSource) throws {
        guard source.count > 0 else { throw MetricsError("\(source.description): no images to measure") }
        var edges = 0.0
        for index in 0..<source.count {
            edges += Self.edgeDensity(try source.image(at: index), channels: source.channels, height: source.height, width: source.width)
        }
        images = source.count
        edgeDensity = edges / Double(source.count)
    }

    /// Rec. 601 luma in [0, 1] of planar (CHW) bytes; a grey image is its own luma.
    static func luma(_ pixels: [UInt8], channels: Int, plane: Int) -> [Double] {
        guard channels == 3 else { return pixels.prefix(plane).map { Double($0) / 255 } }
        return (0..<plane).map { i in
            (0.299 * Double(pixels[i]) + 0.587 * Double(pixels[plane + i]) + 0.114 * Double(pixels[2 * plane + i])) / 255
        }
    }

    static func edgeDensity(_ pixels: [UInt8], channels: Int, height: Int, width: Int) -> Double {
        let y = luma(pixels, channels: channels, plane: height * width)
        var edges = 0
        for row in 0..<height {
            for column in 0..<width {
                let here = y[row * width + column]
                let right = column + 1 < width ? abs(y[row * width + column + 1] - here) : 0
                let below = row + 1 < height ? abs(y[(row + 1) * width + column] - here) : 0
                if max(right, below) > edgeStep { edges += 1 }
            }
        }
        return Double(edges) / Double(height * width)
    }
}
