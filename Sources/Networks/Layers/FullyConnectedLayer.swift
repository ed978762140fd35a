import Checkpoint
import Engine

/// NVIDIA's FullyConnectedLayer with equalised learning rate: x·(W·lr/√in)ᵀ + b·lr, then the activation
/// (docs/network-maths.md §1). Weights start at N(0, 1)/lr so that the effective weight is N(0, 1/in).
public struct FullyConnectedLayer: Module {
    public let path: ModulePath
    public let weight: TensorDeclaration
    public let bias: TensorDeclaration
    public let activation: Activation
    public let lrMultiplier: Float

    init(_ path: ModulePath, inFeatures: Int, outFeatures: Int, activation: Activation = .linear,
         lrMultiplier: Double = 1, biasInit: Float = 0) {
        self.path = path
        self.activation = activation
        self.lrMultiplier = Float(lrMultiplier)
        weight = path.parameter("weight", [outFeatures, inFeatures], .normal(scale: Float(1 / lrMultiplier)))
        bias = path.parameter("bias", [outFeatures], .constant(biasInit))
    }

    public var ownTensors: [TensorDeclaration] { [weight, bias] }
    public var children: [any Module] { [] }

    func callAsFunction(_ x: Tensor, _ p: ParameterSet) throws -> Tensor {
        let weight = try p.tensor(self.weight)
        let inFeatures = weight.shape[1]
        let weightGain = Float(Double(lrMultiplier) / Double(inFeatures).squareRoot())
        var bias = try p.tensor(self.bias)
        if lrMultiplier != 1 { bias = bias * lrMultiplier }
        // x·(g·W)ᵀ = (g·x)·Wᵀ: the gain goes on the smaller operand. A batch of a few rows against a 512 × 512
        // weight is the common case, where scaling the weight cost 5.5 ms of a 150 ms paper256 image (20 layers).
        let product = x.count <= weight.count ? try Tensor.matmul(x * weightGain, weight, transposeB: true)
                                              : try Tensor.matmul(x, weight * weightGain, transposeB: true)
        return try Tensor.biasAct(product, bias: bias, activation: activation)
    }
}

/// x · rsqrt(mean(x², features) + 1e-8).
func normalizeSecondMoment(_ x: Tensor) throws -> Tensor {
    try x * (x.square().mean(axes: [1], keepDims: true) + 1e-8).rsqrt()
}
