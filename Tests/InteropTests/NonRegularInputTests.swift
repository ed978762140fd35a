import Foundation
import Testing
import TestSupport
@testable import Interop

/// Every reader that takes a path refuses FIFOs, devices and directories before opening them:
/// opening a named pipe would block until a writer appears, `/dev/zero` never ends.
struct NonRegularInputTests {
    static let readers: [(name: String, read: (URL) throws -> Void)] = [
        ("ModelImporter.importModel", { _ = try ModelImporter.importModel(from: $0) }),
        ("ModelImporter.importCheckpoint", { input in
            let folder = try TemporaryDirectory()
            _ = try ModelImporter.importCheckpoint(from: input, to: folder.file("out.h5"))
        }),
        ("StateDictFile.read", { _ = try StateDictFile.read($0) }),
        ("SafetensorsFile.read", { _ = try SafetensorsFile.read($0) }),
        ("NumpyArray.read", { _ = try NumpyArray.read($0) }),
        ("NumpyArchive.read", { _ = try NumpyArchive.read($0) }),
        ("ZipArchive(url:)", { _ = try ZipArchive(url: $0) }),
    ]

    private func expectRefusal(of input: URL, mentioning reason: String) {
        for reader in Self.readers {
            do {
                try reader.read(input)
                Issue.record("\(reader.name) read \(input.path)")
            } catch let error as InteropError {
                #expect(error.description.hasPrefix(input.path), "\(reader.name): \(error)")
                #expect(error.description.contains(reason), "\(reader.name): \(error)")
            } catch {
                Issue.record("\(reader.name): \(type(of: error)) is not an InteropError: \(error)")
            }
        }
    }

    @Test func aNamedPipeIsRefusedWithoutWaitingForAWriter() throws {
        let folder = try TemporaryDirectory()
        let pipe = folder.file("G.pkl")
        try #require(mkfifo(pipe.path, 0o600) == 0)
        // This test holds both ends open, so a reader that opened the pipe anyway fails with another
        // message instead of hanging the test run.
        let bothEnds = open(pipe.path, O_RDWR | O_NONBLOCK)
        try #require(bothEnds >= 0)
        defer { close(bothEnds) }
        expectRefusal(of: pipe, mentioning: "is a named pipe (FIFO)")
    }

    @Test func aDirectoryIsRefused() throws {
        let folder = try TemporaryDirectory()
        expectRefusal(of: folder.url, mentioning: "is a directory")
    }

    @Test func aDeviceIsRefused() {
        expectRefusal(of: URL(fileURLWithPath: "/dev/zero"), mentioning: "is a device")
    }
}
