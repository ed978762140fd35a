import Checkpoint
import Engine
import Foundation
@testable import Metrics
import Testing

/// Fréchet distance, feature statistics and KID against numpy/scipy
/// (fixtures/inception/make_distance_reference.py), on formula feature sets that both sides build
/// with the same float32 operations.
///
/// Acceptance: |toonkit − scipy| ≤ max(1e-6·|scipy|, 1e-5) for every case, the singular ones included.
@Suite struct DistanceTests {
    /// make_distance_reference.py's CASES: dimension, then (rows, scale, shift, common factor, kind) per set.
    struct FeatureSpec: Sendable {
        enum Kind: Sendable { case plain, rankOne, constant, same }
        var rows: Int, scale: Float = 1, shift: Float = 0, common: Float = 0, kind = Kind.plain
    }

    static let cases: [(String, Int, FeatureSpec, FeatureSpec)] = [
        ("full_rank", 16, FeatureSpec(rows: 200), FeatureSpec(rows: 150, scale: 0.8, shift: 0.1)),
        ("correlated", 48, FeatureSpec(rows: 300, common: 0.5), FeatureSpec(rows: 260, scale: 1.1, shift: 0.05, common: 0.3)),
        ("singular_both", 64, FeatureSpec(rows: 20), FeatureSpec(rows: 30, scale: 0.9, shift: -0.2)),
        ("singular_identical", 32, FeatureSpec(rows: 10), FeatureSpec(rows: 10, kind: .same)),
        ("rank_one", 8, FeatureSpec(rows: 40, kind: .rankOne), FeatureSpec(rows: 100)),
        ("zero_covariance", 8, FeatureSpec(rows: 5, kind: .constant), FeatureSpec(rows: 100, scale: 0.5, shift: 0.25)),
        ("inception_sized", 2048, FeatureSpec(rows: 300, common: 0.25), FeatureSpec(rows: 400, scale: 0.9, shift: 0.1, common: 0.25)),
    ]

    static func features(_ name: String, side: String, dimension d: Int, _ spec: FeatureSpec, first: [Float]? = nil) -> [Float] {
        if spec.kind == .same { return first! }
        let u = FormulaWeights.uniform(seed: FormulaWeights.nameSeed("\(name).\(side)"), count: spec.rows * d)
        var x = [Float](repeating: 0, count: spec.rows * d)
        let direction = FormulaWeights.uniform(seed: FormulaWeights.nameSeed("\(name).\(side).direction"), count: d)
        for r in 0..<spec.rows {
            for j in 0..<d {
                switch spec.kind {
                case .rankOne: x[r * d + j] = u[r * d] * direction[j]
                case .constant: x[r * d + j] = u[j]
                case .plain, .same:
                    let mixed = u[r * d + j] + spec.common * u[r * d]
                    x[r * d + j] = spec.scale * mixed + spec.shift
                }
            }
        }
        return x
    }

    static func statistics(_ name: String, _ d: Int, _ first: FeatureSpec, _ second: FeatureSpec) throws -> (FeatureStatistics, FeatureStatistics) {
        let x = features(name, side: "first", dimension: d, first)
        let y = features(name, side: "second", dimension: d, second, first: x)
        return (try FeatureStatistics(features: x, dimension: d), try FeatureStatistics(features: y, dimension: d))
    }

    @Test(arguments: cases)
    func frechetDistanceMatchesScipy(name: String, dimension: Int, first: FeatureSpec, second: FeatureSpec) throws {
        let reference = try MetricsFixtures.arrays("distance_reference.npz")
        let expected = try reference["\(name)_fid"]!.float64Values()[0]
        let pytorchFid = try reference["\(name)_fid_pytorch_fid"]!.float64Values()[0]
        let (a, b) = try Self.statistics(name, dimension, first, second)
        let started = Date()
        let terms = try FrechetDistance.terms(a, b)
        let error = abs(terms.distance - expected)
        print("Fréchet \(name) (d = \(dimension)): toonkit \(terms.distance), scipy \(expected) (abs error \(String(format: "%.2e", error)), "
              + "relative \(String(format: "%.2e", error / max(abs(expected), 1e-300)))); pytorch-fid's sqrtm(S1 S2) gives \(pytorchFid); "
              + "clamped eigenvalue \(terms.clampedEigenvalue); \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        #expect(error <= max(1e-6 * abs(expected), 1e-5))
        // The small cases also have a 40-digit value for the same float64 statistics.
        if let exact = try reference["\(name)_fid_mpmath"]?.float64Values()[0] {
            print("Fréchet \(name): |toonkit − mpmath| \(String(format: "%.2e", abs(terms.distance - exact))), "
                  + "|scipy − mpmath| \(String(format: "%.2e", abs(expected - exact))), |pytorch-fid − mpmath| \(String(format: "%.2e", abs(pytorchFid - exact)))")
            #expect(abs(terms.distance - exact) <= 1e-6)
        }
    }

    /// The accumulator's float64 mean and unbiased covariance against np.mean / np.cov(rowvar=False).
    @Test func statisticsMatchNumpy() throws {
        let reference = try MetricsFixtures.arrays("distance_reference.npz")
        for (name, d, first, second) in Self.cases where d <= 64 {
            let (a, b) = try Self.statistics(name, d, first, second)
            for (statistics, side) in [(a, "1"), (b, "2")] {
                let mean = try reference["\(name)_mean\(side)"]!.float64Values()
                let covariance = try reference["\(name)_cov\(side)"]!.float64Values()
                let meanError = zip(statistics.mean, mean).map { abs($0 - $1) }.max()!
                let covarianceError = zip(statistics.covariance, covariance).map { abs($0 - $1) }.max()!
                #expect(meanError < 1e-12 && covarianceError < 1e-12, "\(name) set \(side): mean error \(meanError), covariance error \(covarianceError)")
            }
        }
    }

    /// Feeding the features in uneven batches gives the same statistics as one batch.
    @Test func batchedAccumulationEqualsOneBatch() throws {
        let d = 24
        let x = Self.features("batched", side: "first", dimension: d, FeatureSpec(rows: 37, scale: 3, shift: 50, common: 0.5))
        let whole = try FeatureStatistics(features: x, dimension: d)
        var accumulator = FeatureAccumulator(dimension: d, keepFeatures: true)
        for range in [0..<5, 5..<6, 6..<30, 30..<37] { try accumulator.add(Array(x[(range.lowerBound * d)..<(range.upperBound * d)])) }
        let batched = try accumulator.statistics()
        #expect(zip(whole.mean, batched.mean).allSatisfy { abs($0 - $1) < 1e-12 * 50 })
        #expect(zip(whole.covariance, batched.covariance).allSatisfy { abs($0 - $1) < 1e-11 })
        #expect(batched.features == x)
    }

    @Test func distanceOfASetToItselfIsZeroAndSymmetric() throws {
        let (a, b) = try Self.statistics("correlated", 48, Self.cases[1].2, Self.cases[1].3)
        #expect(abs(try FrechetDistance.distance(a, a)) < 1e-9)
        #expect(abs(try FrechetDistance.distance(a, b) - FrechetDistance.distance(b, a)) < 1e-9)
    }

    @Test func refusesMismatchedOrBrokenInputs() throws {
        let a = try FeatureStatistics(features: [0, 1, 2, 3, 5, 8], dimension: 2)
        let b = try FeatureStatistics(features: [0, 1, 2, 3, 5, 8], dimension: 3)
        #expect(throws: MetricsError.self) { try FrechetDistance.distance(a, b) }
        #expect(throws: MetricsError.self) { try FeatureStatistics(features: [0, 1], dimension: 2) }
        #expect(throws: MetricsError.self) { try FeatureStatistics(features: [0, .nan, 1, 2], dimension: 2) }
    }

    // MARK: KID

    @Test func subsetDrawsMatchNumpyChoice() throws {
        let reference = try MetricsFixtures.arrays("distance_reference.npz")
        var rng = RandomState(seed: 7)
        let indices = KernelInceptionDistance.choose(12, from: 30, &rng).map(Int64.init)
        #expect(indices == (try reference["choice_indices"]!.integers()))
    }

    @Test func kernelInceptionDistanceMatchesTheReferenceFormula() throws {
        let reference = try MetricsFixtures.arrays("distance_reference.npz")
        let expected = try reference["kid_value"]!.float64Values()[0]
        let d = 64
        let real = FormulaWeights.uniform(seed: FormulaWeights.nameSeed("kid.real"), count: 120 * d)
        let generated = FormulaWeights.uniform(seed: FormulaWeights.nameSeed("kid.generated"), count: 90 * d).map { 0.9 * $0 + 0.1 }
        let kid = try KernelInceptionDistance.distance(real: real, generated: generated, dimension: d,
                                                       options: KIDOptions(subsets: 5, maxSubsetSize: 50, seed: 3))
        let error = abs(kid - expected)
        print("KID: toonkit \(kid), numpy float64 \(expected), abs error \(String(format: "%.2e", error)), relative \(String(format: "%.2e", error / abs(expected)))")
        // float32 dot products (as the reference's float32 numpy) against a float64 script.
        #expect(error <= 1e-5 * abs(expected) + 1e-9)
    }

    @Test func kidOfIdenticalSetsIsNearZero() throws {
        let d = 32
        let x = FormulaWeights.uniform(seed: 11, count: 400 * d)
        let kid = try KernelInceptionDistance.distance(real: x, generated: x, dimension: d, options: KIDOptions(subsets: 20, maxSubsetSize: 100, seed: 1))
        let shifted = try KernelInceptionDistance.distance(real: x, generated: x.map { $0 + 0.5 }, dimension: d,
                                                           options: KIDOptions(subsets: 20, maxSubsetSize: 100, seed: 1))
        #expect(abs(kid) < 0.1 * shifted)
        #expect(shifted > 0)
    }
}
