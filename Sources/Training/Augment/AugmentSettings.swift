/// Which augmentations an `AugmentPipe` runs: each one's gate fires with probability multiplier × p.
/// A multiplier of 0 disables the augmentation entirely (no random draws either), as in the reference.
public struct AugmentMultipliers: Codable, Equatable, Sendable {
    public var xflip: Double = 0
    public var rotate90: Double = 0
    public var xint: Double = 0
    public var scale: Double = 0
    public var rotate: Double = 0
    public var aniso: Double = 0
    public var xfrac: Double = 0
    public var brightness: Double = 0
    public var contrast: Double = 0
    public var lumaflip: Double = 0
    public var hue: Double = 0
    public var saturation: Double = 0

    public init(xflip: Double = 0, rotate90: Double = 0, xint: Double = 0, scale: Double = 0, rotate: Double = 0,
                aniso: Double = 0, xfrac: Double = 0, brightness: Double = 0, contrast: Double = 0,
                lumaflip: Double = 0, hue: Double = 0, saturation: Double = 0) {
        self.xflip = xflip; self.rotate90 = rotate90; self.xint = xint; self.scale = scale; self.rotate = rotate
        self.aniso = aniso; self.xfrac = xfrac; self.brightness = brightness; self.contrast = contrast
        self.lumaflip = lumaflip; self.hue = hue; self.saturation = saturation
    }

    public init(preset: AugmentPreset) {
        let blit = AugmentMultipliers(xflip: 1, rotate90: 1, xint: 1)
        let geom = AugmentMultipliers(scale: 1, rotate: 1, aniso: 1, xfrac: 1)
        let color = AugmentMultipliers(brightness: 1, contrast: 1, lumaflip: 1, hue: 1, saturation: 1)
        switch preset {
        case .blit: self = blit
        case .geom: self = geom
        case .color: self = color
        case .bg: self = blit.merged(with: geom)
        case .bgc: self = blit.merged(with: geom).merged(with: color)
        }
    }

    public var usesColor: Bool { [brightness, contrast, lumaflip, hue, saturation].contains { $0 > 0 } }

    private func merged(with other: AugmentMultipliers) -> AugmentMultipliers {
        AugmentMultipliers(
            xflip: max(xflip, other.xflip), rotate90: max(rotate90, other.rotate90), xint: max(xint, other.xint),
            scale: max(scale, other.scale), rotate: max(rotate, other.rotate), aniso: max(aniso, other.aniso),
            xfrac: max(xfrac, other.xfrac), brightness: max(brightness, other.brightness),
            contrast: max(contrast, other.contrast), lumaflip: max(lumaflip, other.lumaflip),
            hue: max(hue, other.hue), saturation: max(saturation, other.saturation))
    }
}

/// train.py's `--augpipe` names for the augmentations this pipe implements (the filter, noise and
/// cutout presets are not implemented).
public enum AugmentPreset: String, Codable, CaseIterable, Sendable {
    case blit, geom, color, bg, bgc
}

/// Spreads of the random parameters (docs/training-loop.md §6.1; the reference's constructor defaults).
public struct AugmentConstants: Codable, Equatable, Sendable {
    /// Integer translation range, as a fraction of the image size.
    public var xintMax: Double = 0.125
    /// Standard deviation of log2 of the isotropic scale.
    public var scaleStd: Double = 0.2
    /// Rotation range, as a fraction of π.
    public var rotateMax: Double = 1
    /// Standard deviation of log2 of the anisotropic scale.
    public var anisoStd: Double = 0.2
    /// Standard deviation of the fractional translation, as a fraction of the image size.
    public var xfracStd: Double = 0.125
    public var brightnessStd: Double = 0.2
    /// Standard deviation of log2 of the contrast factor.
    public var contrastStd: Double = 0.5
    /// Hue rotation range, as a fraction of π.
    public var hueMax: Double = 1
    /// Standard deviation of log2 of the saturation factor.
    public var saturationStd: Double = 1

    public init() {}
}
