import Engine
import Foundation
import Testing

/// `AdamStep` runs one C loop per instruction set, split across the threads. Each element is computed alone with the same
/// unfused operations as the Swift loop it replaced, so every set and split must give that loop's bits, also for the
/// gradients the reference sanitises (NaN, ±inf), huge and subnormal values, and lengths with every kind of vector tail.
@Suite struct AdamStepTests {
    /// The Swift loop `AdamOptimizer` ran before the kernel, as the definition.
    static func reference(_ step: AdamStep, gradient: [Float], first: inout [Float], second: inout [Float], parameter: inout [Float]) {
        for i in parameter.indices {
            var grad = gradient[i]
            if grad.isNaN { grad = 0 } else if grad.isInfinite { grad = grad > 0 ? 1e5 : -1e5 }
            first[i] = step.beta1 * first[i] + step.oneMinusBeta1 * grad
            second[i] = step.beta2 * second[i] + step.oneMinusBeta2 * grad * grad
            parameter[i] -= step.stepSize * first[i] / (second[i].squareRoot() / step.root2 + step.epsilon)
        }
    }

    /// β₂ = 0.99^0.8 and a step size as the paper256 configuration's lazy regularisation gives them, at step 3.
    static let step: AdamStep = {
        let beta1 = 0.0, beta2 = pow(0.99, 0.8), correction1 = 1 - pow(beta1, 3.0), correction2 = 1 - pow(beta2, 3.0)
        return AdamStep(beta1: Float(beta1), oneMinusBeta1: Float(1 - beta1), beta2: Float(beta2), oneMinusBeta2: Float(1 - beta2),
                        stepSize: Float(0.0025 * 0.8 / correction1), root2: Float(correction2.squareRoot()), epsilon: 1e-8)
    }()

    @Test(arguments: [1, 7, 8, 9, 16, 17, 31, 33, 200_003])
    func everySetGivesTheSwiftLoopsBits(count: Int) {
        var random = SystemRandomNumberGenerator()
        let special: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, .leastNonzeroMagnitude, 3e38, -3e38, 1e-20]
        let gradient = (0..<count).map { i in i % 5 == 0 ? special[(i / 5) % special.count] : Float.random(in: -2...2, using: &random) }
        let first = (0..<count).map { _ in Float.random(in: -1...1, using: &random) }
        let second = (0..<count).map { _ in Float.random(in: 0...1, using: &random) }
        let parameter = (0..<count).map { _ in Float.random(in: -1...1, using: &random) }
        var (m, v, p) = (first, second, parameter)
        Self.reference(Self.step, gradient: gradient, first: &m, second: &v, parameter: &p)
        for set in KernelInstructionSet.supported {
            var (km, kv, kp) = (first, second, parameter)
            gradient.withUnsafeBufferPointer { g in
                km.withUnsafeMutableBufferPointer { km in
                    kv.withUnsafeMutableBufferPointer { kv in
                        kp.withUnsafeMutableBufferPointer { kp in
                            Self.step.apply(gradient: g, firstMoment: km, secondMoment: kv, parameter: kp, instructionSet: set)
                        }
                    }
                }
            }
            #expect(km.map(\.bitPattern) == m.map(\.bitPattern), "\(set): first moments")
            #expect(kv.map(\.bitPattern) == v.map(\.bitPattern), "\(set): second moments")
            #expect(kp.map(\.bitPattern) == p.map(\.bitPattern), "\(set): parameters")
        }
    }
}
