import Engine
import TestSupport
import Testing

/// Gradients of gradients (create-graph) against finite differences of first-order gradients, for the
/// ops the R1 and path-length penalties differentiate twice. Each objective squares the op's output so
/// that the first gradient still depends on every input.
@Suite struct SecondOrderTests {
    typealias G = GradCheck

    @Test func conv2d() throws {
        let x = G.random([2, 3, 5, 5], seed: 31), w = G.random([4, 3, 3, 3], scale: 0.4, seed: 32)
        try G.checkSecondOrder("conv2d", [x, w], differentiate: 0, checked: [0, 1]) {
            try G.weightedSum(Tensor.conv2d($0[0], $0[1], ConvOptions(stride: 2, padding: 1)).square())
        }
    }

    @Test func convTranspose2d() throws {
        let x = G.random([2, 3, 3, 3], seed: 33), w = G.random([3, 2, 3, 3], scale: 0.4, seed: 34)
        try G.checkSecondOrder("convTranspose2d", [x, w], differentiate: 0, checked: [0, 1]) {
            try G.weightedSum(Tensor.convTranspose2d($0[0], $0[1], ConvOptions(stride: 2)).square())
        }
    }

    @Test func sumOfSquares() throws {
        let w = G.random([3, 2, 3, 3], seed: 41)
        try G.checkSecondOrder("sumOfSquares", [w], differentiate: 0, checked: [0]) {
            try G.weightedSum($0[0].sumOfSquares(lastAxes: 2).rsqrt())
        }
    }

    /// Planes 16 wide, so the direct 3×3 kernels (stride 1, and the stride-2 up-sampling) compute the passes.
    @Test func directConvolutions() throws {
        let x = G.random([1, 2, 3, 16], seed: 42), w = G.random([3, 2, 3, 3], scale: 0.4, seed: 43)
        try G.checkSecondOrder("conv2d direct", [x, w], differentiate: 0, checked: [0, 1]) {
            try G.weightedSum(Tensor.conv2d($0[0], $0[1], ConvOptions(padding: 1)).square())
        }
        let small = G.random([1, 2, 2, 16], seed: 44)
        try G.checkSecondOrder("convTranspose2d up-sampling", [small, w.reshaped([2, 3, 3, 3])], differentiate: 0, checked: [0, 1]) {
            try G.weightedSum(Tensor.convTranspose2d($0[0], $0[1], ConvOptions(stride: 2)).square())
        }
        let large = G.random([1, 2, 5, 33], seed: 45)
        try G.checkSecondOrder("conv2d down-sampling", [large, w], differentiate: 0, checked: [0, 1]) {
            try G.weightedSum(Tensor.conv2d($0[0], $0[1], ConvOptions(stride: 2)).square())
        }
    }

    @Test func upfirdn2d() throws {
        let x = G.random([1, 2, 4, 5], seed: 35), scale = G.random([1, 2, 1, 1], seed: 36)
        try G.checkSecondOrder("upfirdn2d", [x, scale], differentiate: 0, checked: [0, 1]) {
            let y = try Tensor.upfirdn2d($0[0] * $0[1], filter: .normalizedSeparable([1, 3, 3, 1]), down: 2, padding: FIRPadding(all: 1))
            return try G.weightedSum(y.square())
        }
    }

    @Test func biasActLeakyReLU() throws {
        // The lrelu's own second derivative is zero; what matters is that the gradient flows to the
        // weights and bias through its backward (the R1 pattern: conv → bias_act, penalised in x).
        let x = G.random([2, 2, 4, 4], seed: 37), w = G.random([3, 2, 3, 3], scale: 0.5, seed: 38), b = G.random([3], scale: 0.1, seed: 39)
        try G.checkSecondOrder("biasAct lrelu", [x, w, b], differentiate: 0, checked: [1, 2], step: 1e-3) {
            let y = try Tensor.biasAct(Tensor.conv2d($0[0], $0[1], ConvOptions(padding: 1)), bias: $0[2], activation: .lrelu, clamp: 256)
            return try G.weightedSum(y.square())
        }
    }

    @Test func gridSample() throws {
        let x = G.random([1, 2, 4, 4], seed: 40), scale = G.random([1, 2, 1, 1], seed: 41)
        let grid = try Tensor(shape: [1, 3, 3, 2], values: (0..<18).map { i in Float((i * 29) % 17) / 9 - 0.9 + 0.017 })
        try G.checkSecondOrder("gridSample", [x, scale, grid], differentiate: 0, checked: [0, 1]) {
            try G.weightedSum(Tensor.gridSample($0[0] * $0[1], grid: $0[2]).square())
        }
    }

    /// StyleGAN2's modulated convolution in its unfused form: scale input channels by the styles,
    /// convolve with the shared weight, then demodulate each output channel.
    @Test func modulatedConvolution() throws {
        let x = G.random([2, 3, 4, 4], seed: 42), weight = G.random([4, 3, 3, 3], seed: 43)
        let styles = try Tensor(shape: [2, 3], values: G.random([2, 3], seed: 44).scalars.map { $0 * 0.5 + 1 })
        try G.checkSecondOrder("modulated conv", [x, weight, styles], differentiate: 0, checked: [0, 1, 2], step: 1e-3) { t in
            let (x, weight, styles) = (t[0], t[1], t[2])
            let modulated = try weight.reshaped([1, 4, 3, 3, 3]) * styles.reshaped([2, 1, 3, 1, 1])
            let demodulation = try (modulated.square().sum(axes: [2, 3, 4]) + 1e-8).rsqrt()
            let y = try Tensor.conv2d(x * styles.reshaped([2, 3, 1, 1]), weight, ConvOptions(padding: 1)) * demodulation.reshaped([2, 4, 1, 1])
            return try G.weightedSum(y.square())
        }
    }
}
