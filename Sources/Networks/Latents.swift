import Engine
import Foundation

/// Seeds → latents exactly as the reference generate.py draws them.
public enum Latents {
    /// z = RandomState(seed).randn(1, z_dim) per seed (float64, rounded to float32), stacked [N, z_dim].
    public static func z(seeds: [UInt32], zDim: Int) throws -> Tensor {
        var values: [Float] = []
        values.reserveCapacity(seeds.count * zDim)
        for seed in seeds {
            var rng = RandomState(seed: seed)
            values += rng.randn(zDim).map { Float($0) }
        }
        return try Tensor(shape: [seeds.count, zDim], values: values)
    }

    /// One-hot labels [N, c_dim] for class `index` (nil for unconditional models).
    public static func oneHot(classIndex: Int?, count: Int, cDim: Int) throws -> Tensor? {
        guard cDim > 0 else {
            if classIndex != nil { throw NetworkError("--class was given, but this model is unconditional (c_dim = 0)") }
            return nil
        }
        guard let classIndex else {
            throw NetworkError("this model is conditional (c_dim = \(cDim)): give a class with --class 0…\(cDim - 1)")
        }
        guard classIndex >= 0 && classIndex < cDim else {
            throw NetworkError("class \(classIndex) is out of range: this model has classes 0…\(cDim - 1)")
        }
        var values = [Float](repeating: 0, count: count * cDim)
        for n in 0..<count { values[n * cDim + classIndex] = 1 }
        return try Tensor(shape: [count, cDim], values: values)
    }

    /// Parses "0,1,2,7", "0-15" or a mix ("0-3,9"); order is kept.
    public static func parseSeeds(_ text: String) throws -> [UInt32] {
        var seeds: [UInt32] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = part.trimmingCharacters(in: .whitespaces)
            let bounds = item.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            if bounds.count == 2, let low = UInt32(bounds[0]), let high = UInt32(bounds[1]), low <= high {
                guard high - low < 1_000_000 else { throw NetworkError("seed range '\(item)' is too long (at most a million seeds)") }
                seeds += Array(low...high)
            } else if let seed = UInt32(item) {
                seeds.append(seed)
            } else {
                throw NetworkError("cannot parse seeds '\(text)': '\(item)' is not a seed (0…4294967295) or a range like 0-15")
            }
        }
        return seeds
    }
}
