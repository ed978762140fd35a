import Foundation
import Checkpoint
import Networks

/// How a TensorFlow variable's values relate to the NVIDIA tensor's (the conversions of NVIDIA's legacy.py,
/// docs/foreign-formats.md §9).
enum TensorFlowTransform {
    /// Same values in the same order; only the shape may differ (`const` and `noise{k}` add leading 1s).
    case same
    /// Dense weights: TF [in, out], NVIDIA [out, in].
    case denseTranspose
    /// Conv kernels: TF [kh, kw, in, out], NVIDIA [out, in, kh, kw]. TF's up-sampling conv reverses its kernel
    /// before the transposed convolution, so `Conv0_up` kernels are also flipped along kh and kw.
    case convKernel(flipped: Bool)
    /// Style (modulation) biases: TF adds 1 at run time, NVIDIA stores the sum.
    case styleBias
}

/// One TensorFlow variable (named with its component prefix, as legacy.py collects them) and the NVIDIA tensor it holds.
struct TensorFlowVariable {
    let nvidia: String
    let tensorflow: String
    let tensorflowShape: [Int]
    let transform: TensorFlowTransform
}

/// The NVIDIA ↔ TensorFlow StyleGAN2(-ADA) name table, built from the module trees, so only the TF side is spelled here.
/// Importer and exporter both use it. Resample filters are not stored by TF (rebuilt from `resample_kernel`).
enum TensorFlowLayout {
    private struct Builder {
        var variables: [TensorFlowVariable] = []

        mutating func add(_ tensor: TensorDeclaration, _ tensorflow: String, _ transform: TensorFlowTransform = .same,
                          leadingOnes: Int = 0) {
            let shape = tensor.shape
            let tensorflowShape: [Int]
            switch transform {
            case .denseTranspose: tensorflowShape = shape.reversed()
            case .convKernel: tensorflowShape = [shape[2], shape[3], shape[1], shape[0]]
            case .same, .styleBias: tensorflowShape = [Int](repeating: 1, count: leadingOnes) + shape
            }
            variables.append(TensorFlowVariable(nvidia: tensor.name, tensorflow: tensorflow, tensorflowShape: tensorflowShape, transform: transform))
        }

        mutating func dense(_ layer: FullyConnectedLayer, _ scope: String) {
            add(layer.weight, "\(scope)/weight", .denseTranspose)
            add(layer.bias, "\(scope)/bias")
        }

        mutating func modulated(_ weight: TensorDeclaration, bias: TensorDeclaration, affine: FullyConnectedLayer, _ scope: String, flipped: Bool) {
            add(weight, "\(scope)/weight", .convKernel(flipped: flipped))
            add(affine.weight, "\(scope)/mod_weight", .denseTranspose)
            add(affine.bias, "\(scope)/mod_bias", .styleBias)
            add(bias, "\(scope)/bias")
        }

        /// A SynthesisLayer; its constant noise input lives in the synthesis network as `noise{index}`.
        mutating func synthesisLayer(_ layer: SynthesisLayer, _ scope: String, noiseIndex: Int) {
            modulated(layer.weight, bias: layer.bias, affine: layer.affine, scope, flipped: layer.upsamples)
            add(layer.noiseStrength, "\(scope)/noise_strength")
            add(layer.noiseConst, "synthesis/noise\(noiseIndex)", leadingOnes: 2)
        }

        mutating func conv(_ layer: Conv2dLayer, _ scope: String) {
            add(layer.weight, "\(scope)/weight", .convKernel(flipped: false))
            if let bias = layer.bias { add(bias, "\(scope)/bias") }
        }

        /// `Dense{i}` in G's mapping component, `Mapping{i}` in D.
        mutating func mapping(_ mapping: MappingNetwork, embed: String, layer: String) {
            if let average = mapping.averageW { add(average, "dlatent_avg") }
            if let embedding = mapping.embed { dense(embedding, embed) }
            for (index, fc) in mapping.layers.enumerated() { dense(fc, "\(layer)\(index)") }
        }
    }

    static func scope(_ resolution: Int) -> String { "\(resolution)x\(resolution)" }

    static func generator(_ arch: Architecture) -> [TensorFlowVariable] {
        let network = GeneratorNetwork(arch)
        var builder = Builder()
        builder.mapping(network.mapping, embed: "mapping/LabelEmbed", layer: "mapping/Dense")
        for block in network.synthesis.blocks {
            let scope = "synthesis/" + scope(block.resolution)
            let level = block.resolution.trailingZeroBitCount
            if let const = block.const { builder.add(const, "\(scope)/Const/const", leadingOnes: 1) }
            if let conv0 = block.conv0 { builder.synthesisLayer(conv0, "\(scope)/Conv0_up", noiseIndex: 2 * level - 5) }
            builder.synthesisLayer(block.conv1, block.conv0 == nil ? "\(scope)/Conv" : "\(scope)/Conv1", noiseIndex: 2 * level - 4)
            builder.modulated(block.torgb.weight, bias: block.torgb.bias, affine: block.torgb.affine, "\(scope)/ToRGB", flipped: false)
        }
        return builder.variables
    }

    /// `mappingLayers`: depth of a conditional D's label mapping (TF `mapping_layers` of D).
    static func discriminator(_ arch: Architecture, mappingLayers: Int) -> [TensorFlowVariable] {
        let network = DiscriminatorNetwork(arch, mappingLayers: mappingLayers)
        var builder = Builder()
        for block in network.blocks {
            let scope = scope(block.resolution)
            if let fromrgb = block.fromrgb { builder.conv(fromrgb, "\(scope)/FromRGB") }
            builder.conv(block.conv0, "\(scope)/Conv0")
            builder.conv(block.conv1, "\(scope)/Conv1_down")
            builder.conv(block.skip, "\(scope)/Skip")
        }
        if let mapping = network.mapping { builder.mapping(mapping, embed: "LabelEmbed", layer: "Mapping") }
        builder.conv(network.epilogue.conv, "4x4/Conv")
        builder.dense(network.epilogue.fc, "4x4/Dense0")
        builder.dense(network.epilogue.out, "Output")
        return builder.variables
    }

    /// The TF names of G's components: legacy.py prefixes each component's variables with its key.
    static let generatorComponents = ["synthesis", "mapping"]
}

extension TensorFlowTransform {
    /// TF values (shape `variable.tensorflowShape`) → NVIDIA values (shape `nvidiaShape`).
    func toNvidia(_ values: [Float], nvidiaShape shape: [Int]) -> [Float] {
        switch self {
        case .same: return values
        case .styleBias: return values.map { $0 + 1 }
        case .denseTranspose: return Self.transposed(values, rows: shape[1], columns: shape[0])
        case .convKernel(let flipped):
            return Self.permuted(values, nvidiaShape: shape, flipped: flipped, toNvidia: true)
        }
    }

    /// NVIDIA values → TF values; the exact inverse of `toNvidia` except for rounding in `styleBias`.
    func toTensorFlow(_ values: [Float], nvidiaShape shape: [Int]) -> [Float] {
        switch self {
        case .same: return values
        case .styleBias: return values.map { $0 - 1 }
        case .denseTranspose: return Self.transposed(values, rows: shape[0], columns: shape[1])
        case .convKernel(let flipped):
            return Self.permuted(values, nvidiaShape: shape, flipped: flipped, toNvidia: false)
        }
    }

    /// A row-major [rows, columns] matrix as [columns, rows].
    private static func transposed(_ values: [Float], rows: Int, columns: Int) -> [Float] {
        var result = [Float](repeating: 0, count: values.count)
        for row in 0..<rows {
            for column in 0..<columns { result[column * rows + row] = values[row * columns + column] }
        }
        return result
    }

    /// NVIDIA [O, I, kh, kw] element (o, i, y, x) is TF [kh, kw, I, O] element (y', x', i, o), where
    /// y' = kh−1−y and x' = kw−1−x when flipped.
    private static func permuted(_ values: [Float], nvidiaShape shape: [Int], flipped: Bool, toNvidia: Bool) -> [Float] {
        let (outputs, inputs, height, width) = (shape[0], shape[1], shape[2], shape[3])
        var result = [Float](repeating: 0, count: values.count)
        for o in 0..<outputs {
            for i in 0..<inputs {
                for y in 0..<height {
                    for x in 0..<width {
                        let (ty, tx) = flipped ? (height - 1 - y, width - 1 - x) : (y, x)
                        let nvidiaIndex = ((o * inputs + i) * height + y) * width + x
                        let tensorflowIndex = ((ty * width + tx) * inputs + i) * outputs + o
                        if toNvidia { result[nvidiaIndex] = values[tensorflowIndex] } else { result[tensorflowIndex] = values[nvidiaIndex] }
                    }
                }
            }
        }
        return result
    }
}
