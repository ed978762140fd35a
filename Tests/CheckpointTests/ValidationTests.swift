import Foundation
import Testing
import TestSupport
@testable import Checkpoint
import Networks

@Suite struct ValidationTests {
    @Test func writtenFileIsValid() throws {
        let folder = try TemporaryDirectory()
        let path = try Samples.write(folder.path("g.h5"))
        let report = CheckpointValidator.validate(path: path)
        #expect(report.status == .valid, "\(report.problems)")
        #expect(report.tensorsChecked == Samples.generator.count)
        #expect(report.bytesChecked == Samples.generator.reduce(0) { $0 + $1.data.bytes.count })
    }

    @Test func flippedByteInTensorDataIsAChecksumMismatch() throws {
        let folder = try TemporaryDirectory()
        let path = try Samples.write(folder.path("g.h5"))
        let name = "mapping.fc0.weight"
        try Tamper.flipByte(path, at: try Tamper.dataOffset(path, network: "toy", name: name) + 100)

        let report = CheckpointValidator.validate(path: path)
        #expect(report.status == .invalid)
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.object == "/networks/toy/\(name)")
        #expect(report.problems.first?.rule.contains("sha256 mismatch") == true)

        // The header is intact, so the file opens; reading the tensor notices, unless asked not to check.
        let reader = try CheckpointReader(path: path)
        #expect(throws: CheckpointError.self) { try reader.readTensor(network: "toy", name: name) }
        _ = try reader.readTensor(network: "toy", name: name, verifyChecksum: false)
    }

    /// G, G_ema and D are computed with: their tensors must be the ones the architecture implies.
    @Test func tensorsThatContradictTheArchitectureAreInvalid() throws {
        let folder = try TemporaryDirectory()
        let path = try Samples.write(folder.path("g.h5"), networks: [("G_ema", Samples.generator)])
        let report = CheckpointValidator.validate(path: path)
        #expect(report.status == .invalid)
        let rules = report.problems.filter { $0.object == "/networks/G_ema" }.map(\.rule)
        #expect(rules.contains { $0.hasPrefix("network G_ema lacks mapping.fc1.weight [32, 32]") }, "\(rules)")
        #expect(rules.contains { $0.hasPrefix("network G_ema: synthesis.b4.const has shape [4, 4, 4] but the architecture") }, "\(rules)")
        #expect(throws: CheckpointError.self) { try CheckpointReader(path: path) }
    }

    /// The forward pass implements one resampling filter: a file declaring another is refused, not computed wrongly.
    @Test func anotherResampleFilterIsRefusedNamingTheField() throws {
        let folder = try TemporaryDirectory()
        var architecture = Samples.architecture
        architecture.resampleFilter = [1, 2, 1]
        let writer = try CheckpointWriter(path: folder.path("f.h5"), architecture: architecture, durable: false)
        try writer.write(network: "toy", entry: Samples.generator[0])
        try writer.commit()
        let report = CheckpointValidator.validate(path: folder.path("f.h5"))
        #expect(report.problems.map(\.description) == ["/architecture: resample_filter [1.0, 2.0, 1.0] is not supported: toonkit's forward pass implements [1.0, 3.0, 3.0, 1.0] only"])
    }

    @Test func wrongFormatAttributeIsASchemaViolationNamingTheAttribute() throws {
        let folder = try TemporaryDirectory()
        let path = try Samples.write(folder.path("g.h5"))
        try Tamper.setStringAttribute(path, name: "format", to: "keras")

        let report = CheckpointValidator.validate(path: path)
        #expect(report.status == .invalid)
        let problem = try #require(report.problems.first)
        #expect(problem.object == "/")
        #expect(problem.rule == #"attribute "format" must be "toonkit.checkpoint", found "keras""#)
        #expect(throws: CheckpointError.schemaViolation(path: path, problems: report.problems)) { try CheckpointReader(path: path) }
    }

    @Test func badTensorAttributeAndMissingObjectsAreNamed() throws {
        let folder = try TemporaryDirectory()
        let path = try Samples.write(folder.path("g.h5"))
        try Tamper.setStringAttribute(path, object: "/networks/toy/synthesis.b4.const", name: "kind", to: "weights")
        try Tamper.deleteObject(path, "/architecture")

        let problems = CheckpointValidator.validate(path: path).problems.map(\.description)
        #expect(problems.contains(#"/networks/toy/synthesis.b4.const: attribute "kind" must be one of ["parameter", "buffer"], found "weights""#))
        #expect(problems.contains("/architecture: is required but missing"))
    }

    @Test func unknownMajorVersionIsAClearError() throws {
        let folder = try TemporaryDirectory()
        let path = try Samples.write(folder.path("future.h5"))
        try Tamper.setStringAttribute(path, name: "format_version", to: "2.0")

        let error = try #require(throws: CheckpointError.self) { try CheckpointReader(path: path) }
        #expect(error == .unsupportedVersion(path: path, found: "2.0", supported: CheckpointFormat.version))
        #expect(error.description.contains(path) && error.description.contains("2.0") && error.description.contains("1.0"))
        #expect(CheckpointValidator.validate(path: path).status == .unreadable)
    }

    @Test func newerMinorVersionOpensWithAWarning() throws {
        let folder = try TemporaryDirectory()
        let path = try Samples.write(folder.path("minor.h5"))
        try Tamper.setStringAttribute(path, name: "format_version", to: "1.7")
        let reader = try CheckpointReader(path: path)
        #expect(reader.formatVersion == FormatVersion(major: 1, minor: 7))
        #expect(reader.warnings.count == 1)
    }

    @Test func nonHDF5AndMissingFilesAreUnreadable() throws {
        let folder = try TemporaryDirectory()
        let text = folder.path("notes.h5")
        try Data("just text, not HDF5".utf8).write(to: URL(fileURLWithPath: text))
        #expect(throws: CheckpointError.notHDF5(path: text)) { try CheckpointReader(path: text) }
        #expect(CheckpointError.notHDF5(path: text).description.contains("not an HDF5 file"))

        let missing = folder.path("missing.h5")
        #expect(throws: CheckpointError.fileNotFound(path: missing)) { try CheckpointReader(path: missing) }
        for path in [text, missing] {
            let report = CheckpointValidator.validate(path: path)
            #expect(report.status == .unreadable)
        }
    }

    @Test func truncatedCheckpointIsUnreadable() throws {
        let folder = try TemporaryDirectory()
        let path = try Samples.write(folder.path("cut.h5"))
        let size = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        try FileHandle(forWritingAtPath: path)!.truncate(atOffset: UInt64(size / 2))
        let report = CheckpointValidator.validate(path: path)
        #expect(report.status == .unreadable, "\(report)")
    }
}
