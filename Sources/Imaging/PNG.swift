import CPNG
import Foundation
import UntrustedInput

/// An 8-bit image in row-major HWC order (1 = gray, 3 = RGB, 4 = RGBA channels).
public struct Image8: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0, [1, 3, 4].contains(channels), pixels.count == width * height * channels else {
            throw ImagingError("an image of \(width)×\(height)×\(channels) needs \(width * height * channels) bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    public init(width: Int, height: Int, channels: Int = 3, fill: UInt8 = 0) {
        self.width = width
        self.height = height
        self.channels = channels
        pixels = [UInt8](repeating: fill, count: width * height * channels)
    }
}

public struct ImagingError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// PNG encoding and decoding through libpng's simplified API.
public enum PNG {
    public static func encode(_ image: Image8) throws -> Data {
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        png.format = format(channels: image.channels)
        var size: png_alloc_size_t = 0
        let stride = Int32(image.width * image.channels)
        try image.pixels.withUnsafeBytes { raw in
            guard png_image_write_to_memory(&png, nil, &size, 0, raw.baseAddress, stride, nil) != 0 else {
                throw ImagingError("PNG encoding failed: \(message(png))")
            }
        }
        var data = Data(count: Int(size))
        try image.pixels.withUnsafeBytes { raw in
            try data.withUnsafeMutableBytes { out in
                guard png_image_write_to_memory(&png, out.baseAddress, &size, 0, raw.baseAddress, stride, nil) != 0 else {
                    throw ImagingError("PNG encoding failed: \(message(png))")
                }
            }
        }
        return data.prefix(Int(size))
    }

    /// Decodes any PNG (palette, gray, 16-bit, alpha) to 8-bit RGB (alpha composited on black is not
    /// done: alpha is dropped, as PIL's convert('RGB') does). The declared size is checked against
    /// `PNGHeader.maxPixels` before libpng allocates anything. Ancillary chunks (text, ICC profiles) are
    /// bounded by libpng's own limits, PNG_USER_CHUNK_MALLOC_MAX (8 MB per chunk) and
    /// PNG_USER_CHUNK_CACHE_MAX (1000 chunks) in Debian's build; the pixel data inflates into a buffer of
    /// exactly the declared size.
    public static func decode(_ data: Data, name: String = "image") throws -> Image8 {
        try PNGHeader(data, name: name).checkDecodable(name: name)
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        let ok = data.withUnsafeBytes { raw in png_image_begin_read_from_memory(&png, raw.baseAddress, raw.count) }
        guard ok != 0 else { throw ImagingError("\(name): not a readable PNG (\(message(png)))") }
        png.format = UInt32(PNG_FORMAT_RGB)
        // libpng read the same IHDR that was checked above, so this product is at most 3 · maxPixels.
        var pixels = [UInt8](repeating: 0, count: Int(png.width) * Int(png.height) * 3)
        let finished = data.withUnsafeBytes { _ in
            pixels.withUnsafeMutableBytes { out in png_image_finish_read(&png, nil, out.baseAddress, 0, nil) }
        }
        guard finished != 0 else {
            png_image_free(&png)
            throw ImagingError("\(name): PNG decoding failed (\(message(png)))")
        }
        return try Image8(width: Int(png.width), height: Int(png.height), channels: 3, pixels: pixels)
    }

    /// Writes atomically (a temporary beside the target, renamed), so a failure leaves no partial file.
    public static func write(_ image: Image8, to url: URL) throws {
        let data = try encode(image)
        let folder = url.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ImagingError("\(url.path.escapedForDisplay): cannot write: \(folder.path.escapedForDisplay) is not an existing folder")
        }
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw ImagingError("\(url.path.escapedForDisplay): cannot write (\((error as NSError).localizedFailureReason ?? error.localizedDescription))")
        }
    }

    /// Reads a PNG file; anything but a regular file (a FIFO would block, a device never end) is refused
    /// before it is opened.
    public static func read(_ url: URL) throws -> Image8 {
        try InputFile.checkRegular(url.path)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ImagingError("\(url.path.escapedForDisplay): cannot read (\(error.localizedDescription))")
        }
        return try decode(data, name: url.path.escapedForDisplay)
    }

    private static func format(channels: Int) -> UInt32 {
        switch channels {
        case 1: return UInt32(PNG_FORMAT_GRAY)
        case 4: return UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
        default: return UInt32(PNG_FORMAT_RGB)
        }
    }

    private static func message(_ png: png_image) -> String {
        var text = png.message
        return withUnsafeBytes(of: &text) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
