import Checkpoint
import Engine
import Foundation

/// uint8 images, CHW each, stacked as [count, channels, height, width].
public struct ImageBatch: Sendable {
    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    public let pixels: [UInt8]

    public init(count: Int, channels: Int, height: Int, width: Int, pixels: [UInt8]) throws {
        guard channels == 1 || channels == 3 else { throw MetricsError("metrics take 1- or 3-channel images, got \(channels) channels") }
        guard count >= 0, height > 0, width > 0, pixels.count == count * channels * height * width else {
            throw MetricsError("\(count) images of \(channels)×\(height)×\(width) need \(count * channels * height * width) pixels, got \(pixels.count)")
        }
        self.count = count
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
    }

    /// [N, 3, H, W] in [0, 1] as torchvision's ToTensor makes it (uint8 / 255); grayscale is repeated to RGB.
    func unitRangeTensor() throws -> Tensor {
        let plane = height * width
        return try Tensor.generate(shape: [count, 3, height, width]) { buffer in
            for n in 0..<count {
                for c in 0..<3 {
                    let source = (n * channels + (channels == 1 ? 0 : c)) * plane
                    let target = (n * 3 + c) * plane
                    for i in 0..<plane { buffer[target + i] = Float(pixels[source + i]) / 255 }
                }
            }
        }
    }
}

/// A random-access source of uint8 images: a training data set, a folder, a test pattern. Metrics
/// depend only on this, so the training module (which calls the metrics) adapts its data sets to it.
public struct ImageSource {
    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    /// Where the images come from, for messages and the statistics cache.
    public let description: String
    private let read: (Int) throws -> [UInt8]

    /// `image(i)` returns image i as CHW uint8 (channels × height × width values).
    public init(count: Int, channels: Int, height: Int, width: Int, description: String, image: @escaping (Int) throws -> [UInt8]) {
        self.count = count
        self.channels = channels
        self.height = height
        self.width = width
        self.description = description
        read = image
    }

    public func image(at index: Int) throws -> [UInt8] {
        let pixels = try read(index)
        guard pixels.count == channels * height * width else {
            throw MetricsError("\(description): image \(index) has \(pixels.count) values, expected \(channels)×\(height)×\(width)")
        }
        return pixels
    }

    public func batch(_ indices: Range<Int>) throws -> ImageBatch {
        var pixels: [UInt8] = []
        pixels.reserveCapacity(indices.count * channels * height * width)
        for index in indices { pixels += try image(at: index) }
        return try ImageBatch(count: indices.count, channels: channels, height: height, width: width, pixels: pixels)
    }

    /// SHA-256 over the geometry and the SHA-256 of every image's pixels, in order: it changes when
    /// any pixel, the order or the count changes, whatever file format the images came from.
    public func contentHash(progress: (Int) -> Void = { _ in }) throws -> String {
        var digests = "toonkit image source v1: \(count) images \(channels)x\(height)x\(width)\n"
        for index in 0..<count {
            digests += Checksum.sha256Hex(Data(try image(at: index))) + "\n"
            progress(index + 1)
        }
        return Checksum.sha256Hex(Data(digests.utf8))
    }
}
