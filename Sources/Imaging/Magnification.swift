/// Nearest-neighbour enlargement and captioned grids: small generated images (32² in the demo) shown
/// at a size a person can judge, with every pixel kept as a sharp square rather than blurred.
extension Image8 {
    /// Every pixel repeated `factor` times in both directions.
    public func magnified(by factor: Int) -> Image8 {
        guard factor > 1 else { return self }
        var result = Image8(width: width * factor, height: height * factor, channels: channels)
        let rowBytes = result.width * channels
        for y in 0..<height {
            let targetRow = y * factor * rowBytes
            for x in 0..<width {
                let source = (y * width + x) * channels
                for copy in 0..<factor {
                    let target = targetRow + (x * factor + copy) * channels
                    for c in 0..<channels { result.pixels[target + c] = pixels[source + c] }
                }
            }
            for copy in 1..<factor {
                let start = targetRow + copy * rowBytes
                result.pixels.replaceSubrange(start..<(start + rowBytes), with: result.pixels[targetRow..<(targetRow + rowBytes)])
            }
        }
        return result
    }

    /// The factor that brings a side of `size` pixels to at least `minimum` (1 when it already is).
    public static func magnification(from size: Int, toAtLeast minimum: Int) -> Int {
        max(1, (minimum + size - 1) / size)
    }

    /// CHW bytes with `channels` planes (HWC as decoded → planar as networks and metrics read them);
    /// grey images keep their first channel.
    public func planar(channels: Int) -> [UInt8] {
        let plane = width * height
        var planar = [UInt8](repeating: 0, count: plane * channels)
        pixels.withUnsafeBufferPointer { source in
            planar.withUnsafeMutableBufferPointer { target in
                for c in 0..<channels {
                    for i in 0..<plane { target[c * plane + i] = source[i * self.channels + c] }
                }
            }
        }
        return planar
    }
}

extension ImageGrid {
    /// `images` tiled in reading order, each magnified by `magnification`, under a one-line title in a
    /// font that scales with the cells.
    public static func captioned(_ images: [Image8], title: String, columns: Int? = nil, magnification: Int = 1) throws -> Image8 {
        guard let first = images.first else { throw ImagingError("no images to tile") }
        let cells = images.map { $0.magnified(by: magnification) }
        let cellWidth = first.width * magnification
        let scale = max(1, cellWidth / 64)
        let gap = 2 * scale, line = (BitmapFont.glyphHeight + 3) * scale
        let count = columns ?? Int(Double(images.count).squareRoot().rounded(.up))
        var grid = ImageGrid(rows: (images.count + count - 1) / count, columns: count, cellWidth: cellWidth,
                             cellHeight: first.height * magnification, gap: gap, top: line + gap)
        for (i, cell) in cells.enumerated() { try grid.place(cell, row: i / count, column: i % count) }
        var canvas = grid.canvas
        BitmapFont.draw(title, on: &canvas, x: gap, y: gap, scale: scale)
        return canvas
    }
}
