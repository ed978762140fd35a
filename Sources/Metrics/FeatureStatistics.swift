import COpenBLAS
import Foundation

/// Mean and covariance (float64) of a set of feature vectors, and optionally the vectors themselves
/// (float32, row-major [count, dimension]) for KID.
///
/// The covariance is the unbiased one (divided by count − 1), as pytorch-fid's np.cov(rowvar=False);
/// the StyleGAN2-ADA code divides by count, which differs by a factor count / (count − 1).
public struct FeatureStatistics: Sendable {
    public let count: Int
    public let dimension: Int
    public let mean: [Double]
    /// Row-major dimension × dimension.
    public let covariance: [Double]
    public let features: [Float]?

    public init(count: Int, dimension: Int, mean: [Double], covariance: [Double], features: [Float]? = nil) throws {
        guard count >= 2 else { throw MetricsError("statistics need at least 2 feature vectors, got \(count)") }
        guard mean.count == dimension, covariance.count == dimension * dimension else {
            throw MetricsError("statistics of dimension \(dimension) need \(dimension) means and \(dimension)² covariances, got \(mean.count) and \(covariance.count)")
        }
        if let features, features.count != count * dimension {
            throw MetricsError("statistics of \(count) vectors of dimension \(dimension) got \(features.count) feature values")
        }
        self.count = count
        self.dimension = dimension
        self.mean = mean
        self.covariance = covariance
        self.features = features
    }

    /// Statistics of row-major float32 features [count, dimension].
    public init(features: [Float], dimension: Int, keepFeatures: Bool = false) throws {
        var accumulator = FeatureAccumulator(dimension: dimension, keepFeatures: keepFeatures)
        try accumulator.add(features)
        self = try accumulator.statistics()
    }
}

/// Sums features batch by batch in float64. The sums are taken around a shift (the first batch's
/// mean), so the covariance does not lose digits to cancellation when means are large against the
/// spread: Σ = (S − n·d·dᵀ) / (n − 1) with S = Σ (x − k)(x − k)ᵀ and d = μ − k.
public struct FeatureAccumulator {
    public let dimension: Int
    public private(set) var count = 0
    private var shift: [Double]?
    private var shiftedSum: [Double]
    private var shiftedProducts: [Double]
    private var kept: [Float]?

    /// `shift` fixes the centre of the sums (else the first batch's mean is taken); accumulators that are
    /// to be merged across processes need the same one.
    public init(dimension: Int, keepFeatures: Bool = false, shift: [Double]? = nil) {
        self.dimension = dimension
        self.shift = shift
        shiftedSum = [Double](repeating: 0, count: dimension)
        shiftedProducts = [Double](repeating: 0, count: dimension * dimension)
        kept = keepFeatures ? [] : nil
    }

    /// The accumulators of every process added together by `sum` (an element-wise sum across processes):
    /// count, Σ(x − k) and Σ(x − k)(x − k)ᵀ, all around the same shift. Kept features are not merged here.
    public mutating func merge(by sum: (inout [Double]) throws -> Void) throws {
        guard shift != nil else { throw MetricsError("accumulators merged across processes need a common shift") }
        var totals = [Double(count)] + shiftedSum + shiftedProducts
        try sum(&totals)
        count = Int(totals[0])
        shiftedSum = Array(totals[1...dimension])
        shiftedProducts = Array(totals[(dimension + 1)...])
    }

    /// Replaces the kept features (e.g. by every process's, in image order).
    public mutating func replaceKeptFeatures(_ features: [Float]) { kept = features }

    /// Adds row-major float32 vectors [rows, dimension].
    public mutating func add(_ features: [Float]) throws {
        guard dimension > 0, features.count % dimension == 0 else {
            throw MetricsError("features of dimension \(dimension) cannot hold \(features.count) values")
        }
        let rows = features.count / dimension
        guard rows > 0 else { return }
        if let bad = features.first(where: { !$0.isFinite }) {
            throw MetricsError("a feature vector holds a non-finite value (\(bad)); the images or the network weights are broken")
        }
        let d = dimension
        let shift = self.shift ?? (0..<d).map { j in (0..<rows).reduce(0.0) { $0 + Double(features[$1 * d + j]) } / Double(rows) }
        self.shift = shift
        var centred = [Double](repeating: 0, count: features.count)
        for r in 0..<rows {
            for j in 0..<d {
                let value = Double(features[r * d + j]) - shift[j]
                centred[r * d + j] = value
                shiftedSum[j] += value
            }
        }
        // Upper triangle of S += Xᵀ·X (row-major: the lower one in BLAS's column-major view is not touched).
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(rows), 1, centred, Int32(d), 1, &shiftedProducts, Int32(d))
        count += rows
        kept?.append(contentsOf: features)
    }

    public func statistics() throws -> FeatureStatistics {
        guard count >= 2, let shift else { throw MetricsError("statistics need at least 2 images, got \(count)") }
        let d = dimension, n = Double(count)
        let offset = shiftedSum.map { $0 / n }
        let mean = zip(shift, offset).map { $0 + $1 }
        var covariance = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in i..<d {
                let value = (shiftedProducts[i * d + j] - n * offset[i] * offset[j]) / (n - 1)
                covariance[i * d + j] = value
                covariance[j * d + i] = value
            }
        }
        return try FeatureStatistics(count: count, dimension: d, mean: mean, covariance: covariance, features: kept)
    }
}
