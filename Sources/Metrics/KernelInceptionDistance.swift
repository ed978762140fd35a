import COpenBLAS
import Engine
import Foundation

/// Options of the kernel inception distance; the defaults are StyleGAN2-ADA's kid50k_full.
public struct KIDOptions: Sendable, Equatable, Codable {
    public var subsets: Int
    public var maxSubsetSize: Int
    /// Seeds the subset draws, so a KID is reproducible (the reference draws from numpy's global state).
    public var seed: UInt32

    public init(subsets: Int = 100, maxSubsetSize: Int = 1000, seed: UInt32 = 0) {
        self.subsets = subsets
        self.maxSubsetSize = maxSubsetSize
        self.seed = seed
    }

    enum CodingKeys: String, CodingKey { case subsets, maxSubsetSize = "max_subset_size", seed }
}

/// KID as StyleGAN2-ADA's compute_kid: the polynomial kernel k(x, y) = (xᵀy / d + 1)³ and the
/// unbiased MMD² estimate, averaged over random subsets of size m = min(N_real, N_generated, max):
///
///     t += (Σ_{i≠j} [k(xᵢ,xⱼ) + k(yᵢ,yⱼ)]) / (m − 1) − 2·Σ_{i,j} k(xᵢ,yⱼ) / m,   KID = t / subsets / m
///
/// with x generated and y real. Each subset draws the generated rows, then the real rows, as numpy's
/// legacy `RandomState(seed).choice(N, m, replace=False)` does (a shuffled arange, first m), so a
/// numpy script with the same seed draws the same subsets. Dot products are float32 GEMMs (as the
/// reference's float32 numpy), kernels and sums are float64.
public enum KernelInceptionDistance {
    public static func distance(real: FeatureStatistics, generated: FeatureStatistics, options: KIDOptions = KIDOptions()) throws -> Double {
        guard let realFeatures = real.features, let generatedFeatures = generated.features else {
            throw MetricsError("KID needs the feature vectors themselves, not only their statistics (compute the statistics with keepFeatures)")
        }
        guard real.dimension == generated.dimension else {
            throw MetricsError("cannot compare \(real.dimension)-d and \(generated.dimension)-d features")
        }
        return try distance(real: realFeatures, generated: generatedFeatures, dimension: real.dimension, options: options)
    }

    /// From row-major float32 features [N, dimension].
    public static func distance(real: [Float], generated: [Float], dimension d: Int, options: KIDOptions) throws -> Double {
        guard d > 0, real.count % d == 0, generated.count % d == 0 else {
            throw MetricsError("KID: feature arrays do not hold whole \(d)-d vectors")
        }
        let realCount = real.count / d, generatedCount = generated.count / d
        let m = min(realCount, generatedCount, options.maxSubsetSize)
        guard m >= 2, options.subsets >= 1 else {
            throw MetricsError("KID needs at least 2 real and 2 generated images and one subset (got \(realCount), \(generatedCount), \(options.subsets) subsets)")
        }
        var rng = RandomState(seed: options.seed)
        var total = 0.0
        for _ in 0..<options.subsets {
            let x = rows(generated, d, choose(m, from: generatedCount, &rng))
            let y = rows(real, d, choose(m, from: realCount, &rng))
            let within = offDiagonalKernelSum(x, m, d) + offDiagonalKernelSum(y, m, d)
            total += within / Double(m - 1) - 2 * crossKernelSum(x, y, m, d) / Double(m)
        }
        return total / Double(options.subsets) / Double(m)
    }

    /// numpy legacy `choice(population, m, replace=False)`: the first m of `permutation(population)`.
    static func choose(_ m: Int, from population: Int, _ rng: inout RandomState) -> [Int] {
        var order = Array(0..<population)
        for i in stride(from: population - 1, to: 0, by: -1) {
            order.swapAt(i, rng.nextInt(below: i + 1))
        }
        return Array(order.prefix(m))
    }

    private static func rows(_ features: [Float], _ d: Int, _ indices: [Int]) -> [Float] {
        var result = [Float](repeating: 0, count: indices.count * d)
        for (row, index) in indices.enumerated() {
            for j in 0..<d { result[row * d + j] = features[index * d + j] }
        }
        return result
    }

    @inline(__always)
    private static func kernel(_ dot: Float, _ d: Int) -> Double {
        let base = Double(dot) / Double(d) + 1
        return base * base * base
    }

    /// Σ_{i≠j} k(aᵢ, aⱼ) from the upper triangle of a·aᵀ.
    private static func offDiagonalKernelSum(_ a: [Float], _ m: Int, _ d: Int) -> Double {
        var gram = [Float](repeating: 0, count: m * m)
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(m), Int32(d), 1, a, Int32(d), 0, &gram, Int32(m))
        var sum = 0.0
        for i in 0..<m {
            for j in (i + 1)..<m { sum += kernel(gram[i * m + j], d) }
        }
        return 2 * sum
    }

    private static func crossKernelSum(_ x: [Float], _ y: [Float], _ m: Int, _ d: Int) -> Double {
        var gram = [Float](repeating: 0, count: m * m)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(m), Int32(d), 1, x, Int32(d), y, Int32(d), 0, &gram, Int32(m))
        return gram.reduce(0.0) { $0 + kernel($1, d) }
    }
}
