import Foundation
import Testing
import TestSupport
@testable import Interop

@Suite(.enabled(if: Fixtures.available, Fixtures.missing))
struct BadInputTests {
    static let corpus = try! BadInputCorpus(fixtures: Fixtures.directory!)

    @Test func theCorpusIsLargeEnough() {
        print("bad-input corpus: \(Self.corpus.cases.count) cases")
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
                #expect(!message.unicodeScalars.contains { $0.value < 0x20 || (0x7f...0x9f).contains($0.value) },
                        "\(item.name): control characters reach the terminal: \(message.debugDescription)")
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

    /// Issue 11's acceptance: no hostile input under 10 MB may drive the importer over 1 GiB.
    static let peakMemoryLimit = 1 << 30

    @Test(.enabled(if: Toonkit.executable != nil, Comment(rawValue: Toonkit.missing)))
    func theCommandLineExitsWithTwoAndLeavesNothingBehind() throws {
        let folder = try TemporaryDirectory()
        var largest = (peak: 0, name: "")
        for (index, item) in Self.corpus.cases.enumerated() {
            let input = folder.file("case\(index).bin")
            try Data(item.bytes).write(to: input)
            #expect(item.bytes.count < 10_000_000, "\(item.name) is not a small file")
            let result = try MonitoredProcess(executable: Toonkit.executable!.path, arguments: ["import", input.path, "-o", folder.file("out.h5").path],
                                              directory: folder.url).run()
            let (status, errors) = (result.exitStatus, result.stderrText)
            #expect(status == 2, "\(item.name): exit status \(status.map(String.init) ?? "none"), signal \(result.signal.map(String.init) ?? "none")")
            #expect(result.peakRSSBytes < Self.peakMemoryLimit, "\(item.name): peak RSS \(result.peakRSSBytes >> 20) MiB")
            if result.peakRSSBytes > largest.peak { largest = (result.peakRSSBytes, item.name) }
            #expect(errors.hasPrefix("toonkit: error: \(input.path)"), "\(item.name): \(errors)")
            try FileManager.default.removeItem(at: input)
            #expect(folder.contents.isEmpty, "\(item.name) left \(folder.contents)")
        }
        print("bad-input corpus through the CLI: largest peak RSS \(largest.peak >> 20) MiB (\(largest.name))")
        #expect(!FileManager.default.fileExists(atPath: Self.corpus.canary), "a hostile pickle ran code")
    }
}
