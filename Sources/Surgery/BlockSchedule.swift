import Foundation

/// How much of each synthesis block comes from the style model: a weight m per block resolution, used as
/// output = base·(1 − m) + style·m on every synthesis parameter of that block.
public enum BlockSchedule: Equatable, Sendable {
    /// m = 0 for blocks at resolution ≤ R, 1 above (R = the output resolution copies the base).
    case swap(at: Int)
    /// m as listed; a block resolution that is not listed gets 0.
    case weights([Int: Double])
    /// m(R') = logistic((i(R') − i(R) − ½) / W) with i(R') = log2(R'/4) the block index (b4 = 0, b8 = 1, …).
    /// It runs over blocks, so every tensor of a block shares one weight (as with `weights`); the 0.5
    /// point falls between bR and b2R, so W → 0 is exactly `swap(at: R)`. toonify's blend_models.py runs
    /// the logistic over half-block positions p = 2·i + level (level 0: const/conv0, 1: conv1 + ToRGB)
    /// centred at p = 2·i(R) + level: its width w has the slope of W = w/2 here, and its 0.5 point sits a
    /// quarter (level 1) to three quarters (level 0) of a block lower than toonkit's.
    case logistic(at: Int, width: Double)

    /// The style weight of every block resolution; `invert` gives the base's share to the style (m → 1 − m).
    public func styleWeights(resolutions: [Int], invert: Bool = false) throws -> [(resolution: Int, weight: Double)] {
        try validate(resolutions: resolutions)
        return resolutions.map { resolution in
            let m = weight(at: resolution)
            return (resolution, invert ? 1 - m : m)
        }
    }

    private func weight(at resolution: Int) -> Double {
        switch self {
        case .swap(let at):
            return resolution <= at ? 0 : 1
        case .weights(let table):
            return table[resolution] ?? 0
        case .logistic(let at, let width):
            let offset = log2(Double(resolution)) - log2(Double(at)) - 0.5
            return 1 / (1 + exp(-offset / width))
        }
    }

    private func validate(resolutions: [Int]) throws {
        let known = resolutions.map(String.init).joined(separator: ", ")
        func checkResolution(_ value: Int, _ option: String) throws {
            guard resolutions.contains(value) else {
                throw SurgeryError.invalidParameter("\(option) \(value) is not a block resolution of this model (\(known))")
            }
        }
        switch self {
        case .swap(let at):
            try checkResolution(at, "--at")
        case .weights(let table):
            for resolution in table.keys.sorted() { try checkResolution(resolution, "--weights: resolution") }
            if let bad = table.first(where: { !$0.value.isFinite }) {
                throw SurgeryError.invalidParameter("--weights: the weight of \(bad.key) is not a finite number")
            }
        case .logistic(let at, let width):
            try checkResolution(at, "--at")
            guard width > 0, width.isFinite else { throw SurgeryError.invalidParameter("--width must be a positive number, got \(width)") }
        }
    }

    /// Parses `4=0,8=0,16=0.25,…,256=1`.
    public static func parseWeights(_ text: String) throws -> [Int: Double] {
        var table: [Int: Double] = [:]
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, let resolution = Int(pair[0]), let weight = Double(pair[1]) else {
                throw SurgeryError.invalidParameter("--weights: '\(item)' is not RESOLUTION=WEIGHT (e.g. 16=0.25)")
            }
            guard table.updateValue(weight, forKey: resolution) == nil else {
                throw SurgeryError.invalidParameter("--weights: resolution \(resolution) is listed twice")
            }
        }
        guard !table.isEmpty else { throw SurgeryError.invalidParameter("--weights is empty") }
        return table
    }
}
