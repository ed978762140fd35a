import Engine
import Foundation

/// One image's augmentation parameters after gating: an augmentation whose gate did not fire holds its
/// identity value. Geometric shifts are in pixels (positive x to the right, positive y down).
public struct AugmentDraw: Codable, Equatable, Sendable {
    public var xflip: Int = 0
    public var quarterTurns: Int = 0
    public var integerShiftX: Int = 0
    public var integerShiftY: Int = 0
    public var scale: Double = 1
    public var preRotation: Double = 0
    public var anisotropy: Double = 1
    public var postRotation: Double = 0
    public var fractionalShiftX: Double = 0
    public var fractionalShiftY: Double = 0
    public var brightness: Double = 0
    public var contrast: Double = 1
    public var lumaflip: Int = 0
    public var hue: Double = 0
    public var saturation: Double = 1

    public init(xflip: Int = 0, quarterTurns: Int = 0, integerShiftX: Int = 0, integerShiftY: Int = 0,
                scale: Double = 1, preRotation: Double = 0, anisotropy: Double = 1, postRotation: Double = 0,
                fractionalShiftX: Double = 0, fractionalShiftY: Double = 0, brightness: Double = 0,
                contrast: Double = 1, lumaflip: Int = 0, hue: Double = 0, saturation: Double = 1) {
        self.xflip = xflip; self.quarterTurns = quarterTurns
        self.integerShiftX = integerShiftX; self.integerShiftY = integerShiftY
        self.scale = scale; self.preRotation = preRotation; self.anisotropy = anisotropy; self.postRotation = postRotation
        self.fractionalShiftX = fractionalShiftX; self.fractionalShiftY = fractionalShiftY
        self.brightness = brightness; self.contrast = contrast; self.lumaflip = lumaflip
        self.hue = hue; self.saturation = saturation
    }

    /// G_inv: maps output pixel coordinates (about the image centre) to input coordinates.
    /// Each transform contributes its inverse, right-multiplied in the order of docs/training-loop.md §6.2, so that
    /// in the forward direction xflip acts first and the fractional shift last.
    public var geometricInverse: HomogeneousMatrix {
        [
            .scale2D(Double(1 - 2 * xflip), 1),
            .quarterRotation2D(quarterTurns),
            .translation2D(-Double(integerShiftX), -Double(integerShiftY)),
            .scale2D(1 / scale, 1 / scale),
            .rotation2D(preRotation),
            .scale2D(1 / anisotropy, anisotropy),
            .rotation2D(postRotation),
            .translation2D(-fractionalShiftX, -fractionalShiftY),
        ].reduce(.identity(3), *)
    }

    /// C: the 4×4 colour matrix acting on (R, G, B, 1) in [−1, 1]; each transform is left-multiplied
    /// in the order of docs/training-loop.md §6.4.
    public var colorMatrix: HomogeneousMatrix {
        [
            .translation3D(brightness),
            .scale3D(contrast),
            .lumaScaling(Double(1 - 2 * lumaflip)),
            .hueRotation(hue),
            .saturation(saturation),
        ].reduce(.identity(4)) { composed, next in next * composed }
    }
}

/// Draws `AugmentDraw`s the way the reference vectorises them: for each enabled augmentation in pipeline
/// order, first its parameter for every image, then its gate for every image. Draws happen whenever the
/// multiplier is positive, whatever p is, so the generator advances the same way for every p.
struct AugmentSampler {
    let multipliers: AugmentMultipliers
    let constants: AugmentConstants
    let p: Double

    func draw(count: Int, channels: Int, height: Int, width: Int, random: inout RandomState) -> [AugmentDraw] {
        var draws = Array(repeating: AugmentDraw(), count: count)
        let c = constants
        func gated<T>(_ multiplier: Double, probability: Double? = nil, _ value: (inout RandomState) -> T,
                      _ store: (inout AugmentDraw, T) -> Void) {
            guard multiplier > 0 else { return }
            let values = (0..<count).map { _ in value(&random) }
            let fires = (0..<count).map { _ in random.nextDouble() < (probability ?? multiplier * p) }
            for i in 0..<count where fires[i] { store(&draws[i], values[i]) }
        }
        func uniformSymmetric(_ r: inout RandomState) -> Double { r.nextDouble() * 2 - 1 }
        func logNormal(_ std: Double) -> (inout RandomState) -> Double { { r in exp2(r.nextGaussian() * std) } }

        gated(multipliers.xflip, { r in Int((r.nextDouble() * 2).rounded(.down)) }) { $0.xflip = $1 }
        gated(multipliers.rotate90, { r in Int((r.nextDouble() * 4).rounded(.down)) }) { $0.quarterTurns = $1 }
        gated(multipliers.xint, { r in (uniformSymmetric(&r) * c.xintMax, uniformSymmetric(&r) * c.xintMax) }) {
            // torch.round rounds halves to even.
            $0.integerShiftX = Int(($1.0 * Double(width)).rounded(.toNearestOrEven))
            $0.integerShiftY = Int(($1.1 * Double(height)).rounded(.toNearestOrEven))
        }
        gated(multipliers.scale, logNormal(c.scaleStd)) { $0.scale = $1 }
        // Two independent rotation gates whose union fires with probability rotate·p.
        let rotationProbability = 1 - min(max(1 - multipliers.rotate * p, 0), 1).squareRoot()
        let angle: (inout RandomState) -> Double = { r in uniformSymmetric(&r) * Double.pi * c.rotateMax }
        gated(multipliers.rotate, probability: rotationProbability, angle) { $0.preRotation = $1 }
        gated(multipliers.aniso, logNormal(c.anisoStd)) { $0.anisotropy = $1 }
        gated(multipliers.rotate, probability: rotationProbability, angle) { $0.postRotation = $1 }
        gated(multipliers.xfrac, { r in (r.nextGaussian() * c.xfracStd, r.nextGaussian() * c.xfracStd) }) {
            $0.fractionalShiftX = $1.0 * Double(width)
            $0.fractionalShiftY = $1.1 * Double(height)
        }

        gated(multipliers.brightness, { r in r.nextGaussian() * c.brightnessStd }) { $0.brightness = $1 }
        gated(multipliers.contrast, logNormal(c.contrastStd)) { $0.contrast = $1 }
        gated(multipliers.lumaflip, { r in Int((r.nextDouble() * 2).rounded(.down)) }) { $0.lumaflip = $1 }
        // Hue and saturation act on chroma, which a 1-channel image does not have.
        guard channels > 1 else { return draws }
        gated(multipliers.hue, { r in uniformSymmetric(&r) * Double.pi * c.hueMax }) { $0.hue = $1 }
        gated(multipliers.saturation, logNormal(c.saturationStd)) { $0.saturation = $1 }
        return draws
    }
}
