import Foundation
import Testing
@testable import Interop

@Suite(.enabled(if: Fixtures.available, Fixtures.missing))
struct BadInputTests {
    static let corpus = try! BadInputCorpus(fixtures: Fixtures.directory!)

    @Test func theCorpusIsLargeEnough() {
        #expect(Self.corpus.cases.count >= 50)
    }

    @Test func everyCaseEndsInAClearError() throws {
        let folder = try TemporaryDirectory()
        for (index, item) in Self.corpus.cases.enumerated() {
            let input = folder.file("case\(index).bin")
            try Data(item.bytes).write(to: input)
            do {
                let model = try ModelImporter.importModel(from: input)
                Issue.record("\(item.name): imported \(model.networks.map(\.name)) instead of failing")
            } catch let error as InteropError {
                let message = error.description
                #expect(message.hasPrefix(input.path), "\(item.name): the message does not name the file: \(message)")
                if let mentions = item.mentions {
                    #expect(message.contains(mentions), "\(item.name): '\(mentions)' missing from: \(message)")
                }
            } catch {
                Issue.record("\(item.name): \(type(of: error)) is not an InteropError: \(error)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: Self.corpus.canary), "a hostile pickle ran code")
    }

    @Test func errorsNameTheOffendingOpcodeOffset() throws {
        let folder = try TemporaryDirectory()
        let input = folder.file("os.pkl")
        try Data(PickleBytes.call("os", "system", "true")).write(to: input)
        let error = try #require(throws: InteropError.self) { try ModelImporter.importModel(from: input) }
        #expect(error.offset == 2, "the GLOBAL opcode is at byte 2")
        #expect(error.description.contains("refusing global 'os.system'"))
    }

    @Test func theCommandLineExitsWithTwoAndLeavesNothingBehind() throws {
        let binary = try #require(Self.toonkitBinary, "the toonkit executable was not built next to the tests")
        let folder = try TemporaryDirectory()
        for (index, item) in Self.corpus.cases.enumerated() {
            let input = folder.file("case\(index).bin")
            try Data(item.bytes).write(to: input)
            let (status, errors) = try Self.run(binary, ["import", input.path, "-o", folder.file("out.h5").path])
            #expect(status == 2, "\(item.name): exit status \(status)")
            #expect(errors.hasPrefix("toonkit: error: \(input.path)"), "\(item.name): \(errors)")
            try FileManager.default.removeItem(at: input)
            #expect(folder.contents.isEmpty, "\(item.name) left \(folder.contents)")
        }
        #expect(!FileManager.default.fileExists(atPath: Self.corpus.canary), "a hostile pickle ran code")
    }

    /// `swift test` builds the CLI next to the test bundle.
    static var toonkitBinary: URL? {
        let candidate = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("toonkit")
        return FileManager.default.isExecutableFile(atPath: candidate.path) ? candidate : nil
    }

    static func run(_ binary: URL, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}
