import Foundation
import Testing
import TestSupport
import Checkpoint
@testable import Interop

/// torch.save writes STORED members, but a state dict re-zipped with ZIP_DEFLATED is still valid.
@Suite(.enabled(if: Fixtures.available, Fixtures.missing))
struct DeflatedArchiveTests {
    @Test(arguments: Fixtures.names)
    func aStateDictWithDeflatedMembersImportsToTheSameTensors(name: String) throws {
        let stored = Fixtures.url("\(name).state_dict.pt")
        let archive = try ZipArchive(url: stored)
        let members = try archive.entries.map { DeflatedZip.Member(name: $0.name, chunk: Array(try archive.contents(of: $0).data)) }
        let folder = try TemporaryDirectory()
        let deflated = folder.file("deflated.pt")
        try Data(DeflatedZip.archive(members)).write(to: deflated)
        #expect(try ZipArchive(url: deflated).entries.allSatisfy(\.isCompressed))

        let expected = try #require(try ModelImporter.importModel(from: stored).network("G_ema"))
        let imported = try #require(try ModelImporter.importModel(from: deflated).network("G_ema"))
        #expect(imported.tensors.map(\.name) == expected.tensors.map(\.name))
        for (mine, reference) in zip(imported.tensors, expected.tensors) {
            #expect(mine.data.dtype == reference.data.dtype && mine.data.shape == reference.data.shape
                    && mine.data.bytes == reference.data.bytes, "\(mine.name) differs")
        }
    }
}
