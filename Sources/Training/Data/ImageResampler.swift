import Foundation
import Imaging

/// Resampling filters of the dataset tool. Both are applied separably; when downscaling, the kernel
/// is stretched by the scale factor so that every source pixel contributes (no aliasing).
public enum ResizeFilter: String, CaseIterable, Codable, Sendable {
    /// Lanczos-3 windowed sinc: sharp, slight ringing at hard edges. The reference tool's default.
    case lanczos
    /// Area averaging: each source pixel weighs by the fraction of it the output pixel covers.
    /// For integer factors it is the plain block mean, as PIL's box filter that the reference
    /// README asks for when scaling FFHQ to 256².
    case box
}

/// Center crop and separable resize of 8-bit images, in floating point with one rounding at the end.
public enum ImageResampler {
    /// The central square of side min(width, height), cut as the reference's center-crop does.
    public static func centerSquare(_ image: Image8) -> Image8 {
        let side = min(image.width, image.height)
        if image.width == image.height { return image }
        let top = (image.height - side) / 2, left = (image.width - side) / 2
        var cropped = Image8(width: side, height: side, channels: image.channels)
        let rowBytes = side * image.channels
        image.pixels.withUnsafeBufferPointer { source in
            cropped.pixels.withUnsafeMutableBufferPointer { target in
                for y in 0..<side {
                    let from = ((top + y) * image.width + left) * image.channels
                    for i in 0..<rowBytes { target[y * rowBytes + i] = source[from + i] }
                }
            }
        }
        return cropped
    }

    public static func resize(_ image: Image8, width: Int, height: Int, filter: ResizeFilter) -> Image8 {
        precondition(width > 0 && height > 0, "resize to an empty image")
        if image.width == width && image.height == height { return image }
        let horizontal = ResampleWeights(inputSize: image.width, outputSize: width, filter: filter)
        let vertical = ResampleWeights(inputSize: image.height, outputSize: height, filter: filter)
        let channels = image.channels
        // Rows first: the intermediate then has the output width, which is the cheaper order when
        // downscaling (the usual case).
        var rows = [Float](repeating: 0, count: image.height * width * channels)
        image.pixels.withUnsafeBufferPointer { source in
            rows.withUnsafeMutableBufferPointer { target in
                for y in 0..<image.height {
                    horizontal.apply(source: source, sourceOffset: y * image.width * channels, sourceStride: channels,
                                     target: target, targetOffset: y * width * channels, targetStride: channels, channels: channels)
                }
            }
        }
        var output = Image8(width: width, height: height, channels: channels)
        var column = [Float](repeating: 0, count: height * channels)
        rows.withUnsafeBufferPointer { source in
            column.withUnsafeMutableBufferPointer { resampled in
                output.pixels.withUnsafeMutableBufferPointer { target in
                    for x in 0..<width {
                        vertical.apply(source: source, sourceOffset: x * channels, sourceStride: width * channels,
                                       target: resampled, targetOffset: 0, targetStride: channels, channels: channels)
                        for y in 0..<height {
                            for c in 0..<channels {
                                let value = resampled[y * channels + c].rounded()
                                target[(y * width + x) * channels + c] = UInt8(min(max(value, 0), 255))
                            }
                        }
                    }
                }
            }
        }
        return output
    }
}

/// The taps of a 1-D resampling: for each output sample, the first source index and normalised weights.
struct ResampleWeights {
    let firstTap: [Int]
    let tapCount: [Int]
    let weights: [Float]
    let stride: Int

    init(inputSize: Int, outputSize: Int, filter: ResizeFilter) {
        let scale = Double(inputSize) / Double(outputSize)
        let stretch = max(scale, 1)
        let support = (filter == .lanczos ? 3.0 : 0.5) * stretch
        stride = Int(support.rounded(.up)) * 2 + 2
        var firstTap = [Int](repeating: 0, count: outputSize)
        var tapCount = [Int](repeating: 0, count: outputSize)
        var weights = [Float](repeating: 0, count: outputSize * stride)
        for o in 0..<outputSize {
            let center = (Double(o) + 0.5) * scale
            let first = max(Int((center - support).rounded(.down)), 0)
            let end = min(Int((center + support).rounded(.up)), inputSize)
            var taps = (first..<end).map { i in
                filter == .lanczos ? Self.lanczos((Double(i) + 0.5 - center) / stretch)
                    : Self.overlap(pixel: i, windowStart: center - support, windowEnd: center + support)
            }
            let total = taps.reduce(0, +)
            if total != 0 { taps = taps.map { $0 / total } }
            firstTap[o] = first
            tapCount[o] = taps.count
            for (k, weight) in taps.enumerated() { weights[o * stride + k] = Float(weight) }
        }
        self.firstTap = firstTap
        self.tapCount = tapCount
        self.weights = weights
    }

    static func lanczos(_ x: Double) -> Double {
        guard abs(x) < 3 else { return 0 }
        return sinc(x) * sinc(x / 3)
    }

    static func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let angle = Double.pi * x
        return sin(angle) / angle
    }

    /// Length of source pixel [i, i+1) inside the output pixel's window.
    static func overlap(pixel i: Int, windowStart: Double, windowEnd: Double) -> Double {
        max(0, min(Double(i + 1), windowEnd) - max(Double(i), windowStart))
    }

    /// Resamples one line of `channels`-interleaved values, reading source element k at
    /// sourceOffset + k·sourceStride and writing output element o at targetOffset + o·targetStride.
    @inline(__always)
    func apply<Source: BinaryIntegerOrFloat>(source: UnsafeBufferPointer<Source>, sourceOffset: Int, sourceStride: Int,
                                             target: UnsafeMutableBufferPointer<Float>, targetOffset: Int, targetStride: Int,
                                             channels: Int) {
        for o in 0..<firstTap.count {
            let first = firstTap[o], base = o * stride
            for c in 0..<channels {
                var sum: Float = 0
                for k in 0..<tapCount[o] {
                    sum += weights[base + k] * source[sourceOffset + (first + k) * sourceStride + c].floatValue
                }
                target[targetOffset + o * targetStride + c] = sum
            }
        }
    }
}

/// The two sample types a resampling pass reads: 8-bit pixels and float intermediates.
protocol BinaryIntegerOrFloat { var floatValue: Float { get } }
extension UInt8: BinaryIntegerOrFloat { @inline(__always) var floatValue: Float { Float(self) } }
extension Float: BinaryIntegerOrFloat { @inline(__always) var floatValue: Float { self } }
