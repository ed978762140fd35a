import Foundation
import Checkpoint
import Networks

extension ModelImporter {
    /// Imports `source` and writes it as a toonkit checkpoint at `output` (atomically: nothing
    /// appears at `output` unless everything succeeded). Tensors stream from the mapped source
    /// into the writer one at a time.
    @discardableResult
    public static func importCheckpoint(from source: URL, to output: URL, format: ImportFormat? = nil,
                                        limits: PickleLimits = PickleLimits()) throws -> ImportedModel {
        try AtomicFile.checkDistinct(input: source, output: output)
        let buffer = try ByteBuffer.mapping(source)
        let digest = BackgroundDigest(buffer)
        let (detected, content) = try readVerified(buffer, requested: format, limits: limits)
        return try write(content, to: output) {
            ImportProvenance(sourcePath: source.path, sourceSHA256: digest.value(), format: detected)
        }
    }

    /// Writes an imported model: networks, ADA p as the `augment_p` training scalar, metadata as
    /// `/extra` documents and an `import` provenance record.
    public static func write(_ model: ImportedModel, to output: URL) throws {
        try write(ImportedContent(model), to: output) { model.provenance }
    }

    /// `provenance` is asked for only after the tensors are written, so a digest can finish meanwhile.
    @discardableResult
    private static func write(_ content: ImportedContent, to output: URL,
                              provenance: () -> ImportProvenance) throws -> ImportedModel {
        let writer = try CheckpointWriter(path: output.path, architecture: content.architecture)
        do {
            for network in content.networks {
                for entry in network.tensors { try writer.write(network: network.name, entry: entry) }
            }
            if let probability = content.augmentP { try writer.writeTrainingScalar("augment_p", .real(probability)) }
            for (name, document) in content.metadata.sorted(by: { $0.key < $1.key }) {
                try writer.writeExtra(name: name, document)
            }
            let source = provenance()
            writer.appendProvenance(ProvenanceRecord(
                operation: source.operation,
                parameters: ["format": .string(source.format.rawValue)],
                inputs: [ProvenanceInput(path: source.sourcePath, sha256: source.sourceSHA256)],
                note: content.notes.isEmpty ? nil : content.notes.joined(separator: "; ")))
            try writer.commit()
            return ImportedModel(content, provenance: source)
        } catch {
            writer.abort()
            throw error
        }
    }
}
