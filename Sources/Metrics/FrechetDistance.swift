import COpenBLAS
import Foundation

/// The Fréchet distance between two Gaussians fitted to feature sets, in float64:
///
///     FID = |μ₁ − μ₂|² + Tr Σ₁ + Tr Σ₂ − 2·Tr √(√Σ₁ · Σ₂ · √Σ₁)
///
/// which equals the usual Tr √(Σ₁Σ₂) form (the two matrices are similar) but only needs square roots
/// of symmetric positive semi-definite matrices, taken through eigen-decompositions (LAPACK dsyevd).
/// With Σ₁ = V·Λ·Vᵀ, √Σ₁·Σ₂·√Σ₁ is orthogonally similar to M = √Λ·(Vᵀ·Σ₂·V)·√Λ, so the trace term is
/// Σᵢ √λᵢ(M). Eigenvalues that rounding pushes slightly below zero (covariances of fewer samples
/// than dimensions are singular) are clamped to 0 before the square root; that is exact for the
/// PSD matrices involved and avoids the complex parts scipy.linalg.sqrtm(Σ₁Σ₂) produces there.
public enum FrechetDistance {
    public struct Terms: Sendable, Equatable, Codable {
        public var meanDistance: Double
        public var traceFirst: Double
        public var traceSecond: Double
        public var traceSquareRoot: Double
        /// The most negative eigenvalue that was clamped to 0 (0 when none was): a diagnostic of how
        /// singular the covariances are.
        public var clampedEigenvalue: Double

        public var distance: Double { meanDistance + traceFirst + traceSecond - 2 * traceSquareRoot }

        enum CodingKeys: String, CodingKey {
            case meanDistance = "mean_distance", traceFirst = "trace_first", traceSecond = "trace_second"
            case traceSquareRoot = "trace_square_root", clampedEigenvalue = "clamped_eigenvalue"
        }
    }

    public static func distance(_ first: FeatureStatistics, _ second: FeatureStatistics) throws -> Double {
        try terms(first, second).distance
    }

    public static func terms(_ first: FeatureStatistics, _ second: FeatureStatistics) throws -> Terms {
        guard first.dimension == second.dimension else {
            throw MetricsError("cannot compare statistics of \(first.dimension)-d and \(second.dimension)-d features")
        }
        return try terms(meanFirst: first.mean, covarianceFirst: first.covariance,
                         meanSecond: second.mean, covarianceSecond: second.covariance)
    }

    /// The same from raw means and row-major covariances (which must be symmetric).
    public static func terms(meanFirst: [Double], covarianceFirst: [Double], meanSecond: [Double], covarianceSecond: [Double]) throws -> Terms {
        let d = meanFirst.count
        guard meanSecond.count == d, covarianceFirst.count == d * d, covarianceSecond.count == d * d, d > 0 else {
            throw MetricsError("Fréchet distance: means of \(meanFirst.count) and \(meanSecond.count) values need \(d)×\(d) covariances")
        }
        let meanDistance = zip(meanFirst, meanSecond).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let traceFirst = (0..<d).reduce(0.0) { $0 + covarianceFirst[$1 * d + $1] }
        let traceSecond = (0..<d).reduce(0.0) { $0 + covarianceSecond[$1 * d + $1] }

        var (lambda, vectors) = try SymmetricEigen.decompose(covarianceFirst, dimension: d)
        var clamped = min(0, lambda.min() ?? 0)
        let roots = lambda.map { max($0, 0).squareRoot() }
        // M = √Λ (Vᵀ Σ₂ V) √Λ. `vectors` holds V's columns as rows (column-major from LAPACK).
        var projected = [Double](repeating: 0, count: d * d)
        var temporary = [Double](repeating: 0, count: d * d)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(d), Int32(d), Int32(d), 1,
                    vectors, Int32(d), covarianceSecond, Int32(d), 0, &temporary, Int32(d))
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(d), Int32(d), Int32(d), 1,
                    temporary, Int32(d), vectors, Int32(d), 0, &projected, Int32(d))
        for i in 0..<d {
            for j in i..<d {
                // Symmetrise against rounding; dsyevd reads one triangle only.
                let value = 0.5 * (projected[i * d + j] + projected[j * d + i]) * roots[i] * roots[j]
                projected[i * d + j] = value
                projected[j * d + i] = value
            }
        }
        (lambda, vectors) = try SymmetricEigen.decompose(projected, dimension: d, vectors: false)
        clamped = min(clamped, lambda.min() ?? 0)
        let traceSquareRoot = lambda.reduce(0.0) { $0 + max($1, 0).squareRoot() }
        return Terms(meanDistance: meanDistance, traceFirst: traceFirst, traceSecond: traceSecond,
                     traceSquareRoot: traceSquareRoot, clampedEigenvalue: clamped)
    }
}

/// LAPACK's dsyevd (divide and conquer) on a symmetric matrix.
enum SymmetricEigen {
    /// Eigenvalues ascending, and with `vectors` the eigenvectors as the rows of a row-major matrix
    /// (LAPACK returns them as columns of a column-major one, which is the same memory).
    static func decompose(_ matrix: [Double], dimension d: Int, vectors: Bool = true) throws -> (values: [Double], vectors: [Double]) {
        var a = matrix
        var w = [Double](repeating: 0, count: d)
        var n = Int32(d), lda = Int32(d), info: Int32 = 0
        var jobz = Int8(UInt8(ascii: vectors ? "V" : "N")), uplo = Int8(UInt8(ascii: "U"))
        var workSize = 0.0, iworkSize: Int32 = 0
        var workQuery: Int32 = -1, iworkQuery: Int32 = -1
        dsyevd_(&jobz, &uplo, &n, &a, &lda, &w, &workSize, &workQuery, &iworkSize, &iworkQuery, &info)
        guard info == 0 else { throw MetricsError("LAPACK dsyevd workspace query failed (info \(info))") }
        var lwork = Int32(workSize), liwork = iworkSize
        var work = [Double](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevd_(&jobz, &uplo, &n, &a, &lda, &w, &work, &lwork, &iwork, &liwork, &info)
        guard info == 0 else {
            throw MetricsError(info < 0 ? "LAPACK dsyevd: argument \(-info) is invalid"
                                        : "LAPACK dsyevd did not converge (info \(info)); the covariance may hold NaN or infinite values")
        }
        return (w, a)
    }
}
