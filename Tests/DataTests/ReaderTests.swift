import Foundation
import Imaging
import Interop
import TestSupport
import Testing
@testable import Training

@Suite struct ReaderTests {
    /// A zip laid out as the reference's dataset_tool.py writes it, read without any toonkit conversion.
    @Test func readsTheReferenceZipLayoutWithLabels() throws {
        let temporary = try TemporaryDirectory()
        let images = (0..<3).map { DataFixtures.card($0, width: 8, height: 8) }
        var members = try images.enumerated().map { (DatasetArchiveWriter.memberName($0.offset), try PNG.encode($0.element)) }
        members.append(("dataset.json", Data(DataFixtures.labelsJSON([("00000/img00000000.png", "4"), ("00000/img00000001.png", "0"),
                                                                        ("00000/img00000002.png", "4")]).utf8)))
        try DataFixtures.zip(members, to: temporary.file("reference.zip"))
        let dataset = try PNGDataset(url: temporary.file("reference.zip"))
        #expect(dataset.count == 3 && dataset.resolution == 8 && dataset.labelDimension == 5)
        #expect(try dataset.image(at: 2) == DataFixtures.planar(images[2]))
        #expect(try dataset.label(at: 0) == [0, 0, 0, 0, 1])
        #expect(dataset.imageNames == ["00000/img00000000.png", "00000/img00000001.png", "00000/img00000002.png"])
    }

    @Test func readsAFolderOfGreyPNGsAsOneChannel() throws {
        let temporary = try TemporaryDirectory()
        let grey = DataFixtures.card(5, width: 16, height: 16, channels: 1)
        try DataFixtures.write(grey, to: temporary.file("set/digit.png"))
        try DataFixtures.write("ignored", to: temporary.file("set/notes.txt"))
        let dataset = try PNGDataset(url: temporary.file("set"))
        #expect(dataset.channels == 1 && dataset.ignoredFileCount == 1)
        #expect(try dataset.image(at: 0) == grey.pixels)
        try dataset.verifyAll()
    }

    @Test func namesTheFileAndTheProblem() throws {
        let temporary = try TemporaryDirectory()
        let open = { (name: String) in DataFixtures.message { _ = try PNGDataset(url: temporary.file(name)) } }

        try DataFixtures.write(DataFixtures.card(0, width: 16, height: 8), to: temporary.file("wide/a.png"))
        #expect(open("wide").contains("wide/a.png: not square (16×8)"))

        try DataFixtures.write(DataFixtures.card(0, width: 12, height: 12), to: temporary.file("twelve/a.png"))
        #expect(open("twelve").contains("resolution 12 is not a power of two"))

        try DataFixtures.write(DataFixtures.card(0, width: 16, height: 16), to: temporary.file("sizes/a.png"))
        try DataFixtures.write(DataFixtures.card(0, width: 32, height: 32), to: temporary.file("sizes/b.png"))
        #expect(open("sizes").contains("sizes/b.png: 32×32 pixels, the data set's images are 16×16"))

        try DataFixtures.write(DataFixtures.card(0, width: 16, height: 16), to: temporary.file("channels/a.png"))
        try DataFixtures.write(DataFixtures.card(0, width: 16, height: 16, channels: 1), to: temporary.file("channels/b.png"))
        #expect(open("channels").contains("channels/b.png: grey (1 channel), the data set's images are colour (3 channels)"))

        try DataFixtures.write("GIF89a", to: temporary.file("garbage/a.png"))
        #expect(open("garbage").contains("garbage/a.png: not a PNG file"))

        try Data((0..<200).map { UInt8(truncatingIfNeeded: $0 * 7) }).write(to: temporary.file("random.zip"))
        #expect(open("random.zip").contains("random.zip: not a folder or a readable zip archive"))

        try DataFixtures.write(DataFixtures.card(0, width: 4, height: 4), to: temporary.file("labels/a.png"))
        try DataFixtures.write(DataFixtures.card(1, width: 4, height: 4), to: temporary.file("labels/b.png"))
        try DataFixtures.write(DataFixtures.labelsJSON([("a.png", "0")]), to: temporary.file("labels/dataset.json"))
        #expect(open("labels").contains("dataset.json has no label for 'b.png'"))
        try DataFixtures.write(DataFixtures.labelsJSON([("a.png", "0.5"), ("b.png", "1")]), to: temporary.file("labels/dataset.json"))
        #expect(open("labels").contains("class labels must be whole numbers"))
        try DataFixtures.write("{\"labels\": [[\"a.png\", [1]], [\"b.png\", [1, 2]]]}", to: temporary.file("labels/dataset.json"))
        #expect(open("labels").contains("has 2 values, earlier ones have 1"))
        try DataFixtures.write("{\"labels\": null}", to: temporary.file("labels/dataset.json"))
        #expect(try PNGDataset(url: temporary.file("labels")).labelDimension == 0)
    }

    @Test func aTruncatedImageFailsWhenDecodedWithItsName() throws {
        let temporary = try TemporaryDirectory()
        let good = try PNG.encode(DataFixtures.card(0, width: 16, height: 16))
        try DataFixtures.zip([("00000/img00000000.png", good), ("00000/img00000001.png", good.prefix(good.count / 2))],
                             to: temporary.file("cut.zip"))
        let dataset = try PNGDataset(url: temporary.file("cut.zip"))
        _ = try dataset.image(at: 0)
        let message = DataFixtures.message { _ = try dataset.image(at: 1) }
        #expect(message.contains("cut.zip/00000/img00000001.png"))
        #expect(DataFixtures.message { try dataset.verifyAll() }.contains("img00000001.png"))
        #expect(DataFixtures.message { _ = try dataset.image(at: 2) }.contains("no image 2"))
    }

    @Test func theCacheKeepsWithinItsBudget() {
        let cache = DecodedImageCache(byteBudget: 300)
        for index in 0..<5 { cache.insert([UInt8](repeating: UInt8(index), count: 100), at: index) }
        #expect((0..<5).map { cache.image(at: $0) != nil } == [false, false, true, true, true])
        #expect(cache.image(at: 4) == [UInt8](repeating: 4, count: 100))
        let disabled = DecodedImageCache(byteBudget: 0)
        disabled.insert([1], at: 0)
        #expect(disabled.image(at: 0) == nil)
    }
}
