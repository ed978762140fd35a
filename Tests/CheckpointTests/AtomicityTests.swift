import Foundation
import Testing
import TestSupport
@testable import Checkpoint
import Networks

@Suite struct AtomicityTests {
    @Test func abortedWriterLeavesNoTargetAndNoTemporaryFile() throws {
        let folder = try TemporaryDirectory()
        let writer = try CheckpointWriter(path: folder.path("g.h5"), architecture: Samples.architecture)
        try writer.write(network: "toy", entry: Samples.generator[0])
        #expect(folder.contents == [URL(fileURLWithPath: writer.temporaryPath).lastPathComponent])
        #expect(folder.contents.first?.hasPrefix(".g.h5.tmp-\(getpid())-") == true)
        writer.abort()
        #expect(folder.contents.isEmpty)
        #expect(throws: CheckpointError.self) { try writer.commit() }
    }

    @Test func droppedWriterLeavesNothing() throws {
        let folder = try TemporaryDirectory()
        do {
            let writer = try CheckpointWriter(path: folder.path("g.h5"), architecture: Samples.architecture)
            try writer.write(network: "toy", entry: Samples.generator[0])
        }
        #expect(folder.contents.isEmpty)
    }

    @Test func failedWriteAbortsTheWriter() throws {
        let folder = try TemporaryDirectory()
        let writer = try CheckpointWriter(path: folder.path("g.h5"), architecture: Samples.architecture)
        try writer.write(network: "toy", entry: Samples.generator[0])
        #expect(throws: CheckpointError.self) { try writer.write(network: "toy", entry: Samples.generator[0]) }
        #expect(folder.contents.isEmpty)
        #expect(throws: CheckpointError.self) { try writer.commit() }
        #expect(folder.contents.isEmpty)
    }

    @Test(arguments: ["a/b", ".hidden", ""])
    func invalidTensorNamesAreRefused(name: String) throws {
        let folder = try TemporaryDirectory()
        let writer = try CheckpointWriter(path: folder.path("g.h5"), architecture: Samples.architecture)
        let entry = TensorEntry(name: name, kind: .parameter, data: Samples.ramp([2]))
        #expect(throws: CheckpointError.self) { try writer.write(network: "toy", entry: entry) }
        #expect(folder.contents.isEmpty)
    }

    @Test func existingTargetStaysIntactUntilCommit() throws {
        let folder = try TemporaryDirectory()
        let path = try Samples.write(folder.path("g.h5"), networks: [("toy", [Samples.generator[0]])])
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let oldReader = try CheckpointReader(path: path)

        let writer = try CheckpointWriter(path: path, architecture: Samples.architecture)
        for entry in Samples.generator { try writer.write(network: "toy", entry: entry) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try CheckpointReader(path: path).networkNames == ["toy"])
        try writer.commit()

        #expect(folder.contents == ["g.h5"])
        #expect(try CheckpointReader(path: path).networkNames == ["toy"])
        // A reader opened before the rename keeps seeing the old file (its inode), not a mix.
        #expect(try oldReader.readTensor(network: "toy", name: Samples.generator[0].name, verifyChecksum: true).data.bytes
                == Samples.generator[0].data.bytes)
    }

    @Test func abandonedTemporaryFilesOfLiveWritersAreKept() throws {
        let folder = try TemporaryDirectory()
        let writer = try CheckpointWriter(path: folder.path("g.h5"), architecture: Samples.architecture)
        let dead = folder.path(".g.h5.tmp-2147483646-abc")
        try Data("x".utf8).write(to: URL(fileURLWithPath: dead))
        #expect(CheckpointWriter.removeAbandonedTemporaryFiles(for: folder.path("g.h5")) == [dead])
        #expect(folder.contents == [URL(fileURLWithPath: writer.temporaryPath).lastPathComponent])
        try writer.commit()
    }

    @Test func commitReportsTimingsAndRefusesASecondCommit() throws {
        let folder = try TemporaryDirectory()
        let writer = try CheckpointWriter(path: folder.path("g.h5"), architecture: Samples.architecture, durable: true)
        try writer.write(network: "toy", entry: Samples.generator[0])
        let timings = try writer.commit()
        #expect(timings.total >= timings.fileSync)
        #expect(throws: CheckpointError.self) { try writer.commit() }
        #expect(folder.contents == ["g.h5"])
    }
}
