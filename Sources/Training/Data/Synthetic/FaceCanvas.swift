import Foundation
import Imaging

typealias Point = SIMD2<Double>
typealias RGB = SIMD3<Double>

/// A placement of local drawing coordinates on the canvas: local p ↦ centre + scale · R(angle) · p.
/// Canvas coordinates run from −1 to 1 across the image, y pointing down, so shapes are described
/// independently of the resolution.
struct Frame {
    let centre: Point
    let scale: Double
    private let sine: Double
    private let cosine: Double

    init(centre: Point, scale: Double, angle: Double = 0) {
        self.centre = centre
        self.scale = scale
        sine = sin(angle)
        cosine = cos(angle)
    }

    func local(_ canvas: Point) -> Point {
        let d = (canvas - centre) / scale
        return Point(cosine * d.x + sine * d.y, -sine * d.x + cosine * d.y)
    }

    func canvas(_ local: Point) -> Point {
        centre + scale * Point(cosine * local.x - sine * local.y, sine * local.x + cosine * local.y)
    }
}

/// Signed distances (negative inside) in local units; shapes are built from these.
enum Distance {
    /// An approximation of the distance to an ellipse, exact on the axes, good enough for
    /// anti-aliasing a one-pixel edge (Quilez's k0·(k0−1)/k1 form).
    static func ellipse(_ p: Point, centre: Point, radii: Point) -> Double {
        let q = p - centre
        let k0 = ((q / radii) * (q / radii)).sum().squareRoot()
        let k1 = ((q / (radii * radii)) * (q / (radii * radii))).sum().squareRoot()
        return k1 == 0 ? -min(radii.x, radii.y) : k0 * (k0 - 1) / k1
    }

    static func segment(_ p: Point, _ a: Point, _ b: Point) -> (distance: Double, t: Double) {
        let ab = b - a
        let t = min(max(((p - a) * ab).sum() / max((ab * ab).sum(), 1e-12), 0), 1)
        let d = p - (a + t * ab)
        return ((d * d).sum().squareRoot(), t)
    }

    /// Distance to a quadratic Bézier stroke whose half-width goes linearly from `startWidth` to
    /// `endWidth` (brows, lids, a cartoon nose and mouth), measured on a 16-segment polyline.
    static func stroke(_ p: Point, _ a: Point, _ control: Point, _ b: Point, startWidth: Double, endWidth: Double) -> Double {
        var best = Double.infinity
        var previous = a
        let steps = 16
        for step in 1...steps {
            let t = Double(step) / Double(steps)
            let point = (1 - t) * (1 - t) * a + 2 * (1 - t) * t * control + t * t * b
            let (distance, along) = segment(p, previous, point)
            let parameter = (Double(step - 1) + along) / Double(steps)
            best = min(best, distance - (startWidth + (endWidth - startWidth) * parameter))
            previous = point
        }
        return best
    }

    /// The region between two curves of x over |x − centreX| ≤ halfWidth (lips, the mouth opening),
    /// as the larger of the vertical and horizontal overshoots.
    static func band(_ p: Point, centreX: Double, halfWidth: Double, top: (Double) -> Double, bottom: (Double) -> Double) -> Double {
        let x = min(max(p.x, centreX - halfWidth), centreX + halfWidth)
        return max(top(x) - p.y, p.y - bottom(x), abs(p.x - centreX) - halfWidth)
    }
}

/// Fraction of a pixel covered by a shape, from its signed distance and the pixel size (both in
/// local units); `softness` widens the ramp for blurred edges.
@inline(__always)
func coverage(_ distance: Double, pixel: Double, softness: Double = 1) -> Double {
    min(max(0.5 - distance / (pixel * softness), 0), 1)
}

/// An RGB float image that shapes are painted onto back to front, with per-pixel opacity.
struct FaceCanvas {
    let size: Int
    private(set) var pixels: [RGB]

    init(size: Int, fill: (Point) -> RGB) {
        self.size = size
        pixels = []
        pixels.reserveCapacity(size * size)
        for y in 0..<size { for x in 0..<size { pixels.append(fill(canvasPoint(x, y))) } }
    }

    func canvasPoint(_ x: Int, _ y: Int) -> Point {
        Point((Double(x) + 0.5) * 2 / Double(size) - 1, (Double(y) + 0.5) * 2 / Double(size) - 1)
    }

    /// Size of one pixel in the frame's local units.
    func pixelSize(in frame: Frame) -> Double { 2 / Double(size) / frame.scale }

    /// Blends `colour` over the pixels whose centres fall inside the local box, weighted by `opacity`.
    /// Both closures get local coordinates.
    mutating func paint(_ frame: Frame, box: (min: Point, max: Point), opacity: (Point) -> Double, colour: (Point) -> RGB) {
        let corners = [box.min, Point(box.min.x, box.max.y), Point(box.max.x, box.min.y), box.max].map(frame.canvas)
        let low = corners.reduce(Point(repeating: .infinity)) { pointwiseMin($0, $1) }
        let high = corners.reduce(Point(repeating: -.infinity)) { pointwiseMax($0, $1) }
        func pixelRange(_ a: Double, _ b: Double) -> ClosedRange<Int>? {
            let first = max(0, Int(((a + 1) * Double(size) / 2 - 1).rounded(.down)))
            let last = min(size - 1, Int(((b + 1) * Double(size) / 2).rounded(.up)))
            return first <= last ? first...last : nil
        }
        guard let rows = pixelRange(low.y, high.y), let columns = pixelRange(low.x, high.x) else { return }
        for y in rows {
            for x in columns {
                let p = frame.local(canvasPoint(x, y))
                let alpha = opacity(p)
                guard alpha > 0 else { continue }
                let i = y * size + x
                pixels[i] += alpha * (colour(p) - pixels[i])
            }
        }
    }

    func image() -> Image8 {
        var image = Image8(width: size, height: size, channels: 3)
        for (i, pixel) in pixels.enumerated() {
            for c in 0..<3 { image.pixels[i * 3 + c] = UInt8(min(max(pixel[c] * 255, 0), 255).rounded()) }
        }
        return image
    }
}
