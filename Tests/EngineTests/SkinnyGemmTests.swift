import Engine
import TestSupport
import Testing

/// The skinny-shape products against a double-precision loop, for every transpose combination the
/// engine routes to them and for sizes that leave partial tiles.
@Suite struct SkinnyGemmTests {
    @Test(arguments: [(false, false, 5, 37, 9), (false, false, 8, 4096, 72), (true, false, 72, 1030, 8), (true, false, 13, 33, 50),
                      (false, true, 8, 72, 4096), (false, true, 3, 5, 19), (false, true, 64, 576, 130),
                      (false, false, 13, 1225, 130), (false, false, 5, 57, 600)])
    func matchesDirectProduct(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int) throws {
        let a = GradCheck.random(transposeA ? [k, m] : [m, k], seed: 71), b = GradCheck.random(transposeB ? [n, k] : [k, n], seed: 72)
        let c = try Tensor.matmul(a, b, transposeA: transposeA, transposeB: transposeB).scalars
        let (av, bv) = (a.scalars, b.scalars)
        var worst = 0.0
        for i in 0..<m { for j in 0..<n {
            var total = 0.0
            for p in 0..<k {
                let x = transposeA ? av[p * m + i] : av[i * k + p]
                let y = transposeB ? bv[j * k + p] : bv[p * n + j]
                total += Double(x) * Double(y)
            }
            worst = max(worst, abs(total - Double(c[i * n + j])) / (Double(k).squareRoot() + 1))
        } }
        #expect(worst < 1e-5)
    }
}
