import Engine
import Foundation
import Imaging
import TestSupport
import Testing
@testable import Training

@Suite struct SyntheticTests {
    @Test func theSameSeedWritesIdenticalBytesAndOtherSeedsDiffer() throws {
        let temporary = try TemporaryDirectory()
        for (name, seed) in [("a.zip", UInt32(7)), ("b.zip", 7), ("c.zip", 8)] {
            _ = try SyntheticDataset(kind: .cartoons, count: 2, resolution: 16, seed: seed).write(to: temporary.file(name))
        }
        let a = try Data(contentsOf: temporary.file("a.zip")), b = try Data(contentsOf: temporary.file("b.zip"))
        #expect(a == b)
        #expect(a != (try Data(contentsOf: temporary.file("c.zip"))))
        let faces = try SyntheticDataset(kind: .faces, count: 2, resolution: 16, seed: 7)
        #expect(try faces.image(at: 1) == faces.image(at: 1))
        #expect(try faces.image(at: 0) != faces.image(at: 1))
    }

    @Test(arguments: SyntheticKind.allCases)
    func theWrittenSetReadsBackAsDrawn(kind: SyntheticKind) throws {
        let temporary = try TemporaryDirectory()
        let synthetic = try SyntheticDataset(kind: kind, count: 2, resolution: 16, seed: 1)
        let summary = try synthetic.write(to: temporary.file("set.zip"))
        #expect(summary.images == 2 && summary.resolution == 16 && !summary.labelled)
        let stored = try PNGDataset(url: temporary.file("set.zip"))
        #expect(stored.count == 2 && stored.resolution == 16 && stored.channels == 3)
        for index in 0..<2 { #expect(try stored.image(at: index) == synthetic.image(at: index)) }
    }

    /// The person sits in the middle on a background: the centre (the face) differs from the top
    /// corners (background), and a portrait has many more distinct colours than a flat cartoon.
    @Test func imagesShowAFigureOnABackground() throws {
        let faces = try SyntheticDataset(kind: .faces, count: 3, resolution: 32, seed: 3)
        let cartoons = try SyntheticDataset(kind: .cartoons, count: 3, resolution: 32, seed: 3)
        for index in 0..<3 {
            let face = try faces.picture(at: index), cartoon = try cartoons.picture(at: index)
            for picture in [face, cartoon] {
                let corner = Self.pixel(picture, x: 0, y: 0), centre = Self.pixel(picture, x: 16, y: 16)
                #expect(zip(corner, centre).map { abs(Int($0) - Int($1)) }.max()! > 20)
            }
            #expect(Self.distinctColours(face) > 2 * Self.distinctColours(cartoon))
            #expect(Self.pixel(cartoon, x: 1, y: 0) == Self.pixel(cartoon, x: 30, y: 1), "cartoon backgrounds are flat")
            #expect(Self.pixel(face, x: 1, y: 0) != Self.pixel(face, x: 30, y: 1), "portrait backgrounds are shaded")
        }
    }

    @Test func refusesImpossibleSets() {
        #expect(DataFixtures.message { _ = try SyntheticDataset(kind: .faces, count: 0, resolution: 32) }.contains("at least one image"))
        #expect(DataFixtures.message { _ = try SyntheticDataset(kind: .faces, count: 1, resolution: 48) }.contains("power of two"))
        #expect(DataFixtures.message { _ = try SyntheticDataset(kind: .faces, count: 1, resolution: 32).image(at: 1) }.contains("no image 1"))
    }

    static func pixel(_ image: Image8, x: Int, y: Int) -> [UInt8] {
        Array(image.pixels[(y * image.width + x) * 3..<(y * image.width + x + 1) * 3])
    }

    static func distinctColours(_ image: Image8) -> Int {
        var colours = Set<Int>()
        for i in stride(from: 0, to: image.pixels.count, by: 3) {
            let red = Int(image.pixels[i]), green = Int(image.pixels[i + 1]), blue = Int(image.pixels[i + 2])
            colours.insert(red << 16 | green << 8 | blue)
        }
        return colours.count
    }
}

@Suite struct MirrorTests {
    /// With mirroring, the sampler's list holds every image twice, once flagged; a flagged item reaches
    /// the batch as the image reversed along the width. The reference's window swaps wrap around the
    /// list, so one pass of 2N draws is not an exact permutation, but over many passes every image
    /// comes as often plain as flipped.
    @Test func eachImageComesPlainAndFlipped() throws {
        let dataset = try SyntheticDataset(kind: .cartoons, count: 5, resolution: 8, seed: 2)
        var sampler = try TrainingSampler(datasetCount: dataset.count, mirror: true, seed: 11)
        #expect(sampler.length == 10)
        var seen: [Int: Int] = [:]
        let passes = 40
        for _ in 0..<(passes * sampler.length) {
            let item = try sampler.next()
            seen[item.index * 2 + (item.flipped ? 1 : 0), default: 0] += 1
        }
        #expect(seen.count == 10, "every (image, flip) pair is drawn")
        #expect(seen.values.allSatisfy { abs($0 - passes) <= passes / 2 }, "draws per (image, flip): \(seen.sorted { $0.key < $1.key })")

        var batchSampler = try TrainingSampler(datasetCount: dataset.count, mirror: true, seed: 11)
        var replay = batchSampler
        let (batch, _) = try TrainingBatch.load(dataset, sampler: &batchSampler, count: 10)
        let values = batch.scalars
        for slot in 0..<10 {
            let item = try replay.next()
            let expected = try dataset.picture(at: item.index, flipped: item.flipped)
            let plane = 64
            for c in 0..<3 {
                for i in 0..<plane {
                    let pixel = Float(expected.pixels[i * 3 + c]) / 127.5 - 1
                    #expect(values[(slot * 3 + c) * plane + i] == pixel)
                }
            }
        }
        let plain = try dataset.picture(at: 0), flipped = try dataset.picture(at: 0, flipped: true)
        #expect(plain != flipped)
        #expect(flipped.pixels[0..<3] == plain.pixels[7 * 3..<8 * 3])
    }
}
