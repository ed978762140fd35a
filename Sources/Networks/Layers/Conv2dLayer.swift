import Checkpoint
import Engine

/// NVIDIA's Conv2dLayer as the discriminator uses it: weight·1/√(C·k²), optional FIR down-sampling, bias,
/// activation and clamp (docs/network-maths.md §5). `gain` multiplies both the activation gain and the
/// clamp, as the resnet blocks use it (√0.5).
public struct Conv2dLayer: Module {
    public let path: ModulePath
    public let weight: TensorDeclaration
    public let bias: TensorDeclaration?
    public let resampleFilter: TensorDeclaration
    public let activation: Activation
    public let downsamples: Bool
    let gain: Double
    let convClamp: Float?
    let filter: FIRFilter

    init(_ path: ModulePath, inChannels: Int, outChannels: Int, kernel: Int, activation: Activation, downsamples: Bool = false,
         hasBias: Bool = true, gain: Double = 1, clamps: Bool = true, _ a: Architecture) {
        self.path = path
        self.activation = activation
        self.downsamples = downsamples
        self.gain = gain
        convClamp = clamps ? a.convClamp.map { Float($0) } : nil
        filter = a.firFilter
        weight = path.parameter("weight", [outChannels, inChannels, kernel, kernel], .normal(scale: 1))
        bias = hasBias ? path.parameter("bias", [outChannels], .constant(0)) : nil
        resampleFilter = path.buffer("resample_filter", [4, 4], .resampleFilter(a.resampleFilter))
    }

    public var ownTensors: [TensorDeclaration] { [weight] + (bias.map { [$0] } ?? []) + [resampleFilter] }
    public var children: [any Module] { [] }

    func callAsFunction(_ x: Tensor, _ p: ParameterSet) throws -> Tensor {
        let weight = try p.tensor(self.weight)
        let kernel = weight.shape[2]
        let fanIn = weight.shape[1] * kernel * weight.shape[3]
        let scaled = weight * Float(1 / Double(fanIn).squareRoot())
        var y: Tensor
        switch (downsamples, kernel) {
        case (true, 1):
            let filtered = try Tensor.upfirdn2d(x, filter: filter, down: 2, padding: FIRPadding(all: 1))
            y = try Tensor.conv2d(filtered, scaled)
        case (true, _):
            let filtered = try Tensor.upfirdn2d(x, filter: filter, padding: FIRPadding(all: 2))
            y = try Tensor.conv2d(filtered, scaled, ConvOptions(stride: 2))
        default:
            y = try Tensor.conv2d(x, scaled, ConvOptions(padding: kernel / 2))
        }
        let defaultGain: Double = activation == .linear ? 1 : 2.0.squareRoot()
        let bias = try self.bias.map { try p.tensor($0) }
        return try Tensor.biasAct(y, bias: bias, activation: activation, gain: Float(defaultGain * gain),
                                  clamp: convClamp.map { Float(Double($0) * gain) })
    }
}
