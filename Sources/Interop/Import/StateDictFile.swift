import Checkpoint
import Foundation

/// A `torch.save(module.state_dict())` file read as named tensors, for weights that are not a
/// StyleGAN2 model (e.g. the FID Inception network). Either torch.save format is accepted; tensors
/// are zero-copy views of the mapped file until materialised.
public enum StateDictFile {
    /// The file's `name → tensor` entries in stored order. Throws `InteropError` when the file is not a
    /// torch.save file or its root is not a dict of tensors.
    public static func read(_ url: URL, limits: PickleLimits = PickleLimits()) throws -> [(name: String, tensor: TensorData)] {
        let root = try TorchFiles.readTorchSave(try ByteBuffer.mapping(url), limits: limits)
        return try InteropError.context(url.path) {
            try StateDictReader.orderedTensors(root, label: "state dict").map { (name: $0.0, tensor: $0.1) }
        }
    }
}
