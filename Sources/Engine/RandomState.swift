import Foundation

/// numpy's legacy `RandomState`: MT19937 seeded by init_genrand, 53-bit doubles, and `randn` by the
/// Marsaglia polar method with its cached second value. Bit-exact with numpy, so `--seeds` give the
/// same latents as the reference generate.py.
public struct RandomState: Sendable {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624
    private var cachedGaussian: Double?

    public init(seed: UInt32) {
        state[0] = seed
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
    }

    public mutating func nextUInt32() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        for i in 0..<624 {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7fff_ffff)
            var next = state[(i + 397) % 624] ^ (y >> 1)
            if y & 1 != 0 { next ^= 0x9908_b0df }
            state[i] = next
        }
        index = 0
    }

    /// Uniform in [0, 1) with 53 random bits (numpy's random_sample).
    public mutating func nextDouble() -> Double {
        let a = Double(nextUInt32() >> 5), b = Double(nextUInt32() >> 6)
        return (a * 67_108_864 + b) / 9_007_199_254_740_992
    }

    /// Standard normal (numpy's legacy gauss).
    public mutating func nextGaussian() -> Double {
        if let cached = cachedGaussian {
            cachedGaussian = nil
            return cached
        }
        while true {
            let x1 = 2 * nextDouble() - 1
            let x2 = 2 * nextDouble() - 1
            let r2 = x1 * x1 + x2 * x2
            if r2 >= 1 || r2 == 0 { continue }
            let f = (-2 * Foundation.log(r2) / r2).squareRoot()
            cachedGaussian = f * x1
            return f * x2
        }
    }

    /// `count` standard normal draws, as `RandomState.randn(count)`.
    public mutating func randn(_ count: Int) -> [Double] { (0..<count).map { _ in nextGaussian() } }

    /// A float32 tensor of standard normal draws (drawn in float64 and rounded, as numpy → torch does).
    public mutating func normalTensor(_ shape: [Int]) throws -> Tensor {
        let n = try Tensor.validatedCount(shape, op: "normalTensor")
        return try Tensor(shape: shape, values: randn(n).map { Float($0) })
    }

    /// Uniform in [0, bound) for bound ≥ 1 (rejection sampling on a mask, as numpy's legacy randint).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound >= 1 && bound <= Int(UInt32.max), "bound out of range")
        if bound == 1 { return 0 }
        let maxValue = UInt32(bound - 1)
        var mask = maxValue
        mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4; mask |= mask >> 8; mask |= mask >> 16
        while true {
            let value = nextUInt32() & mask
            if value <= maxValue { return Int(value) }
        }
    }

    /// The full generator state (for resumable training snapshots).
    public var snapshot: [UInt32] { state + [UInt32(index), cachedGaussian == nil ? 0 : 1] + (cachedGaussian.map { withUnsafeBytes(of: $0.bitPattern) { Array($0.bindMemory(to: UInt32.self)) } } ?? [0, 0]) }

    public init(snapshot: [UInt32]) throws {
        guard snapshot.count == 628, snapshot[624] <= 624 else { throw EngineError("RandomState", "snapshot has the wrong size or index") }
        state = Array(snapshot[0..<624])
        index = Int(snapshot[624])
        if snapshot[625] == 1 {
            let bits = UInt64(snapshot[626]) | UInt64(snapshot[627]) << 32
            cachedGaussian = Double(bitPattern: bits)
        }
    }
}
