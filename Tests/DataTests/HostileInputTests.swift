import Foundation
import Imaging
import Testing
import TestSupport
@testable import Training

/// Files from the hostile-input corpus: size bombs, named pipes and devices, where images or data sets are expected.
struct HostileInputTests {
    @Test func aPNGDeclaringATrillionPixelsIsRefusedFromItsHeader() throws {
        let bomb = HostileFiles.pngDeclaring(width: 1_000_000, height: 1_000_000)
        #expect(bomb.count < 80)
        let error = try #require(throws: ImagingError.self) { try PNG.decode(bomb, name: "bomb.png") }
        #expect(error.description.hasPrefix("bomb.png: declares 1000000×1000000 pixels"))
        // Sides whose product overflows a signed 64-bit integer are refused too, not trapped on.
        #expect(throws: ImagingError.self) { try PNG.decode(HostileFiles.pngDeclaring(width: 0x7FFF_FFFF, height: 0x7FFF_FFFF), name: "x") }
    }

    @Test func theLargestDecodableImageIsEightThousandSquare() throws {
        #expect(PNGHeader.maxPixels == 8192 * 8192)
        #expect(throws: Never.self) { try PNGHeader(width: 8192, height: 8192, colourType: 2).checkDecodable(name: "ok") }
        #expect(throws: ImagingError.self) { try PNGHeader(width: 8193, height: 8192, colourType: 2).checkDecodable(name: "big") }
    }

    @Test func pipesAndDevicesAreRefusedWithoutBeingOpened() throws {
        let folder = try TemporaryDirectory()
        let pipe = try HostileFiles.fifo(folder.path("pipe.png"))
        let pipeError = DataFixtures.message { _ = try PNG.read(URL(fileURLWithPath: pipe)) }
        #expect(pipeError.hasPrefix("\(pipe): is a named pipe"))
        #expect(DataFixtures.message { _ = try PNGDataset(url: URL(fileURLWithPath: pipe)) }.hasPrefix("\(pipe): is a named pipe"))
        #expect(DataFixtures.message { _ = try PNGDataset(url: URL(fileURLWithPath: "/dev/zero")) }.hasPrefix("/dev/zero: is a device"))
    }

    @Test func aDataSetFolderHoldingAPipeNamesItInsteadOfHanging() throws {
        let folder = try TemporaryDirectory()
        try DataFixtures.write(DataFixtures.card(0, width: 8, height: 8), to: folder.file("set/a.png"))
        let pipe = try HostileFiles.fifo(folder.path("pipe"))
        try FileManager.default.createSymbolicLink(atPath: folder.path("set/b.png"), withDestinationPath: pipe)
        let message = DataFixtures.message { _ = try PNGDataset(url: folder.file("set")) }
        #expect(message.hasPrefix(folder.path("set/b.png") + ": is a named pipe"), "\(message)")
        let conversion = DataFixtures.message { _ = try DatasetConversion().run(source: folder.file("set"), output: folder.file("out.zip")) }
        #expect(conversion.hasPrefix(folder.path("set/b.png")), "\(conversion)")
        #expect(!folder.contents.contains { $0.hasPrefix("out.zip") })
    }

    @Test func aBombInsideAZipIsNamedAndTheFailedConversionLeavesNothing() throws {
        let folder = try TemporaryDirectory()
        let source = folder.file("source.zip")
        let good = try PNG.encode(DataFixtures.card(0, width: 8, height: 8))
        try DataFixtures.zip([("a.png", good), ("b.png", HostileFiles.pngDeclaring(width: 100_000, height: 100_000))], to: source)
        let message = DataFixtures.message { _ = try DatasetConversion().run(source: source, output: folder.file("out.zip")) }
        #expect(message.hasPrefix("\(source.path)/b.png: declares 100000×100000 pixels"), "\(message)")
        #expect(folder.contents == ["source.zip"])
    }

    @Test func nonFiniteValuesBecomePixelsAndAreCounted() {
        #expect(ImageConversion.toUInt8(.nan) == 128)
        #expect(ImageConversion.toUInt8(.infinity) == 255)
        #expect(ImageConversion.toUInt8(-.infinity) == 0)
        #expect(ImageConversion.toUInt8(0) == 128)
        let values: [Float] = [0, .nan, 1, .infinity, -.infinity, -1]
        #expect(values.withUnsafeBufferPointer(ImageConversion.nonFiniteCount) == 3)
    }
}
