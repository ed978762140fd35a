import Engine
import Foundation

enum HairStyle: CaseIterable {
    case short, bob, long, buzz
}

/// Everything that makes one synthetic person: pose, proportions, expression and colours. Faces
/// and cartoons of the same seed and index draw the same parameters, so they share identity.
/// Lengths are in head units (the face's half-height is 1; the face's centre is the origin).
struct FaceParameters {
    // Pose on the canvas (canvas units: the image spans −1…1).
    var centre: Point
    var scale: Double
    var roll: Double
    /// −1 (turned to the image's left) … 1; moves the features sideways within the oval.
    var yaw: Double
    // Proportions.
    var faceWidth: Double
    var jaw: Double
    var eyeSpacing: Double
    var eyeHeight: Double
    var eyeSize: Double
    var noseLength: Double
    var noseWidth: Double
    var mouthHeight: Double
    var mouthWidth: Double
    var lipFullness: Double
    // Expression.
    var eyeOpenness: Double
    var gaze: Point
    var browLift: Double
    var browTilt: Double
    var browWeight: Double
    var smile: Double
    var mouthOpening: Double
    // Hair.
    var hairStyle: HairStyle
    var hairVolume: Double
    var hairline: Double
    var hairParting: Double
    // Colours and light.
    var skin: RGB
    var hair: RGB
    var iris: RGB
    var lips: RGB
    var clothes: RGB
    var backgroundTop: RGB
    var backgroundBottom: RGB
    var light: SIMD3<Double>

    static let skinTones: [RGB] = [
        RGB(0.98, 0.86, 0.76), RGB(0.95, 0.80, 0.68), RGB(0.90, 0.72, 0.58), RGB(0.82, 0.62, 0.47),
        RGB(0.72, 0.52, 0.38), RGB(0.60, 0.42, 0.30), RGB(0.47, 0.32, 0.22), RGB(0.36, 0.24, 0.17),
    ]
    static let hairColours: [RGB] = [
        RGB(0.07, 0.05, 0.04), RGB(0.20, 0.12, 0.07), RGB(0.38, 0.24, 0.13), RGB(0.62, 0.45, 0.25),
        RGB(0.86, 0.72, 0.45), RGB(0.58, 0.23, 0.09), RGB(0.68, 0.67, 0.66),
    ]
    static let irisColours: [RGB] = [
        RGB(0.30, 0.18, 0.09), RGB(0.42, 0.30, 0.14), RGB(0.25, 0.45, 0.70), RGB(0.30, 0.50, 0.30), RGB(0.45, 0.50, 0.55),
    ]

    init(seed: UInt32, index: Int) {
        var random = FaceRandom(seed: seed, index: index)
        centre = Point(random.uniform(-0.07, 0.07), random.uniform(-0.04, 0.06))
        scale = random.uniform(0.50, 0.60)
        roll = random.uniform(-0.16, 0.16)
        yaw = random.uniform(-1, 1)
        faceWidth = random.uniform(0.70, 0.84)
        jaw = random.uniform(0.1, 0.5)
        eyeSpacing = random.uniform(0.28, 0.34)
        eyeHeight = random.uniform(-0.12, 0.0)
        eyeSize = random.uniform(0.85, 1.15)
        noseLength = random.uniform(0.8, 1.15)
        noseWidth = random.uniform(0.85, 1.2)
        mouthHeight = random.uniform(0.50, 0.60)
        mouthWidth = random.uniform(0.8, 1.2)
        lipFullness = random.uniform(0.6, 1.3)
        eyeOpenness = random.uniform(0.7, 1.1)
        gaze = Point(random.uniform(-1, 1), random.uniform(-0.5, 0.5))
        browLift = random.uniform(-0.03, 0.06)
        browTilt = random.uniform(-1, 1)
        browWeight = random.uniform(0.7, 1.3)
        smile = random.uniform(-0.3, 1)
        mouthOpening = random.chance(0.45) ? random.uniform(0.3, 1) : 0
        hairStyle = random.pick(HairStyle.allCases)
        hairVolume = random.uniform(0, 0.15)
        hairline = random.uniform(-0.62, -0.38)
        hairParting = random.uniform(-1, 1)
        skin = random.jitter(random.pick(Self.skinTones), by: 0.03)
        hair = random.jitter(random.pick(Self.hairColours), by: 0.03)
        iris = random.jitter(random.pick(Self.irisColours), by: 0.04)
        lips = skin * RGB(0.92, 0.62, 0.62) + RGB(0.06, 0, 0)
        clothes = random.colour(saturation: random.uniform(0.2, 0.7), value: random.uniform(0.25, 0.85))
        let backgroundHue = random.uniform(0, 1)
        backgroundTop = hsv(backgroundHue, random.uniform(0.05, 0.3), random.uniform(0.65, 0.95))
        backgroundBottom = hsv(backgroundHue + random.uniform(-0.1, 0.1), random.uniform(0.05, 0.35), random.uniform(0.4, 0.8))
        let light = SIMD3<Double>(random.uniform(-0.6, 0.6), random.uniform(-0.5, -0.1), 0.85)
        self.light = light / (light * light).sum().squareRoot()
    }

    /// Sideways offset of the features in head units for the yaw (the nose moves more than the eyes).
    var featureShift: Double { yaw * 0.09 }
}

/// The draws behind one face: numpy's Mersenne Twister seeded from a hash of (seed, index), so any
/// image can be drawn on its own, in any order, on any thread.
struct FaceRandom {
    private var state: RandomState

    init(seed: UInt32, index: Int) {
        var mixed = ((UInt64(seed) << 32) ^ UInt64(truncatingIfNeeded: index)) &+ 0x9E37_79B9_7F4A_7C15
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        mixed ^= mixed >> 31
        state = RandomState(seed: UInt32(truncatingIfNeeded: mixed ^ (mixed >> 32)))
    }

    mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * state.nextDouble() }
    mutating func chance(_ probability: Double) -> Bool { state.nextDouble() < probability }
    mutating func pick<T>(_ choices: [T]) -> T { choices[state.nextInt(below: choices.count)] }

    mutating func jitter(_ colour: RGB, by amount: Double) -> RGB {
        let offset = RGB(uniform(-amount, amount), uniform(-amount, amount), uniform(-amount, amount))
        return pointwiseMin(pointwiseMax(colour + offset, RGB(repeating: 0)), RGB(repeating: 1))
    }

    mutating func colour(saturation: Double, value: Double) -> RGB { hsv(uniform(0, 1), saturation, value) }
}

/// HSV (hue wraps around 1) to RGB.
func hsv(_ hue: Double, _ saturation: Double, _ value: Double) -> RGB {
    let h = (hue - hue.rounded(.down)) * 6
    let sector = Int(h) % 6
    let f = h - Double(Int(h))
    let p = value * (1 - saturation), q = value * (1 - saturation * f), t = value * (1 - saturation * (1 - f))
    switch sector {
    case 0: return RGB(value, t, p)
    case 1: return RGB(q, value, p)
    case 2: return RGB(p, value, t)
    case 3: return RGB(p, q, value)
    case 4: return RGB(t, p, value)
    default: return RGB(value, p, q)
    }
}
