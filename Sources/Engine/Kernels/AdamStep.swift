/// One step of torch.optim.Adam on the float32 buffers of one tensor, in place, with the step's constants rounded to
/// float32 as torch rounds them (Training's `AdamOptimizer` forms them). Non-finite gradients are sanitised first as the
/// reference's training loop does (NaN → 0, ±inf → ±1e5). The C kernel (`adam` in Sources/CKernels/kernel_bodies.h)
/// runs the scalar loop it replaced, vectorised and split across the threads: each element is computed alone with the
/// same unfused operations, so every split and every instruction set gives that loop's bits (`AdamStepTests`). The
/// loop had run on one thread, about 0.3 s of a paper256 training step at batch 4 (docs/training-loop.md §4).
public struct AdamStep: Sendable {
    public var beta1: Float, oneMinusBeta1: Float
    public var beta2: Float, oneMinusBeta2: Float
    /// The bias-corrected learning rate, lr / (1 − β₁ᵗ).
    public var stepSize: Float
    /// √(1 − β₂ᵗ), which divides √v.
    public var root2: Float
    public var epsilon: Float

    public init(beta1: Float, oneMinusBeta1: Float, beta2: Float, oneMinusBeta2: Float, stepSize: Float, root2: Float, epsilon: Float) {
        (self.beta1, self.oneMinusBeta1, self.beta2, self.oneMinusBeta2) = (beta1, oneMinusBeta1, beta2, oneMinusBeta2)
        (self.stepSize, self.root2, self.epsilon) = (stepSize, root2, epsilon)
    }

    /// m = β₁·m + (1 − β₁)·g, v = β₂·v + (1 − β₂)·g·g, p −= stepSize·m / (√v / root2 + ε), element by element.
    public func apply(gradient: UnsafeBufferPointer<Float>, firstMoment: UnsafeMutableBufferPointer<Float>,
                      secondMoment: UnsafeMutableBufferPointer<Float>, parameter: UnsafeMutableBufferPointer<Float>,
                      instructionSet: KernelInstructionSet = .active) {
        let count = parameter.count
        precondition(gradient.count == count && firstMoment.count == count && secondMoment.count == count,
                     "Adam's gradient, moments and parameter differ in length")
        guard count > 0, let g = gradient.baseAddress, let m = firstMoment.baseAddress, let v = secondMoment.baseAddress,
              let p = parameter.baseAddress else { return }
        let adam = instructionSet.kernels.adam
        Profiler.measure("adam") {
            parallelChunks(count, minimumPerThread: 1 << 16) { range in
                let first = range.lowerBound
                adam(range.count, g + first, m + first, v + first, p + first, beta1, oneMinusBeta1, beta2, oneMinusBeta2, stepSize, root2, epsilon)
            }
        }
    }
}
