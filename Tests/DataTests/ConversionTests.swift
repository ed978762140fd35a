import Foundation
import Imaging
import Interop
import TestSupport
import Testing
@testable import Training

@Suite struct ConversionTests {
    @Test func folderToZipToReaderKeepsSizedImagesExactly() throws {
        let temporary = try TemporaryDirectory()
        let source = temporary.file("cartoonset")
        // Sorted by relative path: a/2.png, a/b/1.png, c.png (byte order puts "a/2" before "a/b").
        let images = [("a/b/1.png", 1), ("c.png", 2), ("a/2.png", 3)].map { ($0.0, DataFixtures.card($0.1, width: 16, height: 16)) }
        for (name, image) in images {
            try DataFixtures.write(image, to: source.appendingPathComponent(name))
            try DataFixtures.write("hair,1\neyes,2\n", to: source.appendingPathComponent(name.replacingOccurrences(of: ".png", with: ".csv")))
        }
        try DataFixtures.write("notes", to: source.appendingPathComponent("README"))
        let output = temporary.file("set.data")
        let summary = try DatasetConversion().run(source: source, output: output)
        #expect(summary.images == 3 && summary.resolution == 16 && !summary.labelled)
        #expect(summary.skippedNonImages == [".csv": 3, "(none)": 1])
        #expect(summary.skippedNonImageCount == 4)

        let archive = try ZipArchive(url: output)
        #expect(archive.entries.map(\.name) == ["00000/img00000000.png", "00000/img00000001.png", "00000/img00000002.png", "dataset.json"])
        #expect(archive.entries.allSatisfy { !$0.isCompressed })
        #expect(String(decoding: try archive.contents(of: archive.entry(named: "dataset.json")!).data, as: UTF8.self) == "{\"labels\":null}")

        let dataset = try PNGDataset(url: output)
        #expect(dataset.count == 3 && dataset.resolution == 16 && dataset.channels == 3 && dataset.labelDimension == 0)
        let expectedOrder = ["a/2.png", "a/b/1.png", "c.png"].map { name in images.first { $0.0 == name }!.1 }
        for (index, image) in expectedOrder.enumerated() {
            #expect(try dataset.image(at: index) == DataFixtures.planar(image))
            #expect(try dataset.image(at: index) == DataFixtures.planar(image), "a cached read returns the same pixels")
            #expect(try dataset.label(at: index) == [])
        }
        #expect(temporary.contents == ["cartoonset", "set.data"], "no temporary file left behind")
    }

    @Test func cropsAndResizesToTheResolution() throws {
        let temporary = try TemporaryDirectory()
        // 40×24: red 8-pixel bands left and right of a green middle that is exactly the central square.
        var image = Image8(width: 40, height: 24, channels: 3)
        for y in 0..<24 { for x in 0..<40 { image.pixels[(y * 40 + x) * 3 + ((8..<32).contains(x) ? 1 : 0)] = 200 } }
        try DataFixtures.write(image, to: temporary.file("src/wide.png"))
        var conversion = DatasetConversion(resolution: 8)
        conversion.filter = .box
        _ = try conversion.run(source: temporary.file("src"), output: temporary.file("cropped.zip"))
        let cropped = try PNGDataset(url: temporary.file("cropped.zip"))
        #expect(cropped.resolution == 8)
        #expect(try cropped.image(at: 0) == [UInt8](repeating: 0, count: 64) + [UInt8](repeating: 200, count: 64) + [UInt8](repeating: 0, count: 64))

        conversion.crop = .none
        _ = try conversion.run(source: temporary.file("src"), output: temporary.file("stretched.zip"))
        let stretched = try PNGDataset(url: temporary.file("stretched.zip"))
        let red = try stretched.image(at: 0).prefix(64)
        #expect(red[0] == 200 && red[7] == 200 && red[3] == 0, "stretching keeps the red bands at the sides")
    }

    @Test func zipSourcesSkipDirectoriesJunkAndUnsupportedImages() throws {
        let temporary = try TemporaryDirectory()
        let png = { (seed: Int) in try PNG.encode(DataFixtures.card(seed, width: 8, height: 8)) }
        try DataFixtures.zip([
            ("faces/", Data()), ("faces/b.png", try png(1)), ("faces/a.png", try png(2)), ("faces/a.csv", Data("x".utf8)),
            ("faces/photo.JPG", Data([0xFF, 0xD8, 0xFF])), ("__MACOSX/faces/._a.png", Data("junk".utf8)), ("faces/._b.png", Data("junk".utf8)),
        ], to: temporary.file("source.zip"))
        let summary = try DatasetConversion().run(source: temporary.file("source.zip"), output: temporary.file("out.zip"))
        #expect(summary.images == 2)
        #expect(summary.skippedNonImages == [".csv": 1, ".png": 2])
        #expect(summary.skippedUnsupportedImages == [".jpg": 1])
        let dataset = try PNGDataset(url: temporary.file("out.zip"))
        #expect(try dataset.image(at: 0) == DataFixtures.planar(DataFixtures.card(2, width: 8, height: 8)), "faces/a.png comes first")
    }

    @Test func classLabelsAreCarriedOverAndReadOneHot() throws {
        let temporary = try TemporaryDirectory()
        for (i, name) in ["x/a.png", "x/b.png", "c.png"].enumerated() {
            try DataFixtures.write(DataFixtures.card(i, width: 4, height: 4), to: temporary.file("src/" + name))
        }
        try DataFixtures.write(DataFixtures.labelsJSON([("c.png", "2"), ("x/a.png", "0"), ("x/b.png", "1"), ("gone.png", "3")]),
                               to: temporary.file("src/dataset.json"))
        let summary = try DatasetConversion().run(source: temporary.file("src"), output: temporary.file("out.zip"))
        #expect(summary.labelled && summary.labelDimension == 3)
        #expect(summary.skippedNonImageCount == 0, "the labels file is not counted as skipped")
        let archive = try ZipArchive(url: temporary.file("out.zip"))
        let document = String(decoding: try archive.contents(of: archive.entry(named: "dataset.json")!).data, as: UTF8.self)
        #expect(document == "{\"labels\":[[\"00000/img00000000.png\",2],[\"00000/img00000001.png\",0],[\"00000/img00000002.png\",1]]}")
        let dataset = try PNGDataset(url: temporary.file("out.zip"))
        #expect(dataset.labelDimension == 3)
        #expect(try (0..<3).map { try dataset.label(at: $0) } == [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    }

    @Test func vectorLabelsAreReadAsFloats() throws {
        let temporary = try TemporaryDirectory()
        for name in ["a.png", "b.png"] { try DataFixtures.write(DataFixtures.card(0, width: 4, height: 4), to: temporary.file("src/" + name)) }
        try DataFixtures.write(DataFixtures.labelsJSON([("a.png", "[0.5, -1.25, 3]"), ("b.png", "[1, 2, 0.125]")]), to: temporary.file("labels.json"))
        var conversion = DatasetConversion()
        conversion.labels = .file(temporary.file("labels.json"))
        let summary = try conversion.run(source: temporary.file("src"), output: temporary.file("out.zip"))
        #expect(summary.labelDimension == 3)
        let dataset = try PNGDataset(url: temporary.file("out.zip"))
        #expect(try dataset.label(at: 0) == [0.5, -1.25, 3])
        #expect(try dataset.label(at: 1) == [1, 2, 0.125])

        conversion.labels = .ignore
        #expect(try conversion.run(source: temporary.file("src"), output: temporary.file("plain.zip")).labelled == false)
        #expect(try PNGDataset(url: temporary.file("plain.zip")).labelDimension == 0)
    }

    @Test func oneMissingLabelMakesTheOutputUnlabelled() throws {
        let temporary = try TemporaryDirectory()
        for name in ["a.png", "b.png"] { try DataFixtures.write(DataFixtures.card(0, width: 4, height: 4), to: temporary.file("src/" + name)) }
        try DataFixtures.write(DataFixtures.labelsJSON([("a.png", "1")]), to: temporary.file("src/dataset.json"))
        let summary = try DatasetConversion().run(source: temporary.file("src"), output: temporary.file("out.zip"))
        #expect(!summary.labelled && summary.imagesWithoutLabel == 1)
        #expect(try PNGDataset(url: temporary.file("out.zip")).labelDimension == 0)
    }

    @Test func maxImagesKeepsTheFirstInSortedOrder() throws {
        let temporary = try TemporaryDirectory()
        for i in 0..<5 { try DataFixtures.write(DataFixtures.card(i, width: 4, height: 4), to: temporary.file("src/\(i).png")) }
        var conversion = DatasetConversion()
        conversion.maxImages = 2
        #expect(try conversion.run(source: temporary.file("src"), output: temporary.file("out.zip")).images == 2)
        #expect(try PNGDataset(url: temporary.file("out.zip")).image(at: 1) == DataFixtures.planar(DataFixtures.card(1, width: 4, height: 4)))
    }

    @Test func refusesSourcesItCannotTurnIntoATrainingSet() throws {
        let temporary = try TemporaryDirectory()
        let convert = { (source: String, resolution: Int?) in
            DataFixtures.message { _ = try DatasetConversion(resolution: resolution).run(source: temporary.file(source), output: temporary.file("out.zip")) }
        }
        try DataFixtures.write("a,b", to: temporary.file("empty/attributes.csv"))
        try DataFixtures.write("jpeg", to: temporary.file("empty/photo.jpg"))
        #expect(convert("empty", nil).contains("no PNG images"))
        #expect(convert("empty", nil).contains("JPEG"))

        try DataFixtures.write(DataFixtures.card(0, width: 24, height: 24), to: temporary.file("odd/a.png"))
        #expect(convert("odd", nil).contains("odd/a.png") && convert("odd", nil).contains("power of two"))
        #expect(convert("odd", 48).contains("--resolution 48 is not a power of two"))

        try DataFixtures.write(DataFixtures.card(0, width: 16, height: 16), to: temporary.file("mixed/a.png"))
        try DataFixtures.write(DataFixtures.card(0, width: 32, height: 32), to: temporary.file("mixed/b.png"))
        #expect(convert("mixed", nil).contains("mixed/b.png: 32×32 pixels, the first image is 16×16"))

        try DataFixtures.write(DataFixtures.card(0, width: 16, height: 16), to: temporary.file("corrupt/a.png"))
        try DataFixtures.write("not a png at all", to: temporary.file("corrupt/b.png"))
        #expect(convert("corrupt", 16).contains("corrupt/b.png"))

        try DataFixtures.write(DataFixtures.labelsJSON([("a.png", "1"), ("b.png", "[1, 2]")]), to: temporary.file("labels/dataset.json"))
        for name in ["a.png", "b.png"] { try DataFixtures.write(DataFixtures.card(0, width: 4, height: 4), to: temporary.file("labels/" + name)) }
        #expect(convert("labels", nil).contains("mix class indices and vectors"))

        #expect(convert("nowhere", nil).contains("no such file"))
        #expect(!temporary.contents.contains("out.zip") && !temporary.contents.contains { $0.contains(".tmp") }, "failures leave nothing behind")
        let intoFolder = DataFixtures.message { _ = try DatasetConversion().run(source: temporary.file("mixed"), output: temporary.file("odd")) }
        #expect(intoFolder.contains("is a folder"))
    }
}
