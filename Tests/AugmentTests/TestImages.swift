import Engine
import Foundation

/// Small image batches and per-pixel reference transforms for the augmentation tests.
enum TestImages {
    static func random(_ shape: [Int], seed: UInt32) throws -> Tensor {
        var random = RandomState(seed: seed)
        return try Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float(random.nextDouble() * 2 - 1) })
    }

    /// A band-limited pattern (a few cycles across the image), different per image and channel.
    static func smooth(_ shape: [Int]) throws -> Tensor {
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        var values: [Float] = []
        for image in 0..<n {
            for channel in 0..<c {
                let phase = Double(image * 3 + channel)
                for y in 0..<h {
                    for x in 0..<w {
                        let u = Double(x) / Double(w), v = Double(y) / Double(h)
                        values.append(Float(0.6 * sin(2 * .pi * (1.5 * u + 0.7 * v) + phase) * cos(2 * .pi * v + 0.5 * phase)))
                    }
                }
            }
        }
        return try Tensor(shape: shape, values: values)
    }

    /// The image built by reading each output pixel (y, x) of `source` from `sourcePixel(y, x)`.
    static func remapped(_ source: Tensor, height: Int, width: Int, _ sourcePixel: (Int, Int, Int) -> (Int, Int)) throws -> Tensor {
        let (n, c, h, w) = (source.shape[0], source.shape[1], source.shape[2], source.shape[3])
        let values = source.scalars
        var output: [Float] = []
        for image in 0..<n {
            for channel in 0..<c {
                for y in 0..<height {
                    for x in 0..<width {
                        let (sy, sx) = sourcePixel(image, y, x)
                        output.append(values[((image * c + channel) * h + sy) * w + sx])
                    }
                }
            }
        }
        return try Tensor(shape: [n, c, height, width], values: output)
    }

    /// torch 'reflect' index folding (the edge pixel is not repeated).
    static func reflect(_ i: Int, size: Int) -> Int {
        i < 0 ? -i : (i >= size ? 2 * (size - 1) - i : i)
    }

    static func maxAbsDifference(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }
}
