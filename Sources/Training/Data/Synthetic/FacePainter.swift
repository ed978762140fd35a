import Foundation
import Imaging

/// A shape for the painter: a signed distance in local units and a local box that contains it.
struct Shape {
    var box: (min: Point, max: Point)
    var distance: (Point) -> Double

    static func ellipse(_ centre: Point, _ radii: Point) -> Shape {
        Shape(box: (centre - radii, centre + radii)) { Distance.ellipse($0, centre: centre, radii: radii) }
    }

    /// An almond: the intersection of two discs, pointed at (centre.x ± halfWidth, centre.y).
    static func almond(_ centre: Point, halfWidth: Double, halfHeight: Double) -> Shape {
        let radius = (halfWidth * halfWidth + halfHeight * halfHeight) / (2 * halfHeight)
        let upper = centre + Point(0, radius - halfHeight), lower = centre - Point(0, radius - halfHeight)
        return Shape(box: (centre - Point(halfWidth, halfHeight), centre + Point(halfWidth, halfHeight))) { p in
            max(((p - upper) * (p - upper)).sum().squareRoot(), ((p - lower) * (p - lower)).sum().squareRoot()) - radius
        }
    }

    static func stroke(_ a: Point, _ control: Point, _ b: Point, startWidth: Double, endWidth: Double) -> Shape {
        let margin = Point(repeating: max(startWidth, endWidth))
        let low = pointwiseMin(pointwiseMin(a, b), control) - margin, high = pointwiseMax(pointwiseMax(a, b), control) + margin
        return Shape(box: (low, high)) { Distance.stroke($0, a, control, b, startWidth: startWidth, endWidth: endWidth) }
    }

    static func box(_ low: Point, _ high: Point) -> Shape {
        let centre = (low + high) / 2, half = (high - low) / 2
        return Shape(box: (low, high)) { p in
            let offset = p - centre
            let q = pointwiseMax(offset, -offset) - half
            return max(q.x, q.y)
        }
    }

    func union(_ other: Shape) -> Shape {
        Shape(box: (pointwiseMin(box.min, other.box.min), pointwiseMax(box.max, other.box.max))) { min(distance($0), other.distance($0)) }
    }

    func intersection(_ other: Shape) -> Shape {
        Shape(box: (pointwiseMax(box.min, other.box.min), pointwiseMin(box.max, other.box.max))) { max(distance($0), other.distance($0)) }
    }
}

/// Paints `FaceParameters` in one of two styles sharing every position: a softly lit portrait
/// (`faces`, a stand-in for FFHQ) or flat colours with thick dark outlines (`cartoons`).
struct FacePainter {
    static let ink = RGB(0.10, 0.07, 0.07)

    let face: FaceParameters
    let cartoon: Bool
    let head: Frame
    let body: Frame
    /// Canvas pixels per output pixel (small images are drawn larger, then area-downscaled).
    let supersampling: Int
    private(set) var canvas: FaceCanvas

    init(_ face: FaceParameters, size: Int, supersampling: Int = 1, cartoon: Bool) {
        self.face = face
        self.cartoon = cartoon
        self.supersampling = supersampling
        head = Frame(centre: face.centre, scale: face.scale, angle: face.roll)
        body = Frame(centre: face.centre, scale: face.scale)
        let flat = Self.cartoonColour(face.backgroundTop, lift: 0.12)
        canvas = FaceCanvas(size: size * supersampling) { c in
            guard !cartoon else { return flat }
            let t = (c.y + 1) / 2
            let gradient = face.backgroundTop + t * (face.backgroundBottom - face.backgroundTop)
            let glow = exp(-((c - Point(-0.5, -0.6)) * (c - Point(-0.5, -0.6))).sum() * 1.5) * 0.08
            return gradient * (1 - 0.12 * (c * c).sum()) + RGB(repeating: glow)
        }
    }

    /// Images under 128 pixels are drawn at 128 (at most 4×) and box-downscaled: hair strands, pupils
    /// and outlines are thinner than a pixel there, and point sampling them would alias.
    static func render(_ face: FaceParameters, size: Int, cartoon: Bool) -> Image8 {
        let supersampling = size >= 128 ? 1 : min(4, (128 + size - 1) / size)
        var painter = FacePainter(face, size: size, supersampling: supersampling, cartoon: cartoon)
        painter.paintPortrait()
        let drawn = painter.canvas.image()
        return supersampling == 1 ? drawn : ImageResampler.resize(drawn, width: size, height: size, filter: .box)
    }

    /// Saturated, slightly lighter colours for the cartoon palette.
    static func cartoonColour(_ colour: RGB, lift: Double = 0.04) -> RGB {
        let grey = colour.sum() / 3
        let vivid = RGB(repeating: grey) + 1.35 * (colour - RGB(repeating: grey))
        return pointwiseMin(pointwiseMax(vivid * 1.06 + RGB(repeating: lift), RGB(repeating: 0)), RGB(repeating: 1))
    }

    private mutating func paintPortrait() {
        paintShoulders()
        paintBackHair()
        paintNeck()
        paintEars()
        paintFace()
        for side in [-1.0, 1.0] { paintEye(side: side) }
        for side in [-1.0, 1.0] { paintBrow(side: side) }
        paintNose()
        paintMouth()
        paintFrontHair()
    }

    // MARK: Drawing helpers

    private var pixel: Double { canvas.pixelSize(in: head) }
    /// At least a little over one output pixel wide, so outlines survive at 32².
    private var outlineHalfWidth: Double { max(0.022, 0.6 * pixel * Double(supersampling)) }

    /// Fills `shape` with `colour`, its edge ramp widened by `softness` pixels.
    mutating func fill(_ shape: Shape, in frame: Frame, softness: Double = 1, opacity: Double = 1, colour: (Point) -> RGB) {
        let pixel = self.pixel
        let margin = Point(repeating: pixel * (softness + 1))
        canvas.paint(frame, box: (shape.box.min - margin, shape.box.max + margin),
                     opacity: { opacity * coverage(shape.distance($0), pixel: pixel, softness: softness) }, colour: colour)
    }

    /// Portraits: a shaded fill with soft edges. Cartoons: a flat fill and an ink outline.
    mutating func draw(_ shape: Shape, in frame: Frame, softness: Double = 1.2, flat: RGB, shaded: (Point) -> RGB) {
        guard cartoon else { return fill(shape, in: frame, softness: softness, colour: shaded) }
        fill(shape, in: frame) { _ in flat }
        outline(shape, in: frame)
    }

    mutating func outline(_ shape: Shape, in frame: Frame) {
        let half = outlineHalfWidth
        let band = Shape(box: (shape.box.min - Point(repeating: half), shape.box.max + Point(repeating: half))) { abs(shape.distance($0)) - half }
        fill(band, in: frame) { _ in Self.ink }
    }

    /// A soft Gaussian patch of `colour` (shadows and highlights on portraits), kept inside `clip`.
    mutating func glow(at centre: Point, radii: Point, strength: Double, colour: RGB, within clip: Shape, in frame: Frame? = nil) {
        let pixel = self.pixel
        canvas.paint(frame ?? head, box: (centre - 3 * radii, centre + 3 * radii), opacity: { p in
            let q = (p - centre) / radii
            return strength * exp(-(q * q).sum()) * coverage(clip.distance(p), pixel: pixel)
        }, colour: { _ in colour })
    }
}
