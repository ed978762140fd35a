import Foundation
import Checkpoint

extension ModelImporter {
    /// Imports `source` and writes it as a toonkit checkpoint at `output` (atomically: nothing
    /// appears at `output` unless everything succeeded). Tensors stream from the mapped source
    /// into the writer one at a time.
    @discardableResult
    public static func importCheckpoint(from source: URL, to output: URL, format: ImportFormat? = nil,
                                        limits: PickleLimits = PickleLimits()) throws -> ImportedModel {
        let model = try importModel(from: source, format: format, limits: limits)
        try write(model, to: output)
        return model
    }

    /// Writes an imported model: networks, ADA p as the `augment_p` training scalar, metadata as
    /// `/extra` documents and an `import` provenance record.
    public static func write(_ model: ImportedModel, to output: URL) throws {
        let writer = try CheckpointWriter(path: output.path, architecture: model.architecture)
        do {
            for network in model.networks {
                for entry in network.tensors { try writer.write(network: network.name, entry: entry) }
            }
            if let probability = model.augmentP { try writer.writeTrainingScalar("augment_p", .real(probability)) }
            for (name, document) in model.metadata.sorted(by: { $0.key < $1.key }) {
                try writer.writeExtra(name: name, document)
            }
            writer.appendProvenance(ProvenanceRecord(
                operation: model.provenance.operation,
                parameters: ["format": .string(model.provenance.format.rawValue)],
                inputs: [ProvenanceInput(path: model.provenance.sourcePath, sha256: model.provenance.sourceSHA256)],
                note: model.notes.isEmpty ? nil : model.notes.joined(separator: "; ")))
            try writer.commit()
        } catch {
            writer.abort()
            throw error
        }
    }
}
