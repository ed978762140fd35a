import Foundation

/// The engine's vector kernels run with a chosen instruction set rather than the active one, so that a
/// program (the `bench kernels` command, a test) can compare the sets on one machine (docs/engine-kernels.md).
/// Shapes are the caller's to get right: these are measurement entry points, not checked operations.
extension KernelInstructionSet {
    /// c = op(a)·op(b) for rank-2 tensors, by the skinny-product kernel (a has the few rows).
    public func skinnyProduct(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false, into c: Tensor) {
        let m = transposeA ? a.shape[1] : a.shape[0], k = transposeA ? a.shape[0] : a.shape[1]
        let n = transposeB ? b.shape[0] : b.shape[1]
        SkinnyGemm.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a.pointer, lda: a.shape[1],
                            b: b.pointer, ldb: b.shape[1], accumulate: false, c: c.pointer, ldc: n, instructionSet: self)
    }

    /// start + (end − start)·weight elementwise, as `Tensor.lerp` computes it.
    public func lerp(_ start: Tensor, _ end: Tensor, weight: Float) -> Tensor {
        lerpKernel(start, end, weight: weight, instructionSet: self)
    }

    /// One worker's biasAct row over all of `x`: scale, addend, bias, leaky ReLU, gain and clamp per element.
    public func biasActRow(_ x: Tensor, scale: Float, addend: Tensor, bias: Float, slope: Float, gain: Float, clamp: Float, into output: Tensor) {
        kernels.bias_act(x.count, x.pointer, true, scale, addend.pointer, bias, slope, gain, clamp, output.pointer)
    }
}
