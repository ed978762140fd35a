import Foundation

/// Whether a tensor is learned (`parameter`) or a fixed/running value (`buffer`, e.g. a running average or a fixed noise image).
public enum TensorKind: String, Codable, Sendable { case parameter, buffer }

/// One named tensor of a network, as it sits in a checkpoint.
public struct TensorEntry: Sendable {
    /// Full dotted NVIDIA name inside its network, e.g. `synthesis.b8.conv0.weight`.
    public var name: String
    public var kind: TensorKind
    /// False when frozen (FreezeD / `toonkit freeze`); training leaves such tensors untouched.
    public var trainable: Bool
    public var data: TensorData

    public init(name: String, kind: TensorKind, trainable: Bool = true, data: TensorData) {
        self.name = name
        self.kind = kind
        self.trainable = trainable
        self.data = data
    }
}
