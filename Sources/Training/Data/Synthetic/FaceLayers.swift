import Foundation

/// The layers of a portrait, back to front. Positions come from the parameters alone; only colours,
/// shading and outlines depend on the style, so a face and its cartoon line up.
extension FacePainter {
    var faceShape: Shape {
        let width = face.faceWidth, jaw = face.jaw
        return Shape(box: (Point(-width, -1), Point(width, 1))) { p in
            let below = min(max(p.y, 0), 1)
            return Distance.ellipse(p, centre: .zero, radii: Point(width * (1 - jaw * 0.4 * below * below), 1))
        }
    }

    func eyeCentre(side: Double) -> Point { Point(side * face.eyeSpacing + face.featureShift, face.eyeHeight) }

    /// Hair colour with strands fanning out from the crown and a broad sheen toward the light.
    static func hairShade(_ p: Point, hair: RGB, light: SIMD3<Double>) -> RGB {
        let strands = 0.5 + 0.5 * sin(40 * atan2(p.x, p.y + 1.6) + 2.5 * sin(4 * p.y))
        let lit = 0.8 + 0.3 * (p.x * light.x - p.y * light.y) / 2
        let sheenCentre = Point(light.x * 0.5, -0.75)
        let sheen = 0.12 * exp(-((p - sheenCentre) * (p - sheenCentre)).sum() * 6)
        return hair * (0.72 + 0.28 * strands) * lit + RGB(repeating: sheen)
    }

    mutating func paintShoulders() {
        let clothes = face.clothes, light = face.light
        draw(.ellipse(Point(0, 2.35), Point(1.85, 1.05)), in: body, flat: Self.cartoonColour(clothes)) { p in
            let depth = min(max(1 - (p.y - 1.3) / 1.4, 0), 1)
            return clothes * (0.55 + 0.4 * depth + 0.08 * light.x * p.x)
        }
    }

    mutating func paintBackHair() {
        let width = face.faceWidth * (1 + face.hairVolume), height = 1 + face.hairVolume
        let shape: Shape
        switch face.hairStyle {
        case .buzz: return
        case .short: shape = .ellipse(Point(0, -0.25), Point(width * 1.12, 0.9 * height))
        case .bob: shape = Shape.ellipse(Point(0, -0.12), Point(width * 1.3, 1.08 * height)).intersection(.box(Point(-3, -3), Point(3, 0.72)))
        case .long: shape = Shape.ellipse(Point(0, -0.2), Point(width * 1.22, height)).union(.ellipse(Point(0, 0.75), Point(width * 1.38, 1.15)))
        }
        let hair = face.hair, light = face.light
        draw(shape, in: head, softness: 1.8, flat: Self.cartoonColour(hair) * 0.85) { p in Self.hairShade(p, hair: hair * 0.8, light: light) }
    }

    mutating func paintNeck() {
        let skin = face.skin, half = 0.3 * face.faceWidth / 0.77
        draw(.box(Point(-half, 0.3), Point(half, 1.75)), in: body, flat: Self.cartoonColour(skin) * 0.9) { p in
            skin * (0.55 + 0.28 * min(max((p.y - 0.8) / 0.9, 0), 1))
        }
    }

    mutating func paintEars() {
        guard face.hairStyle == .short || face.hairStyle == .buzz else { return }
        let skin = face.skin
        for side in [-1.0, 1.0] {
            let centre = Point(side * face.faceWidth * 0.97, 0.05)
            draw(.ellipse(centre, Point(0.12, 0.2)), in: head, flat: Self.cartoonColour(skin)) { p in
                skin * (0.7 + 0.15 * (1 - abs(p.y - centre.y) / 0.2))
            }
            if !cartoon {
                glow(at: centre + Point(side * 0.01, 0), radii: Point(0.04, 0.1), strength: 0.35, colour: skin * 0.45,
                     within: .ellipse(centre, Point(0.12, 0.2)))
            }
        }
    }

    mutating func paintFace() {
        let skin = face.skin, light = face.light, width = face.faceWidth
        let shape = faceShape
        draw(shape, in: head, flat: Self.cartoonColour(skin)) { p in
            let nx = p.x / width, ny = p.y
            var normal = SIMD3<Double>(nx, ny, max(0.02, 1 - nx * nx - ny * ny).squareRoot())
            normal /= (normal * normal).sum().squareRoot()
            return skin * (0.5 + 0.55 * max(0, (normal * light).sum()))
        }
        let cheekColour = cartoon ? RGB(0.98, 0.55, 0.55) : RGB(0.85, 0.35, 0.35)
        for side in [-1.0, 1.0] {
            let eye = eyeCentre(side: side)
            let cheek = Point(eye.x + side * 0.06, face.mouthHeight - 0.2)
            if cartoon {
                guard face.smile > 0.3 else { continue }
                fill(.ellipse(cheek, Point(0.1, 0.06)), in: head, opacity: 0.45) { _ in cheekColour }
            } else {
                glow(at: eye + Point(0, -0.02), radii: Point(0.21, 0.12), strength: 0.2, colour: skin * 0.55, within: shape)
                glow(at: cheek, radii: Point(0.15, 0.11), strength: 0.16, colour: cheekColour, within: shape)
            }
        }
    }

    mutating func paintEye(side: Double) {
        let near = 1 + 0.07 * side * face.yaw
        let centre = eyeCentre(side: side)
        let halfWidth = (cartoon ? 0.15 : 0.125) * face.eyeSize * near
        let halfHeight = (cartoon ? 0.1 : 0.06) * face.eyeSize * face.eyeOpenness * near
        let white: Shape = cartoon ? .ellipse(centre, Point(halfWidth, halfHeight)) : .almond(centre, halfWidth: halfWidth, halfHeight: halfHeight)
        let lid = Shape.stroke(centre - Point(halfWidth, 0), centre - Point(0, 2 * halfHeight), centre + Point(halfWidth, 0),
                               startWidth: cartoon ? 0.03 : 0.01, endWidth: cartoon ? 0.03 : 0.018)
        if !cartoon {
            let crease = Shape.stroke(centre - Point(halfWidth * 0.9, 0.03), centre - Point(0, 2 * halfHeight + 0.07),
                                      centre + Point(halfWidth * 0.9, -0.03), startWidth: 0.006, endWidth: 0.006)
            let skin = face.skin
            fill(crease, in: head, softness: 3, opacity: 0.5) { _ in skin * 0.6 }
        }
        let top = centre.y - halfHeight
        draw(white, in: head, softness: 1, flat: RGB(0.98, 0.98, 0.96)) { p in
            RGB(0.93, 0.9, 0.87) * (0.72 + 0.28 * min(max((p.y - top) / (2 * halfHeight), 0), 1))
        }
        let irisCentre = centre + Point(face.gaze.x * halfWidth * 0.3, face.gaze.y * halfHeight * 0.3)
        let irisRadius = halfWidth * (cartoon ? 0.55 : 0.48)
        let iris = face.iris, flatIris = Self.cartoonColour(iris)
        let cartoon = self.cartoon
        fill(clipped(.ellipse(irisCentre, Point(repeating: irisRadius)), to: white), in: head) { p in
            guard !cartoon else { return flatIris }
            let r = ((p - irisCentre) * (p - irisCentre)).sum().squareRoot() / irisRadius
            return iris * (0.55 + 0.6 * (1 - r))
        }
        fill(clipped(.ellipse(irisCentre, Point(repeating: irisRadius * 0.45)), to: white), in: head) { _ in RGB(0.03, 0.02, 0.02) }
        let sparkle = irisCentre - Point(0.35, 0.35) * irisRadius
        fill(clipped(.ellipse(sparkle, Point(repeating: irisRadius * (cartoon ? 0.3 : 0.2))), to: white), in: head) { _ in RGB(1, 1, 1) }
        if cartoon { outline(white, in: head) }
        let lash = cartoon ? Self.ink : face.hair * 0.35 + RGB(repeating: 0.03)
        fill(lid, in: head, softness: cartoon ? 1 : 1.5) { _ in lash }
    }

    private func clipped(_ shape: Shape, to clip: Shape) -> Shape { shape.intersection(clip) }

    mutating func paintBrow(side: Double) {
        let eye = eyeCentre(side: side)
        let lift = face.browLift, tilt = face.browTilt * 0.025, weight = face.browWeight * (cartoon ? 1.5 : 1)
        let brow = Shape.stroke(Point(eye.x - side * 0.11, eye.y - 0.16 - lift + tilt), Point(eye.x + side * 0.01, eye.y - 0.25 - lift),
                                Point(eye.x + side * 0.15, eye.y - 0.15 - lift - tilt), startWidth: 0.028 * weight, endWidth: 0.012 * weight)
        let colour = cartoon ? Self.ink * 0.5 + face.hair * 0.5 : face.hair * 0.8 + face.skin * 0.15
        fill(brow, in: head, softness: cartoon ? 1 : 2.5, opacity: cartoon ? 1 : 0.9) { _ in colour }
    }

    mutating func paintNose() {
        let x = face.featureShift * 1.6, tipY = 0.06 + 0.27 * face.noseLength, wing = 0.075 * face.noseWidth
        let side: Double = face.light.x >= 0 ? -1 : 1
        if cartoon {
            fill(.stroke(Point(x - wing * 0.8, tipY - 0.01), Point(x, tipY + 0.07), Point(x + wing * 0.8, tipY - 0.01),
                         startWidth: 0.017, endWidth: 0.017), in: head) { _ in Self.ink }
            fill(.stroke(Point(x + side * 0.03, tipY - 0.18), Point(x + side * 0.055, tipY - 0.07), Point(x + side * 0.04, tipY - 0.03),
                         startWidth: 0.006, endWidth: 0.014), in: head) { _ in Self.ink }
            return
        }
        let skin = face.skin, shape = faceShape
        glow(at: Point(x + side * 0.05, (face.eyeHeight + tipY) / 2), radii: Point(0.03, (tipY - face.eyeHeight) / 2),
             strength: 0.22, colour: skin * 0.55, within: shape)
        glow(at: Point(x, tipY + 0.045), radii: Point(wing * 1.3, 0.028), strength: 0.3, colour: skin * 0.5, within: shape)
        for nostril in [-1.0, 1.0] {
            fill(.ellipse(Point(x + nostril * wing * 0.6, tipY + 0.02), Point(0.03, 0.016)), in: head, softness: 2.5, opacity: 0.8) { _ in skin * 0.35 }
        }
        glow(at: Point(x - side * 0.015, tipY - 0.035), radii: Point(0.03, 0.025), strength: 0.18, colour: RGB(1, 1, 1), within: shape)
    }

    mutating func paintMouth() {
        let mouth = MouthGeometry(face)
        let lips = face.lips
        if mouth.isOpen {
            draw(mouth.opening, in: head, softness: 1.2, flat: RGB(0.45, 0.08, 0.1)) { _ in RGB(0.22, 0.05, 0.06) }
            let teeth = Shape(box: mouth.opening.box) { [mouth] p in
                Distance.band(p, centreX: mouth.x, halfWidth: mouth.halfWidth * 0.8, top: { mouth.centreLine($0) - mouth.gap($0) },
                              bottom: { mouth.centreLine($0) - mouth.gap($0) + min(0.035, 1.2 * mouth.gap($0)) })
            }.intersection(mouth.opening)
            fill(teeth, in: head) { _ in RGB(0.95, 0.93, 0.87) }
            if cartoon { outline(mouth.opening, in: head) }
        }
        guard !cartoon else {
            if !mouth.isOpen { fill(mouth.line(width: 0.02), in: head) { _ in Self.ink } }
            return
        }
        fill(mouth.upperLip, in: head, softness: 1.6) { _ in lips * 0.82 }
        fill(mouth.lowerLip, in: head, softness: 1.6) { p in lips * (1 + 0.25 * max(0, 1 - abs(p.x - mouth.x) / mouth.halfWidth)) }
        if !mouth.isOpen { fill(mouth.line(width: 0.005), in: head, softness: 1.5, opacity: 0.8) { _ in lips * 0.4 } }
    }

    mutating func paintFrontHair() {
        let width = face.faceWidth * (1 + face.hairVolume), parting = face.hairParting
        let top = face.hairStyle == .buzz ? -0.72 : face.hairline
        // A buzz cut hugs the skull; other styles have volume and hair behind the head to back it.
        let cap = face.hairStyle == .buzz ? Shape.ellipse(Point(0, -0.01), Point(face.faceWidth * 1.02, 1.02))
            : Shape.ellipse(Point(0, -0.06), Point(width * 1.06, 1.04 * (1 + face.hairVolume * 0.5)))
        let fringe = Shape(box: cap.box) { p in
            let hairline = top + 0.55 * pow(abs(p.x) / width, 3) + 0.06 * parting * p.x / width + 0.025 * sin(p.x * 18 + parting * 3)
            return max(cap.distance(p), p.y - hairline)
        }
        let hair = face.hair, light = face.light
        if !cartoon {
            glow(at: Point(0, top + 0.08), radii: Point(width * 0.8, 0.08), strength: 0.3, colour: face.skin * 0.5, within: faceShape)
        }
        draw(fringe, in: head, softness: 1.8, flat: Self.cartoonColour(hair)) { p in Self.hairShade(p, hair: hair, light: light) }
    }
}

/// The mouth's curves in head units: a centre line bent by the smile, an opening that is widest in
/// the middle, and lips above and below it.
struct MouthGeometry {
    let x: Double
    let y: Double
    let halfWidth: Double
    let smile: Double
    let openness: Double
    let fullness: Double

    init(_ face: FaceParameters) {
        x = face.featureShift * 1.3
        y = face.mouthHeight
        halfWidth = 0.2 * face.mouthWidth
        smile = face.smile
        openness = face.mouthOpening
        fullness = face.lipFullness
    }

    var isOpen: Bool { openness > 0 }

    private func profile(_ px: Double) -> Double {
        let t = (px - x) / halfWidth
        return max(0, 1 - t * t)
    }

    func centreLine(_ px: Double) -> Double {
        let t = (px - x) / halfWidth
        return y - 0.075 * smile * t * t + 0.02 * smile
    }

    /// Half the height of the opening above the centre line (the lower half is 1.5 times that).
    func gap(_ px: Double) -> Double { openness * 0.055 * profile(px) }

    var opening: Shape {
        let mouth = self
        return Shape(box: (Point(x - halfWidth, y - 0.2), Point(x + halfWidth, y + 0.2))) { p in
            Distance.band(p, centreX: mouth.x, halfWidth: mouth.halfWidth, top: { mouth.centreLine($0) - mouth.gap($0) },
                          bottom: { mouth.centreLine($0) + 1.5 * mouth.gap($0) })
        }
    }

    var upperLip: Shape {
        let mouth = self
        return Shape(box: (Point(x - halfWidth, y - 0.25), Point(x + halfWidth, y + 0.1))) { p in
            Distance.band(p, centreX: mouth.x, halfWidth: mouth.halfWidth,
                          top: { mouth.centreLine($0) - mouth.gap($0) - mouth.fullness * 0.03 * mouth.profile($0).squareRoot() - 0.004 },
                          bottom: { mouth.centreLine($0) - mouth.gap($0) })
        }
    }

    var lowerLip: Shape {
        let mouth = self
        return Shape(box: (Point(x - halfWidth, y - 0.1), Point(x + halfWidth, y + 0.25))) { p in
            Distance.band(p, centreX: mouth.x, halfWidth: mouth.halfWidth, top: { mouth.centreLine($0) + 1.5 * mouth.gap($0) },
                          bottom: { mouth.centreLine($0) + 1.5 * mouth.gap($0) + mouth.fullness * 0.042 * mouth.profile($0).squareRoot() + 0.004 })
        }
    }

    /// The parting of closed lips as a stroke from corner to corner.
    func line(width: Double) -> Shape {
        let left = Point(x - halfWidth, centreLine(x - halfWidth)), right = Point(x + halfWidth, centreLine(x + halfWidth))
        let control = Point(x, 2 * centreLine(x) - (left.y + right.y) / 2)
        return .stroke(left, control, right, startWidth: width, endWidth: width)
    }
}
