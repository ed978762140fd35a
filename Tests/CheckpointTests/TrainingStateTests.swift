import Foundation
import Testing
import TestSupport
@testable import Checkpoint
import Networks

@Suite struct TrainingStateTests {
    static func writeWithState(_ path: String) throws {
        let writer = try CheckpointWriter(path: path, architecture: Samples.architecture, durable: false)
        for entry in Samples.generator { try writer.write(network: "toy", entry: entry) }
        try writer.writeTrainingScalar("step", .integer(1_234_567))
        try writer.writeTrainingScalar("augment_p", .real(0.328))
        try writer.writeTrainingState(["options": ["lr": 0.0025, "batch": 8], "rng": [1, 2, 3]])
        try writer.writeTrainingTensor(name: "adam/G/mapping.fc0.weight/m", data: Samples.ramp([32, 32], scale: 1e-3))
        try writer.writeTrainingTensor(name: "adam/G/mapping.fc0.weight/v", data: Samples.ramp([32, 32], scale: 1e-6))
        try writer.writeTrainingTensor(name: "rng_state", data: Samples.raw(.int64, shape: [4]))
        try writer.writeExtra(name: "training_set_kwargs", ["resolution": 32, "xflip": true])
        writer.appendProvenance(ProvenanceRecord(operation: "train", parameters: ["kimg": 50]))
        try writer.commit()
    }

    @Test func trainingStateAndExtraRoundTrip() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("run.h5")
        try Self.writeWithState(path)
        let reader = try CheckpointReader(path: path)
        #expect(reader.trainingScalars == ["step": .integer(1_234_567), "augment_p": .real(0.328)])
        #expect(reader.trainingState == ["options": ["lr": 0.0025, "batch": 8], "rng": [1, 2, 3]])
        #expect(reader.trainingTensorNames == ["adam/G/mapping.fc0.weight/m", "adam/G/mapping.fc0.weight/v", "rng_state"])
        #expect(try reader.readTrainingTensor(name: "adam/G/mapping.fc0.weight/v", verifyChecksum: true).bytes
                == Samples.ramp([32, 32], scale: 1e-6).bytes)
        #expect(try reader.trainingTensorInfo(name: "rng_state").dtype == .int64)
        #expect(reader.extraNames == ["training_set_kwargs"])
        #expect(reader.extra("training_set_kwargs") == ["resolution": 32, "xflip": true])
        #expect(CheckpointValidator.validate(path: path).tensorsChecked == Samples.generator.count + 3)
    }

    @Test func copyCarriesEverythingAndAppendsProvenance() throws {
        let folder = try TemporaryDirectory()
        let source = folder.path("run.h5")
        try Self.writeWithState(source)
        let original = try CheckpointReader(path: source)

        let writer = try CheckpointWriter(path: folder.path("copy.h5"), architecture: original.architecture)
        try writer.copyContents(of: original)
        let record = ProvenanceRecord(operation: "annotate", inputs: [try ProvenanceInput.file(at: source)], note: "copied")
        writer.appendProvenance(record)
        try writer.commit()

        let copy = try CheckpointReader(path: folder.path("copy.h5"))
        #expect(copy.provenance.map(\.operation) == ["train", "annotate"])
        #expect(copy.provenance.last == record)
        #expect(copy.provenance.last?.inputs.first?.sha256 == (try Checksum.sha256Hex(ofFileAt: source)))
        #expect(copy.trainingScalars == original.trainingScalars)
        #expect(copy.trainingTensorNames == original.trainingTensorNames)
        #expect(copy.extra("training_set_kwargs") == original.extra("training_set_kwargs"))
        #expect(try CheckpointDiffer.diff(source, folder.path("copy.h5")).exitCode == 0)
    }

    @Test func sha256MatchesAKnownVector() {
        #expect(Checksum.sha256Hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
