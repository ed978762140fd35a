/// Conversions between network images (float, NCHW, roughly [−1, 1]) and 8-bit pixels.
public enum ImageConversion {
    /// The reference's generate.py rounding: ⌊clamp(v·127.5 + 128, 0, 255)⌋, two float32 operations.
    /// A NaN (from NaN or infinite weights or ws) counts as 0, the middle of [−1, 1], and so becomes
    /// mid-grey 128; ±∞ clamp to 255 and 0 like any value out of range.
    @inline(__always)
    public static func toUInt8(_ v: Float) -> UInt8 {
        guard !v.isNaN else { return 128 }
        let scaled = v * 127.5
        let shifted = scaled + 128
        return UInt8(min(max(shifted, 0), 255).rounded(.towardZero))
    }

    /// One CHW float image (planar, `channels` × `height` × `width`) → HWC 8-bit image.
    public static func image(fromPlanar planar: UnsafeBufferPointer<Float>, channels: Int, height: Int, width: Int) throws -> Image8 {
        guard channels == 1 || channels == 3 else { throw ImagingError("only 1- and 3-channel images can be saved, got \(channels) channels") }
        guard planar.count == channels * height * width else {
            throw ImagingError("planar image of \(channels)×\(height)×\(width) needs \(channels * height * width) values, got \(planar.count)")
        }
        let plane = height * width
        var pixels = [UInt8](repeating: 0, count: plane * channels)
        for c in 0..<channels {
            for i in 0..<plane { pixels[i * channels + c] = toUInt8(planar[c * plane + i]) }
        }
        return try Image8(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// How many values are NaN or ±∞: `toUInt8` writes them anyway, and whoever saves the images says so.
    public static func nonFiniteCount(_ values: UnsafeBufferPointer<Float>) -> Int {
        values.reduce(0) { $1.isFinite ? $0 : $0 + 1 }
    }

    /// The warning for an image file (or a folder of `images.affected` out of `images.total` images) that
    /// holds `count` values that were not finite.
    public static func nonFiniteWarning(file: String, count: Int, images: (affected: Int, total: Int)? = nil) -> String {
        let place = images.map { " in \($0.affected) of \($0.total) images" } ?? ""
        return "\(file): \(count) pixel values\(place) were NaN or infinite (written as mid-grey 128 for NaN, 0 for −∞, 255 for +∞)"
    }

    /// HWC 8-bit → planar float in [−1, 1] as the reference's training loader feeds D (x / 127.5 − 1).
    public static func planar(from image: Image8) -> [Float] {
        let plane = image.width * image.height
        var values = [Float](repeating: 0, count: plane * image.channels)
        for i in 0..<plane {
            for c in 0..<image.channels { values[c * plane + i] = Float(image.pixels[i * image.channels + c]) / 127.5 - 1 }
        }
        return values
    }
}

/// Tiles equally sized images into one, row by row, with a gap.
public struct ImageGrid {
    public let columns: Int
    public let cellWidth: Int
    public let cellHeight: Int
    public let gap: Int
    public private(set) var canvas: Image8

    public init(rows: Int, columns: Int, cellWidth: Int, cellHeight: Int, gap: Int = 0, top: Int = 0, left: Int = 0, background: UInt8 = 255) {
        self.columns = columns
        self.cellWidth = cellWidth
        self.cellHeight = cellHeight
        self.gap = gap
        self.top = top
        self.left = left
        canvas = Image8(width: left + columns * cellWidth + (columns - 1) * gap, height: top + rows * cellHeight + (rows - 1) * gap,
                        channels: 3, fill: background)
    }

    /// Extra margins (for labels) above and left of the cells.
    public let top: Int
    public let left: Int

    public func origin(row: Int, column: Int) -> (x: Int, y: Int) {
        (left + column * (cellWidth + gap), top + row * (cellHeight + gap))
    }

    public mutating func place(_ image: Image8, row: Int, column: Int) throws {
        guard image.width == cellWidth, image.height == cellHeight else {
            throw ImagingError("grid cells are \(cellWidth)×\(cellHeight), got an image of \(image.width)×\(image.height)")
        }
        let (x0, y0) = origin(row: row, column: column)
        for y in 0..<image.height {
            for x in 0..<image.width {
                for c in 0..<3 {
                    let source = image.pixels[(y * image.width + x) * image.channels + (image.channels == 1 ? 0 : c)]
                    canvas.pixels[((y0 + y) * canvas.width + x0 + x) * 3 + c] = source
                }
            }
        }
    }

    /// A grid holding `images` in reading order, `columns` wide (default: about square).
    public static func tiled(_ images: [Image8], columns: Int? = nil, gap: Int = 0) throws -> Image8 {
        guard let first = images.first else { throw ImagingError("no images to tile") }
        let cols = columns ?? Int(Double(images.count).squareRoot().rounded(.up))
        var grid = ImageGrid(rows: (images.count + cols - 1) / cols, columns: cols, cellWidth: first.width, cellHeight: first.height, gap: gap)
        for (i, image) in images.enumerated() { try grid.place(image, row: i / cols, column: i % cols) }
        return grid.canvas
    }
}
