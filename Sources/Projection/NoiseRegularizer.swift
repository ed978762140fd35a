import Engine

/// Keeps optimised noise images noise-like (docs/projection.md §Noise): the projector penalises their
/// one-pixel autocorrelations at every scale down to 8×8 and renormalises them after each step, so the
/// image content has to come from w rather than from structure smuggled into the noise.
enum NoiseRegularizer {
    /// Σ over images and scales of mean(x · x shifted one pixel)², horizontally and vertically; each
    /// scale halves the previous one by 2×2 averaging. Differentiable in the noise images ([H, W] each).
    static func loss(_ noises: [Tensor]) throws -> Tensor {
        var total = Tensor(scalar: 0)
        for noise in noises {
            var x = try noise.reshaped([1, 1] + noise.shape)
            while true {
                for axis in [3, 2] {
                    total = try total + (x * rolledByOne(x, axis: axis)).mean().square()
                }
                if x.shape[2] <= 8 { break }
                x = try Tensor.avgPool2d(x, PoolOptions(kernel: 2))
            }
        }
        return total
    }

    /// torch.roll(x, shifts=1, dims=axis): the last slice moves to the front.
    static func rolledByOne(_ x: Tensor, axis: Int) throws -> Tensor {
        let length = x.shape[axis]
        return try Tensor.concatenate([x.slice(axis: axis, start: length - 1, length: 1),
                                       x.slice(axis: axis, start: 0, length: length - 1)], axis: axis)
    }

    /// Zero mean and unit mean square, as the projector leaves every noise image after each step.
    static func renormalized(_ noise: Tensor) throws -> Tensor {
        try GradMode.withoutGrad {
            let centred = try noise.detached() - noise.detached().mean()
            return try centred * centred.square().mean().rsqrt()
        }
    }
}
