import Foundation

/// Deterministic stand-in weights for the Inception network and LPIPS's VGG16 backbone: every tensor
/// is a formula of its state-dict name and element index. scripts/formula_weights.py implements the
/// same formula in numpy, so tests can compare toonkit's networks with pytorch-fid's and lpips's on
/// identical weights without the 95 MB and 528 MB files. Values are exact float32 operations, so both sides agree bit for bit.
///
/// FIDs computed with these weights measure nothing meaningful about image quality and are never
/// comparable with published FIDs; results carry that in `FIDResult.comparableWithPublished`.
public enum FormulaWeights {
    /// Bumped if the formula changes, so cached statistics made with an older formula are not reused.
    public static let version = 1

    /// FNV-1a (32 bit) of the UTF-8 name.
    public static func nameSeed(_ name: String) -> UInt32 {
        var hash: UInt32 = 0x811C_9DC5
        for byte in name.utf8 { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
        return hash
    }

    /// `count` values in [−1, 1), each exact in float32: murmur3's finaliser of seed ^ (index · golden ratio).
    public static func uniform(seed: UInt32, count: Int) -> [Float] {
        (0..<count).map { index in
            var h = seed ^ (UInt32(truncatingIfNeeded: index) &* 0x9E37_79B9)
            h ^= h >> 16
            h &*= 0x85EB_CA6B
            h ^= h >> 13
            h &*= 0xC2B2_AE35
            h ^= h >> 16
            return Float(h >> 8) * 0x1p-23 - 1
        }
    }

    /// The formula value of one float tensor of the network, or nil for names the formula does not
    /// cover. Scales keep activations O(1) through all 94 layers: He-uniform convolutions
    /// (variance 2 / fan-in) and batch-norm statistics near the identity, with running_var ≥ 0.5.
    public static func tensor(name: String, shape: [Int]) -> [Float]? {
        let u = uniform(seed: nameSeed(name), count: shape.reduce(1, *))
        let scaled: (Float, Float) -> [Float] = { offset, scale in u.map { offset + scale * $0 } }
        // He-uniform convolutions; VGG16's (torchvision's `features.N.weight`) have no batch norm
        // behind them, and this alone keeps their ReLU activations O(1) through 13 layers.
        if name.hasSuffix(".conv.weight") || (name.hasPrefix("features.") && name.hasSuffix(".weight")) {
            let fanIn = shape.dropFirst().reduce(1, *)
            let bound = Float((6.0 / Double(fanIn)).squareRoot())
            return u.map { bound * $0 }
        }
        if name.hasSuffix(".bn.weight") { return scaled(1, 0.25) }
        if name.hasSuffix(".bn.bias") { return scaled(0, 0.25) }
        if name.hasSuffix(".bn.running_mean") { return scaled(0, 0.25) }
        if name.hasSuffix(".bn.running_var") { return scaled(1, 0.5) }
        if name.hasPrefix("features."), name.hasSuffix(".bias") { return scaled(0, 0.1) }
        // LPIPS heads are non-negative (lpips clamps them in training); only benchmarks use these, the
        // parity tests use the real ones.
        if name.hasPrefix("lin"), name.hasSuffix(".model.1.weight") { return scaled(0.5, 0.5) }
        return nil
    }
}
