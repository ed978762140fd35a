import Foundation
import Checkpoint

/// Reads a foreign StyleGAN2 file into an `ImportedModel`: detects the format from its bytes,
/// parses it with the safe readers, maps names onto NVIDIA's, derives or reads the architecture
/// and checks every tensor against it. Tensor bytes stay zero-copy views of the mapped file.
public enum ModelImporter {
    public static func importModel(from url: URL, format requested: ImportFormat? = nil,
                                   limits: PickleLimits = PickleLimits()) throws -> ImportedModel {
        let buffer = try ByteBuffer.mapping(url)
        let (format, content) = try readVerified(buffer, requested: requested, limits: limits)
        return ImportedModel(content, provenance: ImportProvenance(sourcePath: url.path, sourceSHA256: sha256(buffer), format: format))
    }

    static func readVerified(_ buffer: ByteBuffer, requested: ImportFormat?, limits: PickleLimits) throws -> (ImportFormat, ImportedContent) {
        try InteropError.attributing(to: buffer.location) {
            let (format, content) = try read(buffer, requested: requested, limits: limits)
            return (format, try content.verified())
        }
    }

    /// The container a file's first bytes announce.
    enum Container {
        case pickle, torchSave, safetensors
    }

    static func container(of buffer: ByteBuffer) throws -> Container {
        let head = buffer.whole
        if head.hasPrefix(TorchFiles.zipMagic) || head.hasPrefix(LegacyTorchFormat.prefix) { return .torchSave }
        if head.hasPrefix(NumpyArray.magic) { throw buffer.error("this is a numpy array, not a network file", at: 0) }
        if head.count >= 2, head.bytes[0] == 0x80 { return .pickle }  // PROTO; the machine checks the version
        if head.count >= 9, head.bytes[8] == UInt8(ascii: "{") { return .safetensors }
        throw buffer.error("unrecognized file format (expected an NVIDIA or TensorFlow .pkl, a torch .pt or a .safetensors file)", at: 0)
    }

    private static func read(_ buffer: ByteBuffer, requested: ImportFormat?, limits: PickleLimits) throws -> (ImportFormat, ImportedContent) {
        let detected = try container(of: buffer)
        switch (requested, detected) {
        case (.tensorflowPickle, _):
            return (.tensorflowPickle, try TensorFlowPickleImporter.read(try TorchFiles.readPickle(buffer, limits: limits), fileBytes: buffer.count))
        case (.nvidiaPickle, _), (nil, .pickle):
            let root = try TorchFiles.readPickle(buffer, limits: limits)
            if requested == nil, TensorFlowPickleImporter.looksLikeTensorFlow(root) {
                return (.tensorflowPickle, try TensorFlowPickleImporter.read(root, fileBytes: buffer.count))
            }
            return (.nvidiaPickle, try NvidiaPickleImporter.read(root))
        case (.safetensors, _), (nil, .safetensors):
            return (.safetensors, try StateDictImporter.read(safetensors: try SafetensorsFile.read(buffer)))
        case (.rosinality, _):
            return (.rosinality, try RosinalityImporter.read(try TorchFiles.readTorchSave(buffer, limits: limits)))
        case (.stateDict, _):
            return (.stateDict, try StateDictImporter.read(torchRoot: try TorchFiles.readTorchSave(buffer, limits: limits)))
        case (nil, .torchSave):
            let root = try TorchFiles.readTorchSave(buffer, limits: limits)
            if RosinalityImporter.looksLikeRosinality(root) { return (.rosinality, try RosinalityImporter.read(root)) }
            return (.stateDict, try StateDictImporter.read(torchRoot: root))
        }
    }

    /// Hex SHA-256 of the whole file (the mapping is already in memory).
    static func sha256(_ buffer: ByteBuffer) -> String {
        Checksum.sha256Hex(buffer.data(0..<buffer.count))
    }
}

/// The SHA-256 of a source file, computed on another core while the import proceeds: hashing
/// costs about as much as writing the checkpoint, so overlapping the two nearly halves the time.
final class BackgroundDigest: @unchecked Sendable {
    private let group = DispatchGroup()
    private var digest = ""

    init(_ buffer: ByteBuffer) {
        DispatchQueue.global(qos: .userInitiated).async(group: group) { [self] in
            digest = ModelImporter.sha256(buffer)
        }
    }

    func value() -> String {
        group.wait()
        return digest
    }
}
